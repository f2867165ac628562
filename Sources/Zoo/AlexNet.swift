import Engine
import NN
import Growth

/// AlexNet in torchvision's exact layout (`torchvision.models.alexnet`, the "one weird trick" variant
/// with 64-192-384-256-256 channels), so a torchvision state dict loads by name (see `TorchvisionStateDict`).
///
/// Top level:
/// - `features`: "0" Conv 3→64 11×11 stride 4 pad 2, "1" ReLU, "2" MaxPool 3×3 stride 2,
///   "3" Conv 64→192 5×5 pad 2, "4" ReLU, "5" MaxPool 3/2, "6" Conv 192→384 3×3 pad 1, "7" ReLU,
///   "8" Conv 384→256 3×3 pad 1, "9" ReLU, "10" Conv 256→256 3×3 pad 1, "11" ReLU, "12" MaxPool 3/2
///   (all convolutions with bias; pools without padding, floor mode).
/// - `avgpool`: AdaptiveAvgPool2d(6×6) (identity at 224 px; replicates smaller maps).
/// - `flatten`, then `classifier`: "0" Dropout(0.5), "1" Linear 9216→4096, "2" ReLU, "3" Dropout(0.5),
///   "4" Linear 4096→4096, "5" ReLU, "6" Linear 4096→classes.
///
/// Shapes: x [N, 3, H, W] (H, W ≥ 63) → logits [N, classes].
/// Init: PyTorch's defaults, U(±1/√fan_in) for weights and biases.
public enum AlexNet {
    /// A freshly initialised AlexNet.
    ///
    /// `randomInit: false` zero-fills the weight tensors instead of drawing them, for a model whose weights
    /// will be loaded (`TorchvisionStateDict`): it skips 61 M random draws.
    public static func build(classes: Int = 1000, seed: UInt64, randomInit: Bool = true) -> Sequential {
        precondition(classes > 0, "AlexNet: classes must be positive, got \(classes)")
        var rng = RNG(seed: seed)
        let weightInit: Init = randomInit ? .kaimingUniformDefault : .zeros
        func conv(_ i: Int, _ o: Int, _ k: Int, stride: Int = 1, pad: Int) -> Conv2d {
            Conv2d(i, o, kernel: k, stride: stride, padding: .symmetric(pad), weightInit: weightInit, rng: &rng)
        }
        func linear(_ i: Int, _ o: Int) -> Linear { Linear(i, o, weightInit: weightInit, rng: &rng) }
        let features: [Layer] = [
            conv(3, 64, 11, stride: 4, pad: 2), ReLU(), MaxPool2d(kernel: 3, stride: 2),
            conv(64, 192, 5, pad: 2), ReLU(), MaxPool2d(kernel: 3, stride: 2),
            conv(192, 384, 3, pad: 1), ReLU(),
            conv(384, 256, 3, pad: 1), ReLU(),
            conv(256, 256, 3, pad: 1), ReLU(), MaxPool2d(kernel: 3, stride: 2),
        ]
        let classifier: [Layer] = [
            Dropout(0.5, seed: seed &+ 1), linear(256 * 6 * 6, 4096), ReLU(),
            Dropout(0.5, seed: seed &+ 2), linear(4096, 4096), ReLU(),
            linear(4096, classes),
        ]
        return Sequential([
            ("features", Sequential(features)),
            ("avgpool", AdaptiveAvgPool2d(6)),
            ("flatten", Flatten()),
            ("classifier", Sequential(classifier)),
        ])
    }
}

extension AlexNet {
    /// The zoo entry: the paper's AlexNet literally. Roles: classifier `classifier.6`; FC7 = `classifier.4` (Linear)
    /// + `.5` (ReLU), FC6 = `classifier.1` + `.2` (torchvision puts dropout before each FC layer). Depths: fc7
    /// unfreezes `classifier.4`, fc6 `classifier.1` and `.4`, all everything.
    public static let descriptor = ArchitectureDescriptor.torchvision(
        id: "alexnet", title: "AlexNet",
        roles: LayerRoles(classifier: "classifier.6", top: LayerSpan(parent: "classifier", ["4", "5"]),
                          belowTop: LayerSpan(parent: "classifier", ["1", "2"])),
        minimumInputSide: 63, depthGroups: "fc7: classifier.4 · fc6: classifier.1, classifier.4 · all: everything",
        build: { build(classes: $0, seed: $1, randomInit: $2) })
}
