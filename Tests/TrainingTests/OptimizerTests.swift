import XCTest
@testable import Engine
@testable import NN
@testable import Training

/// The optimizer protocol: the factory, SGD through the protocol and the trainer, state as a named map.
final class OptimizerTests: XCTestCase {
    override func setUp() { Threads.set(1); Interrupt.reset() }

    func data() -> TensorBatches {
        var rng = RNG(seed: 4)
        let x = Tensor(uninitialized: [48, 3])
        var labels: [Int] = []
        for i in 0..<48 { let l = i % 3; labels.append(l); for j in 0..<3 { x[i, j] = (j == l ? 1 : 0) + 0.3 * rng.normal() } }
        return TensorBatches(inputs: x, labels: labels, batchSize: 8, shuffleSeed: 7)
    }

    /// fc1 at lr ×10, fc2.bias without decay.
    func model() -> Sequential {
        var rng = RNG(seed: 9)
        let model = Sequential([("fc1", Linear(3, 5, rng: &rng)), ("relu", ReLU()), ("fc2", Linear(5, 3, rng: &rng))])
        for (name, p) in model.namedParameters() {
            if name.hasPrefix("fc1.") { p.lrMultiplier = 10 }
            if name == "fc2.bias" { p.decayMultiplier = 0 }
        }
        return model
    }

    func testFactoryMakesEachKindWithItsDefaults() {
        for kind in OptimizerKind.allCases {
            let optimizer = makeOptimizer(kind: kind, model: model(), learningRate: 0.1)
            XCTAssertEqual(optimizer.kind, kind)
            XCTAssertEqual(optimizer.state.kind, kind.rawValue)
            XCTAssertEqual(optimizer.parameters.map(\.name), ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"])
        }
        XCTAssertEqual((makeOptimizer(kind: .sgd, model: model(), learningRate: 0.1) as? SGD)?.weightDecay, 0)
        XCTAssertEqual((makeOptimizer(kind: .adamw, model: model(), learningRate: 0.1) as? AdamW)?.weightDecay, 0.01)
        XCTAssertEqual((makeOptimizer(kind: .sgd, model: model(), learningRate: 0.1, momentum: 0.5) as? SGD)?.momentum, 0.5)
        XCTAssertEqual(OptimizerKind(rawValue: "adamw"), .adamw)
    }

    /// The trainer driving `makeOptimizer(kind: .sgd)` through `any Optimizer`, with a step schedule, gives
    /// bit for bit the weights and momentum of the Caffe update written out per element in the old form
    /// (v ← μv + lr·m_lr·(g + wd·m_wd·w); w ← w − v) over the same batches.
    func testSGDThroughTheProtocolIsBitIdenticalToTheOldUpdate() throws {
        let schedule = StepSchedule(base: 0.05, stepSize: 7, gamma: 0.1)
        let (mu, wd): (Float, Float) = (0.9, 5e-4)
        let viaProtocol = model()
        let optimizer = makeOptimizer(kind: .sgd, model: viaProtocol, learningRate: 0.05, momentum: mu, weightDecay: wd)
        let trainer = Trainer(model: viaProtocol, optimizer: optimizer, options: .init(epochs: 3, schedule: schedule))
        try trainer.fit(data())
        XCTAssertEqual(trainer.step, 18)

        let reference = model()
        var velocity = Dictionary(uniqueKeysWithValues: reference.namedParameters().map { ($0.name, [Float](repeating: 0, count: $0.parameter.value.count)) })
        var step = 0
        for epoch in 0..<3 {
            let batches = data().batches(epoch: epoch)
            while let batch = try batches.next() {
                let loss = SoftmaxCrossEntropy.evaluate(logits: reference.forward(batch.inputs), labels: batch.labels)
                _ = reference.backward(loss.gradient)
                let base = schedule.rate(at: step)
                for (name, p) in reference.namedParameters() {
                    let lr = base * p.lrMultiplier, decay = wd * p.decayMultiplier
                    for i in 0..<p.value.count {
                        let v = mu * velocity[name]![i] + lr * (p.grad.pointer[i] + decay * p.value.pointer[i])
                        velocity[name]![i] = v
                        p.value.pointer[i] -= v
                        p.grad.pointer[i] = 0
                    }
                }
                step += 1
            }
        }
        let state = optimizer.state
        for ((name, p), (_, q)) in zip(viaProtocol.namedParameters(), reference.namedParameters()) {
            XCTAssertEqual(p.value.array, q.value.array, "\(name): weights")
            XCTAssertEqual(state.slots["velocity"]?[name]?.array, velocity[name], "\(name): momentum")
        }
    }

    func testTrainerLearnsWithAdamW() throws {
        let model = model()
        let trainer = Trainer(model: model, optimizer: makeOptimizer(kind: .adamw, model: model, learningRate: 0.01),
                              options: .init(epochs: 8, schedule: ConstantSchedule(0.01)))
        try trainer.fit(data())
        XCTAssertLessThan(trainer.curve.last!.trainLoss, trainer.curve.first!.trainLoss)
        XCTAssertGreaterThan(trainer.curve.last!.trainAccuracy, 0.9)
    }

    func testSGDStateIsTheVelocityMapAndRoundTripsThroughTheFlatForm() throws {
        let model = model()
        let sgd = SGD(model: model, learningRate: 0.1, momentum: 0.9)
        model.namedParameters().forEach { $0.parameter.grad.fill(0.5) }
        sgd.step()
        let flat = sgd.state.tensors()
        XCTAssertEqual(flat.map(\.name), ["optimizer.velocity.fc1.bias", "optimizer.velocity.fc1.weight",
                                          "optimizer.velocity.fc2.bias", "optimizer.velocity.fc2.weight"])
        let fresh = SGD(model: model, learningRate: 0.1, momentum: 0.9)
        try fresh.setState(OptimizerState(kind: "sgd", tensors: Dictionary(uniqueKeysWithValues: flat)))
        for (name, v) in sgd.velocity { XCTAssertEqual(fresh.velocity[name]?.array, v.array, name) }
        // the state is a copy: changing it leaves the optimizer alone
        sgd.state.slots["velocity"]!["fc1.weight"]!.fill(7)
        XCTAssertNotEqual(sgd.velocity["fc1.weight"]!.array[0], 7)

        var wrong = sgd.state
        wrong.slots["velocity"]!["fc2.weight"] = Tensor(zeros: [5, 3])
        XCTAssertThrowsError(try fresh.setState(wrong)) { error in
            XCTAssertTrue("\(error)".contains("velocity of fc2.weight: expected shape [3, 5] (the parameter's), got [5, 3]"), "\(error)")
        }
        // parameters without an entry start at zero; setVelocity (the old convenience) merges instead
        try fresh.setState(OptimizerState(kind: "sgd", slots: ["velocity": ["fc1.bias": Tensor(shape: [5], repeating: 1)]]))
        XCTAssertEqual(fresh.velocity["fc1.bias"]!.array, [1, 1, 1, 1, 1])
        XCTAssertTrue(fresh.velocity["fc1.weight"]!.array.allSatisfy { $0 == 0 })
        fresh.setVelocity(["fc1.weight": Tensor(shape: [5, 3], repeating: 2)])
        XCTAssertEqual(fresh.velocity["fc1.bias"]!.array, [1, 1, 1, 1, 1])
        XCTAssertEqual(fresh.velocity["fc1.weight"]!.array[0], 2)
    }

    /// Growth's use: parameter-shaped slots through a carry (here fc2 renamed to head and widened by one
    /// input, as `GrowthMap.carry` would), the step count by the name map; a new parameter starts fresh.
    func testCarriedStateFollowsAGrowthMap() throws {
        let old = model()
        let adamw = AdamW(model: old, learningRate: 0.01)
        old.namedParameters().forEach { $0.parameter.grad.fill(0.5) }
        adamw.step(); adamw.step()
        let sources = ["fc1.weight": "fc1.weight", "fc1.bias": "fc1.bias", "head.weight": "fc2.weight"]
        let carried = adamw.state.carried(by: { entries in
            var out: [String: Tensor] = [:]
            for (new, from) in sources {
                guard let t = entries[from] else { continue }
                if new == "head.weight" {
                    let wide = Tensor(zeros: [3, 6])
                    for r in 0..<3 { (wide.pointer + r * 6).update(from: t.pointer + r * 5, count: 5) }
                    out[new] = wide
                } else { out[new] = t.copy() }
            }
            out["head.bias"] = Tensor(zeros: [3])
            return out
        }, sources: sources)
        XCTAssertEqual(carried.kind, "adamw")
        XCTAssertEqual(carried.slots["step"]?["head.weight"]?.array, [2])
        XCTAssertNil(carried.slots["step"]?["head.bias"])

        var rng = RNG(seed: 1)
        let grown = Sequential([("fc1", Linear(3, 6, rng: &rng)), ("relu", ReLU()), ("head", Linear(6, 3, rng: &rng))])
        let next = AdamW(model: grown, learningRate: 0.01)
        XCTAssertThrowsError(try next.setState(carried), "fc1 is now [6, 3]") { error in
            XCTAssertTrue("\(error)".contains("exp_avg of fc1.weight: expected shape [6, 3] (the parameter's), got [5, 3]"), "\(error)")
        }
        let same = Sequential([("fc1", Linear(3, 5, rng: &rng)), ("relu", ReLU()), ("head", Linear(6, 3, rng: &rng))])
        let resumed = AdamW(model: same, learningRate: 0.01)
        try resumed.setState(carried)
        let state = resumed.state
        XCTAssertEqual(state.slots["step"]?["head.bias"]?.array, [0], "new parameter: step 0")
        XCTAssertEqual(state.slots["exp_avg"]?["head.weight"]?[0, 4], adamw.state.slots["exp_avg"]!["fc2.weight"]![0, 4])
        XCTAssertEqual(state.slots["exp_avg"]?["head.weight"]?[0, 5], 0, "new input column starts at zero")
    }
}
