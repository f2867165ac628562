import Engine
import NN
import Datasets
import Growth

/// MiniAlexNet: an AlexNet-shaped network for small grey images (28×28 Fashion-MNIST),
/// the source network GrowingBrain pretrains itself.
///
/// ```
/// trunk    conv1 3×3 1→32, relu1, pool1 max 2   → 32×14×14
///          conv2 3×3 32→64, relu2, pool2 max 2  → 64×7×7
///          conv3 3×3 64→128, relu3, pool3 max 2 → 128×3×3
/// flatten                                       → 1152
/// fc6 Linear 1152→512, relu6, drop6 Dropout 0.5
/// fc7 Linear 512→512, relu7, drop7 Dropout 0.5
/// fc8 Linear 512→classes (the classifier)
/// ```
/// As in AlexNet: ReLU, max pooling, two dropout-regularised FC layers, no batch normalisation.
/// Roles: FC7 = `fc7, relu7`, FC6 = `fc6, relu6`, classifier `fc8`; depths fc7/fc6 unfreeze those.
public enum MiniAlexNet {
    public static let id = "mini-alexnet"

    public static let descriptor = ArchitectureDescriptor(
        id: id, title: "MiniAlexNet (AlexNet-shaped, for 28×28 grey images; trained by `grow pretrain`)",
        roles: LayerRoles(classifier: "fc8", top: LayerSpan(["fc7", "relu7"]), belowTop: LayerSpan(["fc6", "relu6"])),
        defaultInputShape: [1, 28, 28], minimumInputSide: 8,
        input: .init(resizeRatio: nil, flip: false, normalization: Normalization(mean: [0.5], std: [0.5])),
        depthGroups: "fc7: fc7 · fc6: fc6, fc7 · all: also the trunk (conv1–conv3)",
        legacyNames: { name in
            // Format-1 checkpoints held FC layers as blocks `fcK.linear.*`.
            for k in ["fc6", "fc7"] where name.hasPrefix(k + ".linear.") { return k + "." + name.dropFirst(k.count + 8) }
            return name
        },
        build: { inputShape, classes, seed, initialize in
            build(inputShape: inputShape, classes: classes, seed: seed, initialize: initialize)
        })

    /// A freshly initialised MiniAlexNet (He-normal weights), or, with `initialize: false`, zero weights for a state
    /// dict to be loaded into: every clone of a grown network builds one, and the ~1 M normal draws cost more than some
    /// frozen-depth grid runs' training.
    public static func build(inputShape: [Int], classes: Int, width: Int = 512, seed: UInt64, initialize: Bool = true) -> Sequential {
        precondition(inputShape.count == 3, "MiniAlexNet: input shape must be [C, H, W], got \(inputShape)")
        var rng = RNG(seed: seed)
        let (c, h, w) = (inputShape[0], inputShape[1], inputShape[2])
        let heNormal: Init = initialize ? .kaimingNormal : .zeros
        func conv(_ i: Int, _ o: Int) -> Conv2d {
            Conv2d(i, o, kernel: 3, padding: .symmetric(1), weightInit: heNormal, rng: &rng)
        }
        let trunk = Sequential([
            ("conv1", conv(c, 32)), ("relu1", ReLU()), ("pool1", MaxPool2d(kernel: 2)),
            ("conv2", conv(32, 64)), ("relu2", ReLU()), ("pool2", MaxPool2d(kernel: 2)),
            ("conv3", conv(64, 128)), ("relu3", ReLU()), ("pool3", MaxPool2d(kernel: 2)),
        ])
        let flat = 128 * (h / 8) * (w / 8)
        precondition(flat > 0, "MiniAlexNet: input \(inputShape) is too small (needs at least 8×8)")
        return Sequential([
            ("trunk", trunk), ("flatten", Flatten()),
            ("fc6", Linear(flat, width, weightInit: heNormal, rng: &rng)), ("relu6", ReLU()), ("drop6", Dropout(0.5, seed: seed &+ 6)),
            ("fc7", Linear(width, width, weightInit: heNormal, rng: &rng)), ("relu7", ReLU()), ("drop7", Dropout(0.5, seed: seed &+ 7)),
            ("fc8", Linear(width, classes, weightInit: initialize ? .kaimingUniformDefault : .zeros, rng: &rng)),
        ])
    }
}
