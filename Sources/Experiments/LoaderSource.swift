import Engine
import Datasets
import Training

/// A `DataLoader` seen as a training `BatchSource`.
public struct LoaderSource: BatchSource {
    public let loader: DataLoader
    public init(_ loader: DataLoader) { self.loader = loader }

    public var batchCount: Int { loader.batchCount }
    public var exampleCount: Int { loader.exampleCount }

    public func batches(epoch: Int) -> BatchIterator { Self.adapt(loader.batches(epoch: epoch)) }
    public func orderedBatches() -> BatchIterator { Self.adapt(loader.orderedBatches()) }

    static func adapt(_ epoch: LoaderEpoch) -> BatchIterator {
        BatchIterator { try epoch.nextBatch().map { Batch(inputs: $0.images, labels: $0.labels) } }
    }
}

/// The preprocessing GrowingBrain uses for a network's input shape [C, H, W]: images are resized
/// (shorter side) to the input size when they differ, converted to C channels, scaled to [0, 1]
/// then normalised to [−1, 1]. Training adds a random crop with `padding` pixels and, if `flip`,
/// horizontal mirroring (off by default: digits and silhouettes have a handedness).
public func preprocessing(for inputShape: [Int], padding: Int = 0, flip: Bool = false, imageSize: Int? = nil) -> Preprocessing {
    let (c, side) = (inputShape[0], inputShape[1])
    return Preprocessing(resize: imageSize == side ? nil : side, crop: side, padding: padding, flip: flip, channels: c,
                         normalization: Normalization(mean: [Float](repeating: 0.5, count: c), std: [Float](repeating: 0.5, count: c)))
}
