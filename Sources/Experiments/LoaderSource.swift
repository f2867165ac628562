import Engine
import Datasets
import Training

/// A `DataLoader` seen as a training `BatchSource`.
public struct LoaderSource: BatchSource {
    public let loader: DataLoader
    /// Data parallelism: training batches hold only this process's rows, so it decodes only those.
    public let share: (rank: Int, size: Int)?
    public init(_ loader: DataLoader, share: (rank: Int, size: Int)? = nil) { self.loader = loader; self.share = share }

    public var batchCount: Int { loader.batchCount }
    public var exampleCount: Int { loader.exampleCount }

    public func batches(epoch: Int, skipping: Int) -> BatchIterator {
        Self.adapt(loader.batches(epoch: epoch, skipping: skipping, share: share))
    }
    public func orderedBatches() -> BatchIterator { Self.adapt(loader.orderedBatches()) }

    static func adapt(_ epoch: LoaderEpoch) -> BatchIterator {
        BatchIterator { try epoch.nextBatch().map { Batch(inputs: $0.images, labels: $0.labels, shareOf: $0.shareOf) } }
    }
}
