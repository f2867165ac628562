import XCTest
@testable import Engine
@testable import NN
@testable import Training

final class SGDTests: XCTestCase {
    override func setUp() { Threads.set(1) }

    /// One parameter, hand-computed Caffe updates: v ← μv + lr·m(g + wd·m_wd·w); w ← w − v.
    func testCaffeMomentumWithMultipliers() {
        var rng = RNG(seed: 1)
        let fc = Linear(weight: Tensor(shape: [1, 1], values: [2]), bias: Tensor(shape: [1], values: [1]))
        fc.weight.lrMultiplier = 10
        fc.bias!.decayMultiplier = 0
        _ = rng.next()
        let sgd = SGD(model: fc, learningRate: 0.1, momentum: 0.9, weightDecay: 0.01)
        fc.weight.grad.fill(0.5); fc.bias!.grad.fill(0.5)
        sgd.step()
        // weight: v = 0.1·10·(0.5 + 0.01·2) = 0.52 → w = 1.48 ; bias: v = 0.1·0.5 = 0.05 → b = 0.95
        XCTAssertEqual(fc.weight.value[0, 0], 1.48, accuracy: 1e-6)
        XCTAssertEqual(fc.bias!.value[0], 0.95, accuracy: 1e-6)
        XCTAssertEqual(fc.weight.grad[0, 0], 0, "step zeroes gradients")
        fc.weight.grad.fill(0.5); fc.bias!.grad.fill(0.5)
        sgd.step()
        // weight: v = 0.9·0.52 + 1·(0.5 + 0.0148) = 0.9828 → w = 0.4972
        XCTAssertEqual(fc.weight.value[0, 0], 0.4972, accuracy: 1e-5)
    }

    func testOptimizerSeesExactlyTheTrainableParameters() {
        var rng = RNG(seed: 2)
        let model = Sequential([("fc6", Linear(3, 3, rng: &rng)), ("fc7", Linear(3, 2, rng: &rng))])
        model.setTrainable(false, prefix: "fc6")
        let sgd = SGD(model: model, learningRate: 0.1)
        XCTAssertEqual(sgd.parameters.map(\.name), ["fc7.weight", "fc7.bias"])
        let frozenBefore = model.namedParameters()[0].parameter.value.array
        model.namedParameters().forEach { $0.parameter.grad.fill(1) }
        sgd.step()
        XCTAssertEqual(model.namedParameters()[0].parameter.value.array, frozenBefore)
        // unfreezing and re-collecting keeps existing momentum and adds zero slots
        let fc7Velocity = sgd.velocity["fc7.weight"]!.array
        model.setTrainable(true)
        sgd.collect(from: model)
        XCTAssertEqual(sgd.parameters.count, 4)
        XCTAssertEqual(sgd.velocity["fc7.weight"]!.array, fc7Velocity)
        XCTAssertTrue(sgd.velocity["fc6.weight"]!.array.allSatisfy { $0 == 0 })
    }

    func testSchedules() {
        let step = StepSchedule(base: 0.1, stepSize: 10, gamma: 0.1)
        XCTAssertEqual(step.rate(at: 9), 0.1, accuracy: 1e-7)
        XCTAssertEqual(step.rate(at: 10), 0.01, accuracy: 1e-8)
        let multi = MultiStepSchedule(base: 1, milestones: [30, 5], gamma: 0.5)
        XCTAssertEqual([0, 5, 29, 30].map { multi.rate(at: $0) }, [1, 0.5, 0.5, 0.25])
        let cosine = CosineSchedule(base: 1, totalSteps: 100, minimum: 0.1)
        XCTAssertEqual(cosine.rate(at: 0), 1, accuracy: 1e-6)
        XCTAssertEqual(cosine.rate(at: 50), 0.55, accuracy: 1e-6)
        XCTAssertEqual(cosine.rate(at: 200), 0.1, accuracy: 1e-6)
        let warm = WarmupSchedule(ConstantSchedule(0.4), warmupSteps: 4)
        XCTAssertEqual([0, 1, 3, 4].map { warm.rate(at: $0) }, [0.1, 0.2, 0.4, 0.4])
    }
}
