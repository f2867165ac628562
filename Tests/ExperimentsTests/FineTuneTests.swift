import XCTest
@testable import Engine
@testable import NN
@testable import Training
@testable import Growth
@testable import Zoo
@testable import Experiments

final class FineTuneTests: XCTestCase {
    override func setUp() { Threads.set(1) }

    /// 16×16 images: a bright square in one of four quadrants (class = quadrant) plus noise.
    func quadrants(_ n: Int, seed: UInt64) -> (Tensor, [Int]) {
        var rng = RNG(seed: seed)
        let x = Tensor(zeros: [n, 1, 16, 16])
        var labels: [Int] = []
        for i in 0..<n {
            let c = i % 4
            labels.append(c)
            let (r0, c0) = (c / 2 * 8 + rng.below(3), c % 2 * 8 + rng.below(3))
            for r in r0..<(r0 + 5) { for col in c0..<(c0 + 5) { x[i, 0, r, col] = 1 } }
            for j in 0..<256 { x.pointer[i * 256 + j] += 0.2 * rng.normal() }
        }
        return (x, labels)
    }

    /// `views` views of each image: the image itself, then copies shifted right/down by 1, 2, … pixels (wrapping).
    func bank(_ x: Tensor, _ y: [Int], views: Int) -> ViewBank {
        let (n, side) = (x.shape[0], x.shape[3])
        let passes = (0..<views).map { v -> (Tensor, [Int]) in
            let t = Tensor(zeros: x.shape)
            for i in 0..<n { for r in 0..<side { for c in 0..<side { t[i, 0, (r + v) % side, (c + v) % side] = x[i, 0, r, c] } } }
            return (t, y)
        }
        return ViewBank(passes: passes)
    }

    /// Every method at every depth that caches: training the head on cached features of every view — one cache shared
    /// by all of them — gives the same weights and accuracy as training the whole network on the views (dropout masks,
    /// view choices, steps alike).
    func testCachedFrozenFeaturesTrainExactlyLikeTheFullModelForEveryMethodAndDepth() throws {
        let source = try GrownNetwork.base(MiniAlexNet.descriptor, inputShape: [1, 16, 16], classes: 6, seed: 3)
        let (x, y) = quadrants(20, seed: 1), (tx, ty) = quadrants(16, seed: 2)
        let train = bank(x, y, views: 3)
        let test = TensorBatches(inputs: tx, labels: ty, batchSize: 256, shuffleSeed: nil)
        let shared = FeatureCache()   // as in the grid: one cache for every method and depth of a draw
        for method in GrowthMethod.allCases {
            for depth in [FineTuneDepth.new, .fc7, .fc6] {
                var config = FineTuneConfig()
                config.method = method; config.units = 16; config.depth = depth; config.budget = .iterations(8); config.batchSize = 8
                config.learningRate = 0.01
                let full = try FineTune.run(source: source, config: config, classes: 4, train: train, test: test, cacheFrozenFeatures: false, evaluations: 2)
                let cached = try FineTune.run(source: source, config: config, classes: 4, train: train, test: test, cacheFrozenFeatures: true,
                                              featureCache: shared, evaluations: 2)
                let label = "\(method.rawValue) at \(depth.rawValue)"
                XCTAssertEqual(full.steps, 8, label)
                XCTAssertEqual(cached.steps, 8, label)
                for (a, b) in zip(full.network.model.namedParameters(), cached.network.model.namedParameters()) {
                    let d = zip(a.parameter.value.array, b.parameter.value.array).map { abs($0 - $1) }.max() ?? 0
                    XCTAssertLessThanOrEqual(d, 1e-4, "\(label): \(a.name)")   // features computed in other batch sizes: summation order differs
                }
                XCTAssertEqual(full.evaluation.top1, cached.evaluation.top1, label)
                XCTAssertEqual(full.curve.count, cached.curve.count, label)
                for (a, b) in zip(full.curve, cached.curve) { XCTAssertEqual(a.trainLoss, b.trainLoss, accuracy: 1e-4, label) }
            }
        }
    }

    /// The cached features end after the mode-independent layers above the last frozen one (conv3's ReLU and pool,
    /// the flatten) but before a dropout, which must draw its masks in training.
    func testFrozenPrefixTakesTheModeIndependentLayersAboveTheLastFrozenOne() throws {
        let source = try GrownNetwork.base(MiniAlexNet.descriptor, inputShape: [1, 16, 16], classes: 6, seed: 3)
        for (depth, head) in [(FineTuneDepth.fc6, "fc6"), (.fc7, "drop6")] {
            let flat = source.model.flattened()
            try depth.apply(to: flat, roles: source.roles, newParameters: [], newLearningRateMultiplier: 10)
            let split = try XCTUnwrap(FrozenPrefix(flat), "\(depth)")
            XCTAssertEqual(flat.layers[split.headStart].0, head, "\(depth)")
            XCTAssertEqual(split.extractor.layers.last.map { String(describing: type(of: $0.1)) }, depth == .fc6 ? "Flatten" : "ReLU")
        }
    }

    func testWideningRecordsPerBlockAccuracyAndLearningPace() throws {
        let source = try GrownNetwork.base(MiniAlexNet.descriptor, inputShape: [1, 16, 16], classes: 6, seed: 3)
        let (x, y) = quadrants(32, seed: 1), (tx, ty) = quadrants(16, seed: 2)
        var config = FineTuneConfig()
        config.method = .wa; config.units = 16; config.depth = .fc7; config.budget = .iterations(12); config.batchSize = 8; config.learningRate = 0.01
        let test = TensorBatches(inputs: tx, labels: ty, batchSize: 256, shuffleSeed: nil)
        let cached = try FineTune.run(source: source, config: config, classes: 4, train: bank(x, y, views: 2), test: test, cacheFrozenFeatures: true)
        XCTAssertEqual(Set(cached.evaluation.perBlock.keys), ["old", "new"])
        XCTAssertFalse(cached.pace.isEmpty)
        XCTAssertEqual(Set(cached.pace.last!.gradient.keys), ["old", "new"])
        XCTAssertGreaterThan(cached.pace.last!.activation["new"]!, 0)
        // Fig. 6 over time: one per-block point per curve point, each block scored alone, the last one the curve's own.
        XCTAssertEqual(cached.blockCurve.map(\.step), cached.curve.map(\.step))
        XCTAssertGreaterThanOrEqual(cached.blockCurve.count, 2)
        XCTAssertTrue(cached.blockCurve.allSatisfy { Set($0.blocks.keys) == ["old", "new"] })
        XCTAssertEqual(cached.blockCurve.map(\.combined), cached.curve.compactMap(\.testAccuracy))
        // The source network is untouched by fine-tuning (growth works on a copy).
        XCTAssertEqual(source.spec.growth.count, 0)
    }

    /// Runs differ by seed in their dropout masks (not only in their draws): same seed, same weights; other seed, other weights.
    func testDropoutIsSeededPerRun() throws {
        let source = try GrownNetwork.base(MiniAlexNet.descriptor, inputShape: [1, 16, 16], classes: 6, seed: 3)
        let (x, y) = quadrants(16, seed: 1), (tx, ty) = quadrants(8, seed: 2)
        let test = TensorBatches(inputs: tx, labels: ty, batchSize: 256, shuffleSeed: nil)
        func weights(seed: UInt64) throws -> [Float] {
            var config = FineTuneConfig()
            config.method = .ft; config.depth = .fc7; config.budget = .iterations(4); config.batchSize = 16; config.learningRate = 0.01; config.seed = seed
            let outcome = try FineTune.run(source: source, config: config, classes: 4, train: bank(x, y, views: 1), test: test, cacheFrozenFeatures: true)
            return (outcome.network.model.layer(at: "fc7") as! Linear).weight.value.array
        }
        // One view, every example in each batch of 16: only dropout and the new classifier's initialisation depend on the seed.
        XCTAssertEqual(try weights(seed: 1), try weights(seed: 1))
        XCTAssertNotEqual(try weights(seed: 1), try weights(seed: 2))
    }

    func testFineTuningLearnsTheTarget() throws {
        let source = try GrownNetwork.base(MiniAlexNet.descriptor, inputShape: [1, 16, 16], classes: 6, seed: 3)
        let (x, y) = quadrants(64, seed: 1), (tx, ty) = quadrants(32, seed: 2)
        var config = FineTuneConfig()
        config.method = .da; config.units = 32; config.depth = .all; config.budget = .epochs(20); config.batchSize = 16; config.learningRate = 0.002
        let outcome = try FineTune.run(source: source, config: config, classes: 4, train: bank(x, y, views: 2),
                                       test: TensorBatches(inputs: tx, labels: ty, batchSize: 64, shuffleSeed: nil), cacheFrozenFeatures: true)
        XCTAssertGreaterThanOrEqual(outcome.evaluation.top1, 0.9)
        XCTAssertFalse(outcome.curve.isEmpty)
    }
}

/// The frozen-trunk feature cache on ImageNet architectures: caching the outputs below the first trainable
/// layer trains exactly like running the whole network (BatchNorm in the frozen part keeps its statistics).
final class ZooFeatureCacheTests: XCTestCase {
    override func setUp() { Threads.set(1) }

    func testCachedFeaturesTrainLikeTheFullNetworkOnImageNetArchitectures() throws {
        var rng = RNG(seed: 3)
        let x = Tensor(uninitialized: [12, 3, 32, 32]), tx = Tensor(uninitialized: [6, 3, 32, 32])
        for t in [x, tx] { for i in 0..<t.count { t.pointer[i] = 2 * rng.uniform() - 1 } }
        let (y, ty) = ((0..<12).map { $0 % 3 }, (0..<6).map { $0 % 3 })
        for arch in [EfficientNetLite.descriptor, ResNet.descriptor(.resnet18)] {
            let source = try GrownNetwork.base(arch, inputShape: [3, 32, 32], classes: 5, seed: 1)
            var config = FineTuneConfig()
            // DA: a new head without new BatchNorm (a fresh BatchNorm on batches of 4 amplifies float noise chaotically).
            config.method = .da; config.units = 8; config.depth = .fc7; config.budget = .epochs(2); config.batchSize = 4; config.learningRate = 0.01
            let train = ViewBank(passes: [(x, y)])
            let test = TensorBatches(inputs: tx, labels: ty, batchSize: 256, shuffleSeed: nil)
            let full = try FineTune.run(source: source, config: config, classes: 3, train: train, test: test, cacheFrozenFeatures: false, evaluations: 2)
            let cached = try FineTune.run(source: source, config: config, classes: 3, train: train, test: test, cacheFrozenFeatures: true, evaluations: 2)
            for (a, b) in zip(full.network.model.namedParameters(), cached.network.model.namedParameters()) {
                let d = zip(a.parameter.value.array, b.parameter.value.array).map { abs($0 - $1) }.max() ?? 0
                // Features computed in other batch sizes: float summation order differs, nothing more.
                XCTAssertLessThanOrEqual(d, 1e-4, "\(arch.id) \(a.name)")
            }
            XCTAssertEqual(full.evaluation.top1, cached.evaluation.top1, arch.id)
        }
    }
}
