import Engine
import NN

/// The benchmark networks, built exactly as `bench/pytorch_reference.py` builds them.
public enum ReferenceModels {
    /// (a) CIFAR-style CNN for 3×32×32 input, 10 classes.
    public static func cifarCNN(seed: UInt64 = 1) -> Sequential {
        var rng = RNG(seed: seed)
        func block(_ i: Int, _ o: Int) -> [Layer] {
            [Conv2d(i, o, kernel: 3, padding: .symmetric(1), bias: false, rng: &rng), BatchNorm(o), ReLU()]
        }
        return Sequential(block(3, 32) + block(32, 32) + [MaxPool2d(kernel: 2)] + block(32, 64) + block(64, 64)
                          + [MaxPool2d(kernel: 2), Flatten(), Linear(4096, 256, rng: &rng), ReLU(), Linear(256, 10, rng: &rng)])
    }

    /// (b) ResNet-18 in torchvision's layout: 7×7/2 stem, max-pool, four stages of two basic blocks.
    public static func resnet18(classes: Int = 1000, seed: UInt64 = 1) -> Sequential {
        var rng = RNG(seed: seed)
        func conv(_ i: Int, _ o: Int, _ k: Int, _ s: Int) -> Conv2d {
            Conv2d(i, o, kernel: k, stride: s, padding: .symmetric(k / 2), bias: false, weightInit: .kaimingNormal, rng: &rng)
        }
        func basicBlock(_ i: Int, _ o: Int, stride: Int) -> Sequential {
            let body = Sequential([("conv1", conv(i, o, 3, stride)), ("bn1", BatchNorm(o)), ("relu", ReLU()),
                                   ("conv2", conv(o, o, 3, 1)), ("bn2", BatchNorm(o))])
            let shortcut = (stride != 1 || i != o) ? Sequential([("0", conv(i, o, 1, stride)), ("1", BatchNorm(o))]) : nil
            return Sequential([("residual", Residual(body: body, shortcut: shortcut)), ("relu", ReLU())])
        }
        var layers: [(String, Layer)] = [("conv1", conv(3, 64, 7, 2)), ("bn1", BatchNorm(64)), ("relu", ReLU()),
                                         ("maxpool", MaxPool2d(kernel: 3, stride: 2, padding: 1))]
        var channels = 64
        for (stage, width) in [64, 128, 256, 512].enumerated() {
            let stride = stage == 0 ? 1 : 2
            layers.append(("layer\(stage + 1)", Sequential([("0", basicBlock(channels, width, stride: stride)),
                                                            ("1", basicBlock(width, width, stride: 1))])))
            channels = width
        }
        layers += [("avgpool", GlobalAvgPool()), ("fc", Linear(512, classes, rng: &rng))]
        return Sequential(layers)
    }

    /// (c) MLP head: 4096 → 1024 → ReLU → 100.
    public static func mlpHead(seed: UInt64 = 1) -> Sequential {
        var rng = RNG(seed: seed)
        return Sequential([Linear(4096, 1024, rng: &rng), ReLU(), Linear(1024, 100, rng: &rng)])
    }
}
