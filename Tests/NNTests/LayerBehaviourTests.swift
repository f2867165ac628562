import XCTest
@testable import Engine
@testable import NN

/// What layers promise beyond their gradients.
final class LayerBehaviourTests: XCTestCase {
    override func setUp() { Threads.set(1) }

    func testL2NormScaleGivesUnitNormBlocksTimesScale() {
        let layer = L2NormScale(units: 5, initialScale: 20)
        let x = gaussianTensor([3, 5, 2, 2], seed: 1)
        let y = layer.forward(x)
        for b in 0..<3 { for p in 0..<4 {
            var s: Float = 0
            for c in 0..<5 { let v = y.pointer[(b * 5 + c) * 4 + p] / 20; s += v * v }
            XCTAssertEqual(s, 1, accuracy: 1e-5)
        } }
        XCTAssertTrue(layer.scale.value.array.allSatisfy { $0 == 20 })
        let zeros = layer.forward(Tensor(zeros: [1, 5]))
        XCTAssertTrue(zeros.array.allSatisfy { $0 == 0 }, "all-zero blocks stay finite (eps)")
    }

    func testBatchNormRunningStatisticsAndFreezing() {
        let bn = BatchNorm(2, momentum: 0.1)
        let x = Tensor(shape: [2, 2, 1, 2], values: [1, 3, 10, 10, 5, 7, 20, 30])
        _ = bn.forward(x)
        // channel 0 values 1,3,5,7: mean 4, unbiased var 20/3
        XCTAssertEqual(bn.runningMean[0], 0.4, accuracy: 1e-6)
        XCTAssertEqual(bn.runningVar[0], 0.9 + 0.1 * 20 / 3, accuracy: 1e-5)
        bn.freezeStatistics = true
        let before = bn.runningMean.array
        _ = bn.forward(x)
        XCTAssertEqual(bn.runningMean.array, before, "frozen statistics do not move in training mode")
        bn.setTraining(false)
        let y = bn.forward(x)
        XCTAssertEqual(y[0, 0, 0, 0], (1 - 0.4) / (bn.runningVar[0] + 1e-5).squareRoot(), accuracy: 1e-5)
    }

    func testDropoutIsIdentityInEvaluationAndKeepsTheExpectation() {
        let d = Dropout(0.5, seed: 1)
        let x = Tensor(shape: [1, 10_000], repeating: 1)
        let y = d.forward(x)
        let mean = y.array.reduce(0, +) / Float(y.count)
        XCTAssertEqual(mean, 1, accuracy: 0.05)
        XCTAssertTrue(y.array.allSatisfy { $0 == 0 || $0 == 2 })
        d.setTraining(false)
        XCTAssertEqual(d.forward(x).array, x.array)
    }

    /// The mask is the layer's stream drawn in order, one `uniform()` per element (so checkpoints and resumed runs
    /// keep their masks); under a data-parallel slice, the rows of the whole batch's masks this process holds.
    func testDropoutMaskIsItsStreamInOrder() {
        let x = Tensor(shape: [6, 7], repeating: 3)
        var stream = RNG(seed: 5)
        let draws = (0..<(2 * 42)).map { _ in stream.uniform() }
        let expected = draws.map { $0 < 0.3 ? Float(0) : 3 / (1 - 0.3) }
        let whole = Dropout(0.3, seed: 5)
        XCTAssertEqual(whole.forward(x).array, Array(expected.prefix(42)))
        XCTAssertEqual(whole.forward(x).array, Array(expected.suffix(42)), "the second batch continues the stream")
        let sliced = Dropout(0.3, seed: 5)
        sliced.slice = (offset: 2, total: 6)
        let rows = Tensor(shape: [3, 7], repeating: 3)
        XCTAssertEqual(sliced.forward(rows).array, Array(expected[14..<35]))
        XCTAssertEqual(sliced.forward(rows).array, Array(expected[(42 + 14)..<(42 + 35)]), "the slice skips the others' rows")
    }

    func testHierarchicalNamesFreezingAndMultipliers() {
        var rng = RNG(seed: 1)
        let model = Sequential([("trunk", Sequential([("conv1", Conv2d(1, 2, kernel: 3, rng: &rng)), ("bn1", BatchNorm(2))])),
                                ("flatten", Flatten()), ("fc7", Linear(2, 3, rng: &rng))])
        XCTAssertEqual(model.namedParameters().map(\.name),
                       ["trunk.conv1.weight", "trunk.conv1.bias", "trunk.bn1.weight", "trunk.bn1.bias", "fc7.weight", "fc7.bias"])
        XCTAssertEqual(model.namedBuffers().map(\.name), ["trunk.bn1.running_mean", "trunk.bn1.running_var"])
        XCTAssertEqual(model.setTrainable(false, prefix: "trunk"), 4)
        XCTAssertEqual(model.setTrainable(false, prefix: "trunk.conv"), 0, "prefixes match whole name components")
        XCTAssertEqual(model.namedParameters().filter(\.parameter.trainable).map(\.name), ["fc7.weight", "fc7.bias"])
        XCTAssertEqual(model.parameterCounts.trainable, 9)
        XCTAssertTrue(model.layer(at: "trunk.bn1") is BatchNorm)
    }

    func testFrozenLayersAccumulateNoGradient() {
        var rng = RNG(seed: 2)
        let fc = Linear(3, 2, rng: &rng)
        fc.setTrainable(false)
        _ = fc.forward(gaussianTensor([2, 3], seed: 1))
        _ = fc.backward(gaussianTensor([2, 2], seed: 2))
        XCTAssertTrue(fc.weight.grad.array.allSatisfy { $0 == 0 })
    }

    func testConcatAndSplitAreInverse() {
        let a = gaussianTensor([2, 3, 2, 2], seed: 1), b = gaussianTensor([2, 1, 2, 2], seed: 2)
        let c = Concat.forward([a, b])
        XCTAssertEqual(c.shape, [2, 4, 2, 2])
        let parts = Concat.split(c, widths: [3, 1])
        XCTAssertEqual(parts[0].array, a.array)
        XCTAssertEqual(parts[1].array, b.array)
    }
}
