import XCTest
import Foundation
@testable import Engine
@testable import NN
@testable import Training

/// A run stopped at any step and continued from what a checkpoint holds (weights, optimizer state and the
/// trainer's state, each through its file format) ends bit-identical to the uninterrupted run.
final class TrainerResumeTests: XCTestCase {
    override func setUp() { Threads.set(1); Interrupt.reset() }
    override func tearDown() { Interrupt.reset() }

    /// 80 examples, batches of 16: 5 steps per epoch.
    func data() -> TensorBatches {
        var rng = RNG(seed: 1)
        let x = Tensor(uninitialized: [80, 6])
        var labels: [Int] = []
        for i in 0..<80 {
            let l = i % 3; labels.append(l)
            for j in 0..<6 { x[i, j] = (j == l ? 1.5 : 0) + rng.normal() }
        }
        return TensorBatches(inputs: x, labels: labels, batchSize: 16, shuffleSeed: 3)
    }

    func model(seed: UInt64) -> Sequential {
        var rng = RNG(seed: seed)
        let m = Sequential([Linear(6, 12, rng: &rng), ReLU(), Dropout(0.5, seed: 0), Linear(12, 3, rng: &rng)])
        m.reseedDropout(seed)
        return m
    }

    func trainer(_ m: Sequential, evaluateEvery: Int) -> Trainer {
        Trainer(model: m, optimizer: SGD(model: m, learningRate: 0.1, momentum: 0.9, weightDecay: 5e-4),
                options: .init(epochs: 3, schedule: StepSchedule(base: 0.1, stepSize: 7), evaluateEvery: evaluateEvery))
    }

    /// Evaluation that reads the weights, so a curve that differs anywhere shows.
    func evaluation(_ m: Sequential) -> () throws -> Double {
        {
            m.setTraining(false)
            return m.forward(self.data().inputs).array.reduce(0.0) { $0 + Double($1) }
        }
    }

    func testResumeAtAnyStepEndsBitIdentical() throws {
        for evaluateEvery in [0, 2] {
            let reference = model(seed: 5)
            let full = trainer(reference, evaluateEvery: evaluateEvery)
            try full.fit(data(), evaluate: evaluation(reference))
            XCTAssertEqual(full.step, 15)

            // 0: before the first step; 3: mid-epoch; 5: an epoch's last batch; 12: mid-epoch after the decay.
            for stopAt in [0, 3, 5, 12] {
                Interrupt.reset()
                let first = model(seed: 5)
                let interrupted = trainer(first, evaluateEvery: evaluateEvery)
                if stopAt == 0 { Interrupt.request(SIGTERM) }
                interrupted.afterStep = { step in if step == stopAt { Interrupt.request(SIGTERM) } }
                XCTAssertThrowsError(try interrupted.fit(data(), evaluate: evaluation(first))) { error in
                    guard case let Trainer.Stop.interrupted(step, signal) = error else { return XCTFail("\(error)") }
                    XCTAssertEqual(step, stopAt); XCTAssertEqual(signal, SIGTERM)
                }
                Interrupt.reset()
                // What a checkpoint holds, through its formats: safetensors for tensors, JSON for the position.
                let weights = try SafeTensors.read(data: SafeTensors.data(first.stateDict()), origin: "weights")
                let moments = try SafeTensors.read(data: SafeTensors.data(interrupted.optimizer.state.tensors()), origin: "optimizer")
                let position = try JSONDecoder().decode(TrainerState.self, from: JSONEncoder().encode(interrupted.state()))

                let second = model(seed: 99)   // different initial weights and dropout streams: all must come from the state
                try second.load(weights.tensors)
                let resumed = trainer(second, evaluateEvery: evaluateEvery)
                try resumed.optimizer.setState(OptimizerState(kind: "sgd", tensors: moments.tensors))
                try resumed.restore(position)
                try resumed.fit(data(), evaluate: evaluation(second))

                XCTAssertEqual(resumed.step, full.step)
                XCTAssertEqual(resumed.curve, full.curve, "curve after a stop at step \(stopAt), evaluateEvery \(evaluateEvery)")
                for ((name, a), (_, b)) in zip(reference.stateDict(), second.stateDict()) {
                    XCTAssertEqual(a.array.map(\.bitPattern), b.array.map(\.bitPattern), "\(name) after a stop at step \(stopAt), evaluateEvery \(evaluateEvery)")
                }
            }
        }
    }

    func testRestoreRefusesADifferentSetOfDropoutLayers() {
        var rng = RNG(seed: 1)
        let plain = Sequential([Linear(6, 3, rng: &rng)])
        let t = trainer(model(seed: 1), evaluateEvery: 0)
        XCTAssertThrowsError(try Trainer(model: plain, optimizer: SGD(model: plain, learningRate: 0.1), options: t.options).restore(t.state())) {
            XCTAssertTrue("\($0)".contains("dropout layers"), "\($0)")
        }
    }

    func testNonFiniteGradientStopsBeforeTheUpdate() throws {
        let m = model(seed: 2)
        let t = trainer(m, evaluateEvery: 0)
        try t.fit(TensorBatches(inputs: data().inputs, labels: data().labels, batchSize: 80, shuffleSeed: nil))
        let before = m.stateDict().map { $0.tensor.array.map(\.bitPattern) }
        // An infinite input makes the loss NaN; the weights must stay those of the last good step.
        let bad = data().inputs.copy()
        bad.pointer[0] = .infinity
        let again = Trainer(model: m, optimizer: t.optimizer, options: .init(epochs: 1, schedule: ConstantSchedule(0.1)))
        XCTAssertThrowsError(try again.fit(TensorBatches(inputs: bad, labels: data().labels, batchSize: 80, shuffleSeed: nil))) {
            XCTAssertTrue("\($0)".contains("diverged at step 1") && "\($0)".contains("--lr"), "\($0)")
        }
        XCTAssertEqual(m.stateDict().map { $0.tensor.array.map(\.bitPattern) }, before)
    }

    /// The gradient check finds a NaN or infinity anywhere (in the 8-lane body or the tail), and only there.
    func testFirstNonFiniteGradientFindsEveryPosition() {
        var rng = RNG(seed: 1)
        let m = Sequential([Linear(7, 3, rng: &rng), Linear(3, 2, rng: &rng)])   // weights of 21 and 6 values
        XCTAssertNil(m.firstNonFiniteGradient())
        let (name, p) = m.namedParameters()[0]
        for i in [0, 9, 20] {
            for bad in [Float.nan, .infinity, -.infinity] {
                p.grad.pointer[i] = bad
                XCTAssertEqual(m.firstNonFiniteGradient(), name, "\(bad) at \(i)")
                p.grad.pointer[i] = 1e30
                XCTAssertNil(m.firstNonFiniteGradient())
            }
        }
    }
}
