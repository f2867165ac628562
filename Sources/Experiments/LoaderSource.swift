import Engine
import Datasets
import Training

/// A `DataLoader` seen as a training `BatchSource`.
public struct LoaderSource: BatchSource {
    public let loader: DataLoader
    public init(_ loader: DataLoader) { self.loader = loader }

    public var batchCount: Int { loader.batchCount }
    public var exampleCount: Int { loader.exampleCount }

    public func batches(epoch: Int, skipping: Int) -> BatchIterator { Self.adapt(loader.batches(epoch: epoch, skipping: skipping)) }
    public func orderedBatches() -> BatchIterator { Self.adapt(loader.orderedBatches()) }

    static func adapt(_ epoch: LoaderEpoch) -> BatchIterator {
        BatchIterator { try epoch.nextBatch().map { Batch(inputs: $0.images, labels: $0.labels) } }
    }
}
