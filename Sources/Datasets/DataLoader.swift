import Foundation
import Engine

/// One mini-batch from a `DataLoader`.
public struct ImageBatch: Sendable {
    /// [N, C, H, W] float32.
    public let images: Tensor
    public let labels: [Int]
    /// The data set index of each example.
    public let indices: [Int]
    /// For a process's share of a batch (data parallelism): its first row's place in the whole batch, and the
    /// whole batch's size.
    public var shareOf: (offset: Int, total: Int)?
}

/// Batches of transformed images from a data set: per-epoch seeded shuffling, decoding and
/// augmentation off the training thread (see `LoaderEpoch`), and bounded memory: only the batches
/// in flight exist as floats.
///
/// Deterministic: example `i` of epoch `e` is augmented with a generator derived from
/// (seed, e, i) alone, and the epoch's order from (seed, e), so the batches are identical whatever
/// the prefetch depth, thread count or timing.
public final class DataLoader: Sendable {
    public let dataset: any ImageDataset
    /// The examples served (all of the data set by default; e.g. a few-shot draw's `train`).
    public let indices: [Int]
    public let batchSize: Int
    public let transform: any ExampleTransform
    /// Used by `orderedBatches()` (evaluation, feature caching); `transform` when nil.
    public let evaluationTransform: (any ExampleTransform)?
    public let shuffle: Bool
    public let dropLast: Bool
    public let seed: UInt64
    /// Batches prepared ahead on a background thread (0: prepare each batch when asked).
    public let prefetch: Int
    /// Threads decoding the examples of one batch in parallel.
    public let decodeThreads: Int

    public init(_ dataset: any ImageDataset, indices: [Int]? = nil, batchSize: Int, transform: any ExampleTransform,
                evaluationTransform: (any ExampleTransform)? = nil, shuffle: Bool = true, dropLast: Bool = false,
                seed: UInt64 = 0, prefetch: Int = 2, decodeThreads: Int = Threads.count) {
        precondition(batchSize > 0, "DataLoader: batch size must be positive")
        let indices = indices ?? Array(0..<dataset.count)
        precondition(indices.allSatisfy { $0 >= 0 && $0 < dataset.count }, "DataLoader: an index is outside 0..<\(dataset.count)")
        if let e = evaluationTransform {
            precondition(e.outputShape == transform.outputShape, "DataLoader: evaluation shape \(e.outputShape) ≠ \(transform.outputShape)")
        }
        self.dataset = dataset; self.indices = indices; self.batchSize = batchSize
        self.transform = transform; self.evaluationTransform = evaluationTransform
        self.shuffle = shuffle; self.dropLast = dropLast; self.seed = seed
        self.prefetch = Swift.max(0, prefetch); self.decodeThreads = Swift.max(1, decodeThreads)
    }

    /// Examples per epoch.
    public var exampleCount: Int { indices.count }
    /// Batches per epoch (the last may be smaller unless `dropLast`).
    public var batchCount: Int { dropLast ? indices.count / batchSize : (indices.count + batchSize - 1) / batchSize }
    /// [C, H, W] of each example.
    public var exampleShape: [Int] { transform.outputShape }

    /// The example order of `epoch`: shuffled by a generator derived from (seed, epoch) if `shuffle`.
    public func order(epoch: Int) -> [Int] {
        guard shuffle else { return indices }
        var order = indices
        var rng = RNG(seed: mix(seed, UInt64(bitPattern: Int64(epoch)), 0x5348_5546))  // "SHUF"
        rng.shuffle(&order)
        return order
    }

    /// The batches of `epoch` (0-based) after its first `skipping` ones, prepared ahead in the background. With `share`
    /// (data parallelism) only rows rank·B/size ..< (rank+1)·B/size of each batch of B are prepared.
    public func batches(epoch: Int, skipping: Int = 0, share: (rank: Int, size: Int)? = nil) -> LoaderEpoch {
        LoaderEpoch(loader: self, order: Array(order(epoch: epoch).dropFirst(skipping * batchSize)), epoch: epoch, transform: transform,
                    share: share)
    }

    /// Every example once, in `indices` order, with `evaluationTransform` (no shuffling).
    public func orderedBatches() -> LoaderEpoch {
        LoaderEpoch(loader: self, order: indices, epoch: -1, transform: evaluationTransform ?? transform)
    }

    /// Decodes and transforms the examples `idx` into one batch (decoding in parallel).
    /// Errors name the file (folders) or the data set and index.
    public func makeBatch(_ idx: [Int], epoch: Int, transform: (any ExampleTransform)? = nil) throws -> ImageBatch {
        let t = transform ?? self.transform
        let shape = t.outputShape
        let per = shape.reduce(1, *)
        let images = Tensor(uninitialized: [idx.count] + shape)
        let failures = UnsafeMutableBufferPointer<Error?>.allocate(capacity: idx.count)
        failures.initialize(repeating: nil)
        defer { failures.deinitialize(); failures.deallocate() }
        let out = UncheckedSendable((images.pointer, failures))
        let workers = Swift.max(1, Swift.min(decodeThreads, idx.count))
        let (dataset, seed) = (self.dataset, self.seed)
        let work = { @Sendable (w: Int) in
            let (base, fails) = out.value
            for j in (idx.count * w / workers)..<(idx.count * (w + 1) / workers) {  // disjoint slots per worker
                let i = idx[j]
                do {
                    var rng = RNG(seed: mix(seed, UInt64(bitPattern: Int64(epoch)), UInt64(i)))
                    try t.apply(try dataset.image(at: i), rng: &rng, into: base + j * per)
                } catch let e as DatasetError where e.file == "transform" {  // shape errors name no file: name the example
                    fails[j] = DatasetError("\(dataset.name) #\(i)", e.problem)
                } catch {
                    fails[j] = error
                }
            }
        }
        if workers > 1 { DispatchQueue.concurrentPerform(iterations: workers, execute: work) } else { work(0) }
        if let e = failures.lazy.compactMap({ $0 }).first { throw e }
        return ImageBatch(images: images, labels: idx.map { dataset.label(at: $0) }, indices: idx)
    }
}
