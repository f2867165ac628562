import Engine
import NN
import Growth

/// ResNet-18 and ResNet-50 in torchvision's exact layout (`torchvision.models.resnet18/50`), so a
/// torchvision state dict loads by name (see `TorchvisionStateDict`).
///
/// Top level: `conv1` (7×7, stride 2, pad 3, no bias), `bn1`, `relu`, `maxpool` (3×3, stride 2, pad 1),
/// `layer1` … `layer4` (Sequentials of blocks "0", "1", …; layers 2–4 halve the resolution in their first
/// block), `avgpool` (global average → [N, C], torchvision's AdaptiveAvgPool2d(1) + flatten), `fc`.
/// Shapes: x [N, 3, H, W] → logits [N, classes]; 224 px gives a 7×7 map before `avgpool`.
///
/// Blocks (every convolution without bias, each followed by BatchNorm):
/// - BasicBlock (ResNet-18): `conv1` 3×3 (stride s), `bn1`, `relu`, `conv2` 3×3, `bn2`; ReLU after the add.
/// - Bottleneck (ResNet-50, torchvision's "v1.5"): `conv1` 1×1, `bn1`, `relu`, `conv2` 3×3 (stride s),
///   `bn2`, `relu2`, `conv3` 1×1 to 4× the width, `bn3`; ReLU after the add.
/// - `downsample` (`0` 1×1 conv with stride s, `1` BatchNorm) when the shape changes, else identity.
///
/// Init: convolutions He-normal, BatchNorm γ = 1, β = 0, `fc` PyTorch's default uniform.
public enum ResNet {
    /// The two depths built here.
    public enum Depth: Int, Sendable, CaseIterable {
        case resnet18 = 18, resnet50 = 50

        /// Blocks per stage (layer1 … layer4).
        public var blocks: [Int] { self == .resnet18 ? [2, 2, 2, 2] : [3, 4, 6, 3] }
        /// Output channels of a block relative to its base width (1 basic, 4 bottleneck).
        public var expansion: Int { self == .resnet18 ? 1 : 4 }
    }

    /// A freshly initialised ResNet of the given depth.
    ///
    /// `randomInit: false` zero-fills the weight tensors instead of drawing them, for a model whose weights
    /// will be loaded (`TorchvisionStateDict`): it skips 11.7 M (ResNet-18) or 25.6 M (ResNet-50) random draws.
    public static func build(depth: Depth, classes: Int = 1000, seed: UInt64, randomInit: Bool = true) -> Sequential {
        precondition(classes > 0, "ResNet: classes must be positive, got \(classes)")
        var rng = RNG(seed: seed)
        let convInit: Init = randomInit ? .kaimingNormal : .zeros
        var layers: [(String, Layer)] = [
            ("conv1", Conv2d(3, 64, kernel: 7, stride: 2, padding: .symmetric(3), bias: false, weightInit: convInit, rng: &rng)),
            ("bn1", BatchNorm(64)),
            ("relu", ReLU()),
            ("maxpool", MaxPool2d(kernel: 3, stride: 2, padding: 1)),
        ]
        var channels = 64
        for (stage, count) in depth.blocks.enumerated() {
            let width = 64 << stage
            var blocks: [(String, Layer)] = []
            for b in 0..<count {
                let stride = stage > 0 && b == 0 ? 2 : 1
                blocks.append((String(b), block(depth, in: channels, width: width, stride: stride, init: convInit, rng: &rng)))
                channels = width * depth.expansion
            }
            layers.append(("layer\(stage + 1)", Sequential(blocks)))
        }
        layers.append(("avgpool", GlobalAvgPool()))
        layers.append(("fc", Linear(channels, classes, weightInit: randomInit ? .kaimingUniformDefault : .zeros, rng: &rng)))
        return Sequential(layers)
    }

    /// One residual block with `in` input channels, base width `width` and the first stride `stride`.
    static func block(_ depth: Depth, in inChannels: Int, width: Int, stride: Int, init convInit: Init, rng: inout RNG) -> Residual {
        let out = width * depth.expansion
        func conv(_ i: Int, _ o: Int, _ k: Int, _ s: Int) -> Conv2d {
            Conv2d(i, o, kernel: k, stride: s, padding: .symmetric(k / 2), bias: false, weightInit: convInit, rng: &rng)
        }
        let body: [(String, Layer)]
        switch depth {
        case .resnet18:
            body = [("conv1", conv(inChannels, width, 3, stride)), ("bn1", BatchNorm(width)), ("relu", ReLU()),
                    ("conv2", conv(width, width, 3, 1)), ("bn2", BatchNorm(width))]
        case .resnet50:
            body = [("conv1", conv(inChannels, width, 1, 1)), ("bn1", BatchNorm(width)), ("relu", ReLU()),
                    ("conv2", conv(width, width, 3, stride)), ("bn2", BatchNorm(width)), ("relu2", ReLU()),
                    ("conv3", conv(width, out, 1, 1)), ("bn3", BatchNorm(out))]
        }
        let downsample = stride != 1 || inChannels != out
            ? Sequential([("0", conv(inChannels, out, 1, stride)), ("1", BatchNorm(out))]) : nil
        return Residual(body: Sequential(body), shortcut: downsample, after: ReLU(), shortcutName: "downsample", inlineBody: true)
    }
}

extension ResNet {
    /// The zoo entry. Roles: classifier `fc`; FC7 = the last stage and its pooling (`layer4, avgpool`), FC6 = `layer3`.
    /// A stage has no single producer, so WA's new units are a conv block beside it reading the stage's input
    /// (3×3 conv with the stage's stride, BatchNorm, ReLU; then the same global pooling), random init only.
    /// Depths: fc7 unfreezes `layer4`, fc6 `layer3` and `layer4`, all everything.
    public static func descriptor(_ depth: Depth) -> ArchitectureDescriptor {
        let block = NewUnitRecipe.convBlock(kernel: 3, batchNorm: true, activationCap: nil)
        return .torchvision(
            id: "resnet\(depth.rawValue)", title: "ResNet-\(depth.rawValue)",
            roles: LayerRoles(classifier: "fc", top: LayerSpan(["layer4", "avgpool"]), belowTop: LayerSpan(["layer3"]),
                              topNewUnits: block, belowTopNewUnits: block),
            minimumInputSide: 32, depthGroups: "fc7: layer4 · fc6: layer3, layer4 · all: everything",
            build: { build(depth: depth, classes: $0, seed: $1, randomInit: $2) })
    }
}
