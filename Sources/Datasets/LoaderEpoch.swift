import Foundation

/// The batches of one epoch, in order. With `prefetch > 0` a background thread prepares up to
/// `prefetch` batches ahead (decode + augment), so the training thread only waits when the loader
/// is slower than training. Abandoning the epoch (dropping this object) stops the thread.
///
/// Use `nextBatch()` to get errors thrown; the `IteratorProtocol` form returns nil at the first
/// error and keeps it in `error`, so `for batch in epoch { … }` loops must check `error` after.
public final class LoaderEpoch: IteratorProtocol, Sequence {
    private let queue: PrefetchQueue?
    private let loader: DataLoader
    private let order: [Int]
    private let epoch: Int
    private let transform: any ExampleTransform
    private var nextIndex = 0
    /// The error that ended the epoch early, if any.
    public private(set) var error: Error?

    init(loader: DataLoader, order: [Int], epoch: Int, transform: any ExampleTransform, share: (rank: Int, size: Int)? = nil) {
        self.loader = loader; self.order = order; self.epoch = epoch; self.transform = transform
        let count = loader.dropLast ? order.count / loader.batchSize : (order.count + loader.batchSize - 1) / loader.batchSize
        if loader.prefetch > 0 && count > 0 {
            let q = PrefetchQueue(capacity: loader.prefetch)
            queue = q
            let thread = Thread {
                for b in 0..<count {
                    let idx = Array(order[(b * loader.batchSize)..<Swift.min((b + 1) * loader.batchSize, order.count)])
                    let result = Result { try Self.make(idx, loader: loader, epoch: epoch, transform: transform, share: share) }
                    guard q.put(result) else { return }  // cancelled
                    if case .failure = result { break }
                }
                q.finish()
            }
            thread.name = "DataLoader prefetch"
            thread.start()
        } else {
            queue = nil
        }
        self.batchLimit = count
        self.share = share
    }

    private let batchLimit: Int
    private let share: (rank: Int, size: Int)?

    /// The batch of the examples `idx`, or with `share` only the process's rows of it.
    static func make(_ idx: [Int], loader: DataLoader, epoch: Int, transform: any ExampleTransform,
                     share: (rank: Int, size: Int)?) throws -> ImageBatch {
        guard let share else { return try loader.makeBatch(idx, epoch: epoch, transform: transform) }
        let rows = (share.rank * idx.count / share.size)..<((share.rank + 1) * idx.count / share.size)
        var batch = try loader.makeBatch(Array(idx[rows]), epoch: epoch, transform: transform)
        batch.shareOf = (rows.lowerBound, idx.count)
        return batch
    }

    deinit { queue?.cancel() }

    /// The next batch, nil after the last; throws the first decode/transform error.
    public func nextBatch() throws -> ImageBatch? {
        if let error { throw error }
        guard nextIndex < batchLimit else { return nil }
        let result: Result<ImageBatch, Error>
        if let queue {
            guard let r = queue.take() else { return nil }
            result = r
        } else {
            let bs = loader.batchSize
            let idx = Array(order[(nextIndex * bs)..<Swift.min((nextIndex + 1) * bs, order.count)])
            result = Result { try Self.make(idx, loader: loader, epoch: epoch, transform: transform, share: share) }
        }
        nextIndex += 1
        do { return try result.get() } catch { self.error = error; throw error }
    }

    public func next() -> ImageBatch? { try? nextBatch() }
}

/// A bounded FIFO between the prefetch thread and the consumer.
final class PrefetchQueue: @unchecked Sendable {  // all state is guarded by `condition`
    private let condition = NSCondition()
    private var items: [Result<ImageBatch, Error>] = []
    private var finished = false, cancelled = false
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    /// Blocks while full; false once the consumer has gone.
    func put(_ item: Result<ImageBatch, Error>) -> Bool {
        condition.lock(); defer { condition.unlock() }
        while items.count >= capacity && !cancelled { condition.wait() }
        if cancelled { return false }
        items.append(item)
        condition.broadcast()
        return true
    }

    /// Blocks while empty; nil when the producer has finished and nothing is left.
    func take() -> Result<ImageBatch, Error>? {
        condition.lock(); defer { condition.unlock() }
        while items.isEmpty && !finished { condition.wait() }
        if items.isEmpty { return nil }
        let item = items.removeFirst()
        condition.broadcast()
        return item
    }

    func finish() { condition.lock(); finished = true; condition.broadcast(); condition.unlock() }
    func cancel() { condition.lock(); cancelled = true; items.removeAll(); condition.broadcast(); condition.unlock() }
}
