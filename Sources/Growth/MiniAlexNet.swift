import Engine
import NN

/// MiniAlexNet: an AlexNet-shaped network for small grey images (28×28 Fashion-MNIST),
/// the source network of the growth experiments.
///
/// ```
/// trunk    conv1 3×3 1→32, ReLU, max-pool 2   → 32×14×14
///          conv2 3×3 32→64, ReLU, max-pool 2  → 64×7×7
///          conv3 3×3 64→128, ReLU, max-pool 2 → 128×3×3
/// flatten                                      → 1152
/// fc6      Linear 1152→512, ReLU;  drop6 Dropout 0.5
/// fc7      Linear 512→512, ReLU;   drop7 Dropout 0.5
/// fc8      Linear 512→classes (the classifier)
/// ```
/// As in AlexNet: ReLU, max pooling, two dropout-regularised FC layers, no batch normalisation.
/// `fc6` and `fc7` are blocks `Sequential[linear, relu]` so growth can put new units beside them.
public enum MiniAlexNet {
    public static let name = "mini-alexnet"

    public static func build(inputShape: [Int], classes: Int, width: Int = 512, seed: UInt64) -> Sequential {
        precondition(inputShape.count == 3, "MiniAlexNet: input shape must be [C, H, W], got \(inputShape)")
        var rng = RNG(seed: seed)
        let (c, h, w) = (inputShape[0], inputShape[1], inputShape[2])
        func conv(_ i: Int, _ o: Int) -> Conv2d {
            Conv2d(i, o, kernel: 3, padding: .symmetric(1), weightInit: .kaimingNormal, rng: &rng)
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
            ("fc6", unitBlock(Linear(flat, width, weightInit: .kaimingNormal, rng: &rng))),
            ("drop6", Dropout(0.5, seed: seed &+ 6)),
            ("fc7", unitBlock(Linear(width, width, weightInit: .kaimingNormal, rng: &rng))),
            ("drop7", Dropout(0.5, seed: seed &+ 7)),
            ("fc8", Linear(width, classes, rng: &rng)),
        ])
    }

    /// The FC block form: `Sequential[linear, relu]`.
    public static func unitBlock(_ linear: Linear) -> Sequential { Sequential([("linear", linear), ("relu", ReLU())]) }
}
