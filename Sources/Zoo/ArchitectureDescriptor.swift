import NN
import Datasets
import Growth

/// One architecture of the zoo, as data: how to build it, what input it expects, which layers play the
/// paper's roles (classifier, FC7 = the top representation layer, FC6 below it, how WA's new units are made),
/// which layers the fine-tuning depths unfreeze, and how external or older weight names map onto it.
public struct ArchitectureDescriptor: GrowableArchitecture {
    /// How images become this network's input.
    public struct Input: Sendable {
        /// Resize the shorter side to `ratio × crop` before cropping (ImageNet: 256/224); nil: resize to the crop size.
        public var resizeRatio: Double?
        /// Mirror training images at random (off for digits and silhouettes, which have a handedness).
        public var flip: Bool
        public var normalization: Normalization

        public init(resizeRatio: Double?, flip: Bool, normalization: Normalization) {
            self.resizeRatio = resizeRatio; self.flip = flip; self.normalization = normalization
        }
        /// torchvision's ImageNet recipe: shorter side to 256/224 of the crop, mirroring, ImageNet mean/std.
        public static let imagenet = Input(resizeRatio: 256.0 / 224.0, flip: true, normalization: .imagenet)
    }

    /// Weights that ship in a package the set-up fetches.
    public struct Pretrained: Sendable {
        public enum ClassNames: Sendable { case imagenet }
        /// Path under the data directory (a safetensors file or a PyTorch state dict).
        public var path: String
        public var classNames: ClassNames
        /// Where the weights come from, for `inspect` and the README.
        public var provenance: String
    }

    public let id: String
    public let title: String
    public let roles: LayerRoles
    /// [C, H, W] the network was trained at.
    public let defaultInputShape: [Int]
    /// Smallest input side the architecture accepts.
    public let minimumInputSide: Int
    public let input: Input
    /// What each fine-tuning depth unfreezes, in words (for `--help`, `inspect` and the README).
    public let depthGroups: String
    /// The packaged weights, if any (nil: users import their own with `grow import`).
    public let pretrained: Pretrained?
    /// Maps a tensor name of an external or older state dict to this architecture's name (nil: ignore the tensor).
    public let legacyNames: @Sendable (String) -> String?
    let builder: @Sendable (_ inputShape: [Int], _ classes: Int, _ seed: UInt64, _ initialize: Bool) -> Sequential

    public init(id: String, title: String, roles: LayerRoles, defaultInputShape: [Int], minimumInputSide: Int, input: Input,
                depthGroups: String, pretrained: Pretrained? = nil, legacyNames: @escaping @Sendable (String) -> String? = { $0 },
                build: @escaping @Sendable (_ inputShape: [Int], _ classes: Int, _ seed: UInt64, _ initialize: Bool) -> Sequential) {
        self.id = id; self.title = title; self.roles = roles; self.defaultInputShape = defaultInputShape
        self.minimumInputSide = minimumInputSide; self.input = input; self.depthGroups = depthGroups
        self.pretrained = pretrained
        self.legacyNames = legacyNames; self.builder = build
    }

    public func build(inputShape: [Int], classes: Int, seed: UInt64, initialize: Bool = true) throws -> Sequential {
        guard inputShape.count == 3, inputShape[0] == defaultInputShape[0], inputShape[1] >= minimumInputSide, inputShape[2] >= minimumInputSide else {
            throw ZooError("\(id) takes input [\(defaultInputShape[0]), H, W] with H, W ≥ \(minimumInputSide); got \(inputShape)")
        }
        guard classes > 0 else { throw ZooError("\(id): the classifier needs at least one class, got \(classes)") }
        return builder(inputShape, classes, seed, initialize)
    }

    /// The preprocessing of images for input side `side` (training adds `padding`-pixel shifts and, where the
    /// architecture allows, mirroring); `imageSize` is the images' own side when they all share one.
    public func preprocessing(side: Int, padding: Int = 0, imageSize: Int? = nil) -> Preprocessing {
        let resize = input.resizeRatio.map { Int(($0 * Double(side)).rounded()) } ?? (imageSize == side ? nil : side)
        return Preprocessing(resize: resize, crop: side, padding: padding, flip: input.flip, channels: defaultInputShape[0],
                             normalization: input.normalization)
    }
}

/// A zoo request that cannot be served, with what to do instead.
public struct ZooError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
