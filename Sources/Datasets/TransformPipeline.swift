import Engine

/// Per-channel normalisation applied when bytes become floats: `(v/255 − mean[c]) / std[c]`.
public struct Normalization: Sendable, Equatable {
    public let mean: [Float], std: [Float]

    public init(mean: [Float], std: [Float]) {
        precondition(mean.count == std.count && std.allSatisfy { $0 > 0 }, "Normalization: mean \(mean), std \(std)")
        self.mean = mean; self.std = std
    }

    /// Values scaled to [0, 1] only.
    public static func unit(channels: Int) -> Normalization {
        Normalization(mean: [Float](repeating: 0, count: channels), std: [Float](repeating: 1, count: channels))
    }
    /// The ImageNet statistics that ImageNet-pretrained networks expect.
    public static let imagenet = Normalization(mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225])
}

/// Turns one decoded image into the network input: floats in CHW order, always `outputShape`.
public protocol ExampleTransform: Sendable {
    /// [C, H, W] of every output.
    var outputShape: [Int] { get }
    /// Writes the transformed image into `out` (outputShape's element count). Throws when the image
    /// does not come out at `outputShape` (e.g. mixed sizes with no resize or crop).
    func apply(_ image: Image, rng: inout RNG, into out: UnsafeMutablePointer<Float>) throws
}

extension ExampleTransform {
    /// The transformed image as a [C, H, W] tensor (tests, one-off use; the loader writes in place).
    public func callAsFunction(_ image: Image, rng: inout RNG) throws -> Tensor {
        let t = Tensor(uninitialized: outputShape)
        try apply(image, rng: &rng, into: t.pointer)
        return t
    }
}

/// Image steps in order, then to-tensor with normalisation.
public struct TransformPipeline: ExampleTransform {
    public let steps: [any ImageTransform]
    public let normalization: Normalization
    public let outputShape: [Int]

    public init(_ steps: [any ImageTransform], outputShape: [Int], normalization: Normalization? = nil) {
        precondition(outputShape.count == 3, "TransformPipeline: outputShape \(outputShape) must be [C, H, W]")
        let n = normalization ?? .unit(channels: outputShape[0])
        precondition(n.mean.count == outputShape[0], "TransformPipeline: \(n.mean.count)-channel normalisation for \(outputShape)")
        self.steps = steps; self.outputShape = outputShape; self.normalization = n
    }

    public func apply(_ image: Image, rng: inout RNG, into out: UnsafeMutablePointer<Float>) throws {
        var img = image
        for step in steps { img = step.apply(img, rng: &rng) }
        guard [img.channels, img.height, img.width] == outputShape else {
            throw DatasetError("transform", "image is \(img.shape) after the transforms, the network input is "
                               + "\(outputShape.map(String.init).joined(separator: "×")) (C×H×W); add a resize/crop or channel conversion")
        }
        ToTensor.write(img, normalization: normalization, into: out)
    }
}

/// HWC bytes → normalised CHW floats.
public enum ToTensor {
    public static func write(_ img: Image, normalization: Normalization, into out: UnsafeMutablePointer<Float>) {
        let c = img.channels, plane = img.width * img.height
        img.pixels.withUnsafeBufferPointer { src in
            for ch in 0..<c {
                let scale = 1 / (255 * normalization.std[ch]), shift = normalization.mean[ch] / normalization.std[ch]
                let dst = out + ch * plane
                for p in 0..<plane { dst[p] = Float(src[p * c + ch]) * scale - shift }
            }
        }
    }
}

/// The preprocessing of the paper's protocol, shared by its training and evaluation transforms:
/// resize the shorter side to `resize` (if set), then a `crop`×`crop` window — random (with
/// `padding`) and randomly mirrored for training, centred for evaluation.
public struct Preprocessing: Sendable {
    public var resize: Int?
    public var crop: Int
    public var padding: Int
    public var flip: Bool
    public var channels: Int
    public var normalization: Normalization

    /// E.g. ImageNet-style: `Preprocessing(resize: 256, crop: 224, channels: 3, normalization: .imagenet)`;
    /// 28×28 sets: `Preprocessing(crop: 28, padding: 2, channels: 1)` (set `flip: false` for digits).
    public init(resize: Int? = nil, crop: Int, padding: Int = 0, flip: Bool = true, channels: Int,
                normalization: Normalization? = nil) {
        self.resize = resize; self.crop = crop; self.padding = padding; self.flip = flip
        self.channels = channels
        self.normalization = normalization ?? .unit(channels: channels)
    }

    var outputShape: [Int] { [channels, crop, crop] }
    var resizeStep: [any ImageTransform] { resize.map { [Resize(shorterSide: $0)] } ?? [] }
}

/// Training transform of the paper's protocol: resize, random crop, random horizontal flip.
public struct TrainTransform: ExampleTransform {
    public let pipeline: TransformPipeline
    public init(_ p: Preprocessing) {
        let augment: [any ImageTransform] = [RandomCrop(p.crop, padding: p.padding)] + (p.flip ? [RandomHorizontalFlip()] : [])
        pipeline = TransformPipeline(p.resizeStep + augment + [ConvertChannels(p.channels)],
                                     outputShape: p.outputShape, normalization: p.normalization)
    }
    public var outputShape: [Int] { pipeline.outputShape }
    public func apply(_ image: Image, rng: inout RNG, into out: UnsafeMutablePointer<Float>) throws {
        try pipeline.apply(image, rng: &rng, into: out)
    }
}

/// Evaluation transform of the paper's protocol: resize, centre crop; no randomness.
public struct EvalTransform: ExampleTransform {
    public let pipeline: TransformPipeline
    public init(_ p: Preprocessing) {
        pipeline = TransformPipeline(p.resizeStep + [CenterCrop(p.crop), ConvertChannels(p.channels)],
                                     outputShape: p.outputShape, normalization: p.normalization)
    }
    public var outputShape: [Int] { pipeline.outputShape }
    public func apply(_ image: Image, rng: inout RNG, into out: UnsafeMutablePointer<Float>) throws {
        try pipeline.apply(image, rng: &rng, into: out)
    }
}
