import Engine

/// Each of n training examples as V prepared views, drawn once: view 0 is the example prepared without
/// augmentation, views 1…V−1 augmented (random shifts, crops, flips). `views` is view-major: row v·n + i
/// is view v of example i.
public struct ViewBank {
    /// [V·n, …] views, view-major.
    public let views: Tensor
    /// n labels, one per example.
    public let labels: [Int]
    public let viewCount: Int

    public init(views: Tensor, labels: [Int], viewCount: Int) {
        precondition(viewCount > 0, "ViewBank: the view count must be positive")
        precondition(!labels.isEmpty && views.shape.first == labels.count * viewCount,
                     "ViewBank: expected \(labels.count) × \(viewCount) views, got \(views.shape)")
        self.views = views; self.labels = labels; self.viewCount = viewCount
    }

    /// Stacks `passes` (V of them, each every example once in the same order, view 0 first) into a bank.
    public init(passes: [(Tensor, [Int])]) {
        precondition(!passes.isEmpty, "ViewBank: no views")
        let (first, labels) = passes[0]
        let all = Tensor(uninitialized: [first.shape[0] * passes.count] + Array(first.shape.dropFirst()))
        for (v, (x, y)) in passes.enumerated() {
            precondition(x.shape == first.shape && y == labels, "ViewBank: view \(v) has shape \(x.shape), labels differ or not \(first.shape)")
            (all.pointer + v * first.count).update(from: x.pointer, count: x.count)
        }
        self.init(views: all, labels: labels, viewCount: passes.count)
    }

    public var exampleCount: Int { labels.count }

    /// The bank of the examples at `examples` (indices into this bank), with all their views.
    public func subset(_ examples: [Int]) -> ViewBank {
        let n = labels.count
        let rows = (0..<viewCount).flatMap { v in examples.map { v * n + $0 } }
        return ViewBank(views: views.gatheringRows(rows), labels: examples.map { labels[$0] }, viewCount: viewCount)
    }

    /// View 0 (unaugmented) of the examples at `examples`, as evaluation batches.
    public func unaugmented(_ examples: [Int], batchSize: Int = 256) -> TensorBatches {
        TensorBatches(inputs: views.gatheringRows(examples), labels: examples.map { labels[$0] }, batchSize: batchSize, shuffleSeed: nil)
    }

    /// The same bank with every view passed through `transform` (e.g. frozen layers), in chunks of 256.
    public func mapped(_ transform: (Tensor) -> Tensor) throws -> ViewBank {
        let all = TensorBatches(inputs: views, labels: Array(repeating: 0, count: views.shape[0]), batchSize: 256, shuffleSeed: nil)
        let (features, _) = try all.gathered(transform)
        return ViewBank(views: features, labels: labels, viewCount: viewCount)
    }
}

/// A `ViewBank` served as one training run of `steps` batches of exactly `batchSize` samples: the examples
/// in a fresh seeded permutation per pass (passes run on across batch boundaries, so no batch is short),
/// each sample's view drawn from the run's own seeded stream. Because the bank is fixed, frozen layers can
/// be applied to every view once (`ViewBank.mapped`), and training on those features sees exactly the
/// samples that training on the images would.
public struct AugmentedViews: BatchSource {
    public let bank: ViewBank
    public let batchSize: Int
    /// Batches in the run.
    public let steps: Int
    /// Seeds the pass permutations and the view choices.
    public let seed: UInt64

    public init(_ bank: ViewBank, batchSize: Int, steps: Int, seed: UInt64) {
        precondition(batchSize > 0 && steps > 0, "AugmentedViews: batch size and steps must be positive")
        self.bank = bank; self.batchSize = batchSize; self.steps = steps; self.seed = seed
    }

    var views: Tensor { bank.views }
    var labels: [Int] { bank.labels }
    var viewCount: Int { bank.viewCount }

    public var batchCount: Int { steps }
    public var exampleCount: Int { labels.count }
    /// Passes over the n examples that the run makes.
    public var epochsPerPass: Double { Double(steps * batchSize) / Double(labels.count) }

    /// The run's (view row, label) of every sample, in order; `epoch` > 0 continues with fresh draws.
    public func samples(epoch: Int = 0) -> [(row: Int, label: Int)] {
        let n = labels.count, total = steps * batchSize
        let runSeed = mix(seed, UInt64(epoch), 0x5649_4557)   // "VIEW"
        var viewRNG = RNG(seed: mix(runSeed, 1))
        var out: [(row: Int, label: Int)] = []
        out.reserveCapacity(total)
        var pass = 0
        while out.count < total {
            var order = Array(0..<n)
            var rng = RNG(seed: mix(runSeed, 2, UInt64(pass)))
            rng.shuffle(&order)
            for i in order where out.count < total {
                let v = viewCount == 1 ? 0 : viewRNG.below(viewCount)
                out.append((v * n + i, labels[i]))
            }
            pass += 1
        }
        return out
    }

    public func batches(epoch: Int, skipping: Int) -> BatchIterator {
        let samples = self.samples(epoch: epoch).dropFirst(skipping * batchSize)
        return rows(samples.map(\.row), labels: samples.map(\.label))
    }

    /// View 0 (unaugmented) of every example, in order.
    public func orderedBatches() -> BatchIterator { rows(Array(0..<labels.count), labels: labels) }

    func rows(_ rows: [Int], labels rowLabels: [Int]) -> BatchIterator {
        var start = 0
        return BatchIterator {
            guard start < rows.count else { return nil }
            let end = Swift.min(start + batchSize, rows.count)
            defer { start = end }
            return Batch(inputs: views.gatheringRows(Array(rows[start..<end])), labels: Array(rowLabels[start..<end]))
        }
    }
}
