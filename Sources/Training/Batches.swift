import Engine

/// One mini-batch: images [N, C, H, W] (or features [N, F]) and their class labels.
public struct Batch: @unchecked Sendable {
    public let inputs: Tensor
    public let labels: [Int]
    /// Set when this is already one process's share of a global batch (data parallelism): where its first row
    /// stands in the global batch, and the global batch's size.
    public let shareOf: (offset: Int, total: Int)?
    public init(inputs: Tensor, labels: [Int], shareOf: (offset: Int, total: Int)? = nil) {
        precondition(inputs.shape.first == labels.count, "Batch: \(labels.count) labels for inputs \(inputs.shape)")
        self.inputs = inputs; self.labels = labels; self.shareOf = shareOf
    }
}

/// The batches of one pass; `next()` throws what the source could not read (a corrupt image).
public struct BatchIterator {
    private let produce: () throws -> Batch?
    public init(_ produce: @escaping () throws -> Batch?) { self.produce = produce }
    public func next() throws -> Batch? { try produce() }
}

/// Something that yields the batches of one epoch (a data loader, or cached features).
public protocol BatchSource {
    /// Batches per epoch.
    var batchCount: Int { get }
    /// Examples per epoch.
    var exampleCount: Int { get }
    /// The batches of epoch `epoch` (0-based), in order, after its first `skipping` batches (a resumed run
    /// continues there without preparing them); shuffling, if any, is seeded by the epoch.
    func batches(epoch: Int, skipping: Int) -> BatchIterator
    /// Every example once in index order, without augmentation (evaluation, feature caching).
    func orderedBatches() -> BatchIterator
    /// Passes over the examples that one call of `batches(epoch:)` makes (1, except for a run of augmented views).
    var epochsPerPass: Double { get }
}

extension BatchSource {
    public var epochsPerPass: Double { 1 }
    /// Every batch of epoch `epoch`.
    public func batches(epoch: Int) -> BatchIterator { batches(epoch: epoch, skipping: 0) }
}

/// In-memory examples served in seeded shuffled (or fixed) order — cached features, small sets, tests.
public struct TensorBatches: BatchSource {
    public let inputs: Tensor
    public let labels: [Int]
    public let batchSize: Int
    public let shuffleSeed: UInt64?

    public init(inputs: Tensor, labels: [Int], batchSize: Int, shuffleSeed: UInt64?) {
        precondition(inputs.shape.first == labels.count, "TensorBatches: \(labels.count) labels for \(inputs.shape)")
        precondition(batchSize > 0, "TensorBatches: batch size must be positive")
        self.inputs = inputs; self.labels = labels; self.batchSize = batchSize; self.shuffleSeed = shuffleSeed
    }

    public var exampleCount: Int { labels.count }
    public var batchCount: Int { (labels.count + batchSize - 1) / batchSize }

    public func batches(epoch: Int, skipping: Int) -> BatchIterator {
        var order = Array(0..<labels.count)
        if let seed = shuffleSeed { var rng = RNG(seed: seed &+ UInt64(epoch) &* 0x9E37_79B9); rng.shuffle(&order) }
        return batches(Array(order.dropFirst(skipping * batchSize)))
    }

    public func orderedBatches() -> BatchIterator { batches(Array(0..<labels.count)) }

    /// At most `count` of the examples, evenly spaced (every class kept when they are grouped or interleaved by class).
    public func evenlySpaced(_ count: Int) -> TensorBatches {
        guard count < labels.count, count > 0 else { return self }
        let rows = (0..<count).map { $0 * labels.count / count }
        return TensorBatches(inputs: inputs.gatheringRows(rows), labels: rows.map { labels[$0] }, batchSize: batchSize, shuffleSeed: shuffleSeed)
    }

    func batches(_ order: [Int]) -> BatchIterator {
        var start = 0
        return BatchIterator {
            guard start < order.count else { return nil }
            let idx = Array(order[start..<Swift.min(start + batchSize, order.count)])
            start += batchSize
            return Batch(inputs: inputs.gatheringRows(idx), labels: idx.map { labels[$0] })
        }
    }
}

extension BatchSource {
    /// Every example once (`orderedBatches`), each batch passed through `transform`, gathered into one
    /// tensor with its labels; an empty source gives an empty tensor.
    public func gathered(_ transform: (Tensor) -> Tensor = { $0 }) throws -> (Tensor, [Int]) {
        try orderedBatches().gathered(transform)
    }
}

extension BatchIterator {
    /// The remaining batches, each passed through `transform`, gathered into one tensor with their labels.
    public func gathered(_ transform: (Tensor) -> Tensor = { $0 }) throws -> (Tensor, [Int]) {
        var parts: [Tensor] = [], labels: [Int] = []
        while let batch = try next() { parts.append(transform(batch.inputs)); labels += batch.labels }
        guard let first = parts.first else { return (Tensor(zeros: [0]), []) }
        let all = Tensor(uninitialized: [labels.count] + Array(first.shape.dropFirst()))
        var offset = 0
        for p in parts {
            precondition(p.shape.dropFirst() == first.shape.dropFirst(), "gathered: batch of \(p.shape) after \(first.shape)")
            (all.pointer + offset).update(from: p.pointer, count: p.count); offset += p.count
        }
        return (all, labels)
    }
}

extension Tensor {
    /// Rows `rows` of this tensor (along axis 0, in that order) as a new tensor: [N, …] → [rows.count, …].
    func gatheringRows(_ rows: [Int]) -> Tensor {
        let width = count / Swift.max(shape[0], 1)
        let out = Tensor(uninitialized: [rows.count] + Array(shape.dropFirst()))
        for (j, i) in rows.enumerated() { (out.pointer + j * width).update(from: pointer + i * width, count: width) }
        return out
    }
}
