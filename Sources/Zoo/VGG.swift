import Engine
import NN
import Growth

/// VGG-16 (configuration "D", no batch normalisation) in torchvision's exact layout
/// (`torchvision.models.vgg16`), so a torchvision state dict loads by name (see `TorchvisionStateDict`).
///
/// Top level:
/// - `features`: Sequential "0" … "30" — thirteen 3×3 convolutions (pad 1, with bias), each followed by
///   a ReLU, in five stages of 64, 128, 256, 512, 512 channels (2, 2, 3, 3, 3 convolutions), each stage
///   ending in a 2×2 stride-2 max-pool at indices 4, 9, 16, 23, 30.
/// - `avgpool`: AdaptiveAvgPool2d(7×7) (identity at 224 px; replicates smaller maps).
/// - `flatten`, then `classifier`: "0" Linear 25088→4096, "1" ReLU, "2" Dropout(0.5), "3" Linear
///   4096→4096, "4" ReLU, "5" Dropout(0.5), "6" Linear 4096→classes.
///
/// Shapes: x [N, 3, H, W] (H, W ≥ 32) → logits [N, classes].
/// Init (torchvision's): convolutions He-normal with zero bias, linear layers N(0, 0.01²) with zero bias.
public enum VGG {
    /// Output channels per convolution; nil marks a max-pool (torchvision's cfg "D").
    static let configuration16: [Int?] = [64, 64, nil, 128, 128, nil, 256, 256, 256, nil, 512, 512, 512, nil, 512, 512, 512, nil]

    /// A freshly initialised VGG-16.
    ///
    /// `randomInit: false` zero-fills the weight tensors instead of drawing them, for a model whose weights
    /// will be loaded (`TorchvisionStateDict`): it skips 138 M random draws.
    public static func build16(classes: Int = 1000, seed: UInt64, randomInit: Bool = true) -> Sequential {
        precondition(classes > 0, "VGG: classes must be positive, got \(classes)")
        var rng = RNG(seed: seed)
        var features: [Layer] = []
        var channels = 3
        for entry in configuration16 {
            guard let out = entry else { features.append(MaxPool2d(kernel: 2, stride: 2)); continue }
            let conv = Conv2d(channels, out, kernel: 3, padding: .symmetric(1), weightInit: randomInit ? .kaimingNormal : .zeros, rng: &rng)
            conv.bias?.value.zero()
            features += [conv, ReLU()]
            channels = out
        }
        func linear(_ i: Int, _ o: Int) -> Linear {
            let l = Linear(i, o, weightInit: randomInit ? .gaussian(std: 0.01) : .zeros, rng: &rng)
            l.bias?.value.zero()
            return l
        }
        let classifier: [Layer] = [
            linear(512 * 7 * 7, 4096), ReLU(), Dropout(0.5, seed: seed &+ 1),
            linear(4096, 4096), ReLU(), Dropout(0.5, seed: seed &+ 2),
            linear(4096, classes),
        ]
        return Sequential([
            ("features", Sequential(features)),
            ("avgpool", AdaptiveAvgPool2d(7)),
            ("flatten", Flatten()),
            ("classifier", Sequential(classifier)),
        ])
    }
}

extension VGG {
    /// The zoo entry: the paper's VGG16 literally. Roles: classifier `classifier.6`; FC7 = `classifier.3` (Linear)
    /// + `.4` (ReLU), FC6 = `classifier.0` + `.1`; dropout `.2`/`.5` stays between them. Depths: fc7 unfreezes
    /// `classifier.3`, fc6 `classifier.0` and `.3`, all everything.
    public static let descriptor = ArchitectureDescriptor.torchvision(
        id: "vgg16", title: "VGG16",
        roles: LayerRoles(classifier: "classifier.6", top: LayerSpan(parent: "classifier", ["3", "4"]),
                          belowTop: LayerSpan(parent: "classifier", ["0", "1"])),
        minimumInputSide: 32, depthGroups: "fc7: classifier.3 · fc6: classifier.0, classifier.3 · all: everything",
        build: { build16(classes: $0, seed: $1, randomInit: $2) })
}
