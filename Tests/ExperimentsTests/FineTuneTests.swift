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

    func testCachedFrozenFeaturesTrainExactlyLikeTheFullModel() throws {
        let source = try GrownNetwork.base(MiniAlexNet.descriptor, inputShape: [1, 16, 16], classes: 6, seed: 3)
        let (x, y) = quadrants(32, seed: 1), (tx, ty) = quadrants(16, seed: 2)
        var config = FineTuneConfig()
        config.method = .wa; config.units = 16; config.depth = .fc7; config.epochs = 3; config.batchSize = 8; config.learningRate = 0.01
        let train = TensorBatches(inputs: x, labels: y, batchSize: 8, shuffleSeed: config.seed)
        let test = TensorBatches(inputs: tx, labels: ty, batchSize: 256, shuffleSeed: nil)
        let full = try FineTune.run(source: source, config: config, classes: 4, train: train, test: test, cacheFrozenFeatures: false)
        let cached = try FineTune.run(source: source, config: config, classes: 4, train: train, test: test, cacheFrozenFeatures: true)
        XCTAssertEqual(full.steps, cached.steps)
        for (a, b) in zip(full.network.model.namedParameters(), cached.network.model.namedParameters()) {
            let d = zip(a.parameter.value.array, b.parameter.value.array).map { abs($0 - $1) }.max() ?? 0
            XCTAssertLessThanOrEqual(d, 1e-4, a.name)   // features computed in other batch sizes: float summation order differs
        }
        XCTAssertEqual(full.evaluation.top1, cached.evaluation.top1)
        XCTAssertEqual(Set(full.evaluation.perBlock.keys), ["old", "new"])
        // Learning pace was recorded for both blocks, the same with and without the cache.
        XCTAssertFalse(cached.pace.isEmpty)
        XCTAssertEqual(Set(cached.pace.last!.gradient.keys), ["old", "new"])
        XCTAssertGreaterThan(cached.pace.last!.activation["new"]!, 0)
        for (a, b) in zip(full.pace, cached.pace) { XCTAssertEqual(a.scaledActivation["old"]!, b.scaledActivation["old"]!, accuracy: 1e-4) }
        // The source network is untouched by fine-tuning (growth works on a copy).
        XCTAssertEqual(source.spec.growth.count, 0)
    }

    func testFineTuningLearnsTheTarget() throws {
        let source = try GrownNetwork.base(MiniAlexNet.descriptor, inputShape: [1, 16, 16], classes: 6, seed: 3)
        let (x, y) = quadrants(64, seed: 1), (tx, ty) = quadrants(32, seed: 2)
        var config = FineTuneConfig()
        config.method = .da; config.units = 32; config.depth = .all; config.epochs = 20; config.batchSize = 16; config.learningRate = 0.002
        let outcome = try FineTune.run(source: source, config: config, classes: 4,
                                       train: TensorBatches(inputs: x, labels: y, batchSize: 16, shuffleSeed: 1),
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
            config.method = .da; config.units = 8; config.depth = .fc7; config.epochs = 2; config.batchSize = 4; config.learningRate = 0.01
            let train = TensorBatches(inputs: x, labels: y, batchSize: 4, shuffleSeed: config.seed)
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
