import XCTest
@testable import Engine
@testable import NN
@testable import Training

final class TrainerTests: XCTestCase {
    override func setUp() { Threads.set(1); Interrupt.reset() }
    override func tearDown() { Interrupt.reset() }

    func data() -> TensorBatches {
        var rng = RNG(seed: 1)
        let x = Tensor(uninitialized: [64, 2])
        var labels: [Int] = []
        for i in 0..<64 { let l = i % 2; labels.append(l); x[i, 0] = Float(l) * 2 - 1 + 0.1 * rng.normal(); x[i, 1] = rng.normal() }
        return TensorBatches(inputs: x, labels: labels, batchSize: 16, shuffleSeed: 3)
    }

    func testFitRecordsALearningCurveAndLearns() throws {
        var rng = RNG(seed: 2)
        let model = Sequential([Linear(2, 2, rng: &rng)])
        let trainer = Trainer(model: model, optimizer: SGD(model: model, learningRate: 0.1, momentum: 0.9),
                              options: .init(epochs: 5, schedule: StepSchedule(base: 0.1, stepSize: 10)))
        let d = data()
        try trainer.fit(d, evaluate: { 0.5 })
        XCTAssertEqual(trainer.step, 20)
        XCTAssertEqual(trainer.curve.count, 5)
        XCTAssertGreaterThan(trainer.curve.last!.trainAccuracy, 0.95)
        XCTAssertLessThan(trainer.curve.last!.trainLoss, trainer.curve.first!.trainLoss)
    }

    func testNaNLossStopsWithAClearError() {
        var rng = RNG(seed: 2)
        let model = Sequential([Linear(2, 2, rng: &rng)])
        let trainer = Trainer(model: model, optimizer: SGD(model: model, learningRate: .infinity, momentum: 0.9),
                              options: .init(epochs: 50, schedule: ConstantSchedule(.infinity)))
        XCTAssertThrowsError(try trainer.fit(data())) { error in
            XCTAssertTrue("\(error)".contains("lower the learning rate"), "\(error)")
        }
    }

    func testInterruptStopsAfterTheCurrentStep() {
        var rng = RNG(seed: 2)
        let model = Sequential([Linear(2, 2, rng: &rng)])
        let trainer = Trainer(model: model, optimizer: SGD(model: model, learningRate: 0.1), options: .init(epochs: 5, schedule: ConstantSchedule(0.1)))
        trainer.afterStep = { step in if step == 3 { Interrupt.request() } }
        XCTAssertThrowsError(try trainer.fit(data())) { error in
            guard case Trainer.Stop.interrupted(let step, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(step, 3)
        }
    }
}
