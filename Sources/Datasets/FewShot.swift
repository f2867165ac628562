import Engine

/// The examples drawn for one few-shot experiment: `shots` training examples per class and a
/// class-balanced test split that never shares an example with them.
///
/// Splits are by example index (by image). Sets with near-duplicates — Animal-MNIST has 9,716
/// unique images out of 10,000, and more after light augmentation — can therefore have an image
/// in training and a near-copy of it in the test split; that leakage is small and is the same
/// for every method compared on one draw.
public struct FewShotDraw: Sendable, Equatable {
    public let shots: Int
    public let seed: UInt64
    /// Training indices per class, in draw order.
    public let trainByClass: [[Int]]
    /// Test indices per class, in draw order.
    public let testByClass: [[Int]]

    /// All training indices, class after class.
    public var train: [Int] { trainByClass.flatMap { $0 } }
    /// All test indices, class after class.
    public var test: [Int] { testByClass.flatMap { $0 } }

    /// Which examples were taken, one line per class (indices sorted), for `grow data show`.
    public func report(classNames: [String]) -> String {
        var lines = ["few-shot draw: \(shots) per class for training, seed \(seed); test: \(testByClass.map(\.count).reduce(0, +)) held out"]
        for (c, idx) in trainByClass.enumerated() {
            lines.append("  \(classNames[c]): \(idx.sorted().map(String.init).joined(separator: " "))")
        }
        return lines.joined(separator: "\n")
    }
}

/// Stratified, seeded few-shot sampling.
public enum FewShotSampler {
    /// Draws `shots` training examples per class and `testPerClass` test examples per class from
    /// the rest (`nil`: as many as every class can give, so the split stays class-balanced).
    ///
    /// Each class's examples are shuffled once by a generator derived from (`seed`, class); training
    /// takes the front of that order and the test split the back. So, for one seed, the k-shot
    /// training set is contained in the (k+1)-shot one, and a fixed `testPerClass` gives the same
    /// test split for every k: sweeps over k compare like with like.
    /// Refuses, before anything trains, a set with fewer than 2 classes, a label outside the classes, or a class
    /// too small for the draw, naming the class (by `classNames` when given) and the fix.
    public static func draw(labels: [Int], classCount: Int, shots: Int, testPerClass: Int? = nil,
                            seed: UInt64, source: String = "data set", classNames: [String]? = nil) throws -> FewShotDraw {
        precondition(shots > 0, "FewShotSampler: shots must be positive")
        func name(_ c: Int) -> String { classNames.flatMap { c < $0.count ? "'\($0[c])'" : nil } ?? "\(c)" }
        guard classCount >= 2 else {
            throw DatasetError(source, "\(classCount) class\(classCount == 1 ? " (\(name(0)))" : "es"); a classifier needs at least 2: "
                               + "add a folder (or label) for each other class")
        }
        var byClass = [[Int]](repeating: [], count: classCount)
        for (i, y) in labels.enumerated() {
            guard y >= 0 && y < classCount else {
                throw DatasetError(source, "example \(i) has label \(y), outside the \(classCount) classes 0…\(classCount - 1); fix the labels")
            }
            byClass[y].append(i)
        }
        let smallest = byClass.map(\.count).min() ?? 0
        let testNeeded = testPerClass ?? 1
        if let c = byClass.firstIndex(where: { $0.count < shots + testNeeded }) {
            let n = byClass[c].count
            let fix = n > testNeeded ? "lower --shots to \(n - testNeeded) or below, or add images to class \(name(c))" : "add images to class \(name(c))"
            throw DatasetError(source, "class \(name(c)) has \(n) example\(n == 1 ? "" : "s"), too few for \(shots) training "
                               + "+ \(testPerClass.map(String.init) ?? "≥ 1") test examples per class; \(fix)")
        }
        let test = testPerClass ?? (smallest - shots)
        let base = RNG(seed: seed)
        var train = [[Int]](), held = [[Int]]()
        for (c, indices) in byClass.enumerated() {
            var order = indices
            var rng = base.derived("few-shot class \(c)")
            rng.shuffle(&order)
            train.append(Array(order.prefix(shots)))
            held.append(Array(order.suffix(test)))
        }
        return FewShotDraw(shots: shots, seed: seed, trainByClass: train, testByClass: held)
    }

    /// `draw(labels:…)` for a data set.
    public static func draw(_ dataset: any ImageDataset, shots: Int, testPerClass: Int? = nil, seed: UInt64) throws -> FewShotDraw {
        try draw(labels: dataset.labels, classCount: dataset.classNames.count, shots: shots,
                 testPerClass: testPerClass, seed: seed, source: dataset.name, classNames: dataset.classNames)
    }
}

/// A stratified train/test split for sets that come without one (Animal-MNIST, MNIST-5k, folders).
public enum TrainTestSplit {
    /// Puts `round(testFraction × n_c)` examples of each class `c` in the test split, chosen by a
    /// seeded shuffle; the rest (in index order) form the training split. Split by image.
    public static func stratified(labels: [Int], classCount: Int, testFraction: Double, seed: UInt64) -> (train: [Int], test: [Int]) {
        precondition(testFraction >= 0 && testFraction <= 1, "TrainTestSplit: testFraction \(testFraction) outside 0…1")
        var byClass = [[Int]](repeating: [], count: classCount)
        for (i, y) in labels.enumerated() { byClass[y].append(i) }
        let base = RNG(seed: seed)
        var isTest = [Bool](repeating: false, count: labels.count)
        for (c, indices) in byClass.enumerated() {
            var order = indices
            var rng = base.derived("split class \(c)")
            rng.shuffle(&order)
            for i in order.prefix(Int((Double(indices.count) * testFraction).rounded())) { isTest[i] = true }
        }
        return (labels.indices.filter { !isTest[$0] }, labels.indices.filter { isTest[$0] })
    }
}

/// A view of some examples of another data set, by index.
public struct Subset: ImageDataset {
    public let base: any ImageDataset
    public let indices: [Int]
    public let name: String

    /// Example `i` of the subset is example `indices[i]` of `base`.
    public init(_ base: any ImageDataset, indices: [Int], name: String? = nil) {
        precondition(indices.allSatisfy { $0 >= 0 && $0 < base.count }, "Subset: index out of range 0..<\(base.count)")
        self.base = base; self.indices = indices
        self.name = name ?? "\(base.name) (subset of \(indices.count))"
    }

    public var count: Int { indices.count }
    public var classNames: [String] { base.classNames }
    public func label(at index: Int) -> Int { base.label(at: indices[index]) }
    public func image(at index: Int) throws -> Image { try base.image(at: indices[index]) }
}
