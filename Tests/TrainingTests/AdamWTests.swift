import XCTest
@testable import Engine
@testable import NN
@testable import Training

/// AdamW against PyTorch 2.13's `torch.optim.AdamW` (fixture made by scripts/make_adamw_fixture.py):
/// fc1 Linear(6→8)–ReLU–fc2 Linear(8→4), cross-entropy; fc1 at lr ×10, fc2.bias without decay;
/// three steps. Losses, every parameter after every step and the moments after the last must match
/// within `tolerance` of each tensor's scale (max |PyTorch value|).
final class AdamWTests: XCTestCase {
    override func setUp() { Threads.set(1) }

    static let tolerance: Float = 1e-5
    static let learningRate: Float = 0.01, weightDecay: Float = 0.1
    static let parameterNames = ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]

    func fixture() throws -> [String: Tensor] {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "adamw_reference", withExtension: "safetensors", subdirectory: "Fixtures"),
                                "missing fixture: run /work/torchenv/bin/python scripts/make_adamw_fixture.py")
        return try SafeTensors.read(contentsOf: url).tensors
    }

    /// The fixture's model with its initial weights and the parameter groups as multipliers.
    func model(_ f: [String: Tensor]) throws -> Sequential {
        var rng = RNG(seed: 0)   // weights are overwritten from the fixture
        let model = Sequential([("fc1", Linear(6, 8, rng: &rng)), ("relu", ReLU()), ("fc2", Linear(8, 4, rng: &rng))])
        try model.load(f.filter { Self.parameterNames.contains($0.key) }, origin: "adamw_reference.safetensors")
        for (name, p) in model.namedParameters() {
            if name.hasPrefix("fc1.") { p.lrMultiplier = 10 }
            if name == "fc2.bias" { p.decayMultiplier = 0 }
        }
        return model
    }

    /// One comparison: max |ours − PyTorch| relative to max |PyTorch|, with the worst element.
    struct Difference {
        var what: String, relative: Float, index: Int, ours: Float, reference: Float
        var message: String { "\(what): max |diff| \(relative) of the tensor's scale at \(index) (ours \(ours), PyTorch \(reference))" }
    }

    func difference(_ a: Tensor, _ b: Tensor, _ what: String) -> Difference {
        precondition(a.shape == b.shape, "\(what): ours \(a.shape), PyTorch \(b.shape)")
        var worst: Float = -1, at = 0, scale: Float = .leastNormalMagnitude
        for i in 0..<b.count { scale = max(scale, abs(b.pointer[i])) }
        for i in 0..<b.count where abs(a.pointer[i] - b.pointer[i]) > worst { worst = abs(a.pointer[i] - b.pointer[i]); at = i }
        return Difference(what: what, relative: worst / scale, index: at, ours: a.pointer[at], reference: b.pointer[at])
    }

    /// Runs three AdamW steps with the given hyperparameters; every comparison against the fixture.
    func threeSteps(beta2: Double = 0.999, weightDecay: Float = weightDecay) throws -> [Difference] {
        let f = try fixture()
        let model = try model(f)
        let x = try XCTUnwrap(f["input"]), labels = try XCTUnwrap(f["labels"]).array.map { Int($0) }
        let adamw = AdamW(model: model, learningRate: Self.learningRate, betas: (0.9, beta2), epsilon: 1e-8, weightDecay: weightDecay)
        var out: [Difference] = []
        for k in 1...3 {
            let loss = SoftmaxCrossEntropy.evaluate(logits: model.forward(x), labels: labels)
            out.append(difference(Tensor(shape: [1], values: [loss.loss]), try XCTUnwrap(f["step\(k).loss"]), "step\(k).loss"))
            _ = model.backward(loss.gradient)
            adamw.step()
            for (name, p) in model.namedParameters() { out.append(difference(p.value, try XCTUnwrap(f["step\(k).\(name)"]), "step\(k).\(name)")) }
        }
        let state = adamw.state
        for slot in ["exp_avg", "exp_avg_sq"] {
            for name in Self.parameterNames {
                out.append(difference(try XCTUnwrap(state.slots[slot]?[name]), try XCTUnwrap(f["step3.\(slot).\(name)"]), "step3.\(slot).\(name)"))
            }
        }
        XCTAssertEqual(state.slots["step"]?["fc1.weight"]?.array, [3])
        return out
    }

    func testThreeStepsMatchPyTorch() throws {
        let differences = try threeSteps()
        XCTAssertEqual(differences.count, 3 + 3 * 4 + 2 * 4)
        for d in differences { XCTAssertLessThanOrEqual(d.relative, Self.tolerance, d.message) }
        for (group, test) in [("loss", { (w: String) in w.hasSuffix(".loss") }), ("moments", { $0.contains(".exp_avg") }),
                              ("parameters", { !$0.hasSuffix(".loss") && !$0.contains(".exp_avg") })] {
            let worst = differences.filter { test($0.what) }.max { $0.relative < $1.relative }!
            print("AdamW vs PyTorch, worst of \(group): \(worst.message)")
        }
    }

    func testAMutatedHyperparameterIsCaught() throws {
        for (what, mutated) in [("β2 = 0.99", try threeSteps(beta2: 0.99)), ("weight decay 0.05", try threeSteps(weightDecay: 0.05))] {
            // on the parameters alone, not only the moments
            let worst = mutated.filter { !$0.what.contains(".exp_avg") }.max { $0.relative < $1.relative }!
            XCTAssertGreaterThan(worst.relative, 10 * Self.tolerance, "\(what) should not match PyTorch: \(worst.message)")
            print("AdamW with \(what) vs PyTorch: \(worst.message)")
        }
    }

    func testOptimizerSeesExactlyTheTrainableParametersAndKeepsStateOnRecollect() throws {
        let model = try model(try fixture())
        _ = model.setTrainable(false, prefix: "fc1")
        let adamw = AdamW(model: model, learningRate: 0.01)
        XCTAssertEqual(adamw.parameters.map(\.name), ["fc2.weight", "fc2.bias"])
        let frozen = model.namedParameters()[0].parameter.value.array
        model.namedParameters().forEach { $0.parameter.grad.fill(1) }
        adamw.step()
        XCTAssertEqual(model.namedParameters()[0].parameter.value.array, frozen, "a frozen parameter is not updated")
        XCTAssertEqual(Set(adamw.state.slots["exp_avg"]!.keys), ["fc2.weight", "fc2.bias"])
        let kept = adamw.state.slots["exp_avg"]!["fc2.weight"]!.array
        _ = model.setTrainable(true)
        adamw.collect(from: model)
        XCTAssertEqual(adamw.parameters.count, 4)
        XCTAssertEqual(adamw.state.slots["exp_avg"]!["fc2.weight"]!.array, kept, "state of a remaining parameter is kept")
        XCTAssertEqual(adamw.state.slots["step"]!["fc2.weight"]!.array, [1])
        XCTAssertEqual(adamw.state.slots["step"]!["fc1.weight"]!.array, [0], "a new parameter starts fresh")
        XCTAssertTrue(adamw.state.slots["exp_avg_sq"]!["fc1.weight"]!.array.allSatisfy { $0 == 0 })
    }

    /// Two steps, the state through the flat checkpoint form into a fresh optimizer, a third step:
    /// bit-identical to three uninterrupted steps.
    func testStateRoundTripsThroughTheFlatFormAndResumesBitIdentically() throws {
        let f = try fixture()
        let x = try XCTUnwrap(f["input"]), labels = try XCTUnwrap(f["labels"]).array.map { Int($0) }
        func train(_ model: Sequential, _ optimizer: any Optimizer, steps: Int) {
            for _ in 0..<steps {
                _ = model.backward(SoftmaxCrossEntropy.evaluate(logits: model.forward(x), labels: labels).gradient)
                optimizer.step()
            }
        }
        let straight = try model(f)
        train(straight, AdamW(model: straight, learningRate: 0.01), steps: 3)

        let resumed = try model(f)
        let first = AdamW(model: resumed, learningRate: 0.01)
        train(resumed, first, steps: 2)
        let flat = first.state.tensors()
        XCTAssertEqual(flat.count, 3 * 4)
        XCTAssertTrue(flat.contains { $0.name == "optimizer.exp_avg_sq.fc1.weight" }, "\(flat.map(\.name))")
        var file = Dictionary(uniqueKeysWithValues: flat)
        file["fc1.weight"] = Tensor(zeros: [8, 6])   // weights in the same file are skipped
        let restored = try OptimizerState(kind: "adamw", tensors: file)
        XCTAssertEqual(Set(restored.slots.keys), ["exp_avg", "exp_avg_sq", "step"])
        let second = AdamW(model: resumed, learningRate: 0.01)
        try second.setState(restored)
        train(resumed, second, steps: 1)
        for ((name, p), (_, q)) in zip(resumed.namedParameters(), straight.namedParameters()) {
            XCTAssertEqual(p.value.array, q.value.array, "\(name) after resuming")
        }
    }

    func testSetStateWithAWrongShapeOrKindThrowsAClearError() throws {
        let model = try model(try fixture())
        let adamw = AdamW(model: model, learningRate: 0.01)
        var state = adamw.state
        state.slots["exp_avg"]!["fc1.weight"] = Tensor(zeros: [8, 5])
        state.slots["step"]!["fc2.bias"] = Tensor(shape: [1], values: [1.5])
        state.slots["exp_avg"]!["gone.weight"] = Tensor(zeros: [3])   // unknown parameters are ignored
        XCTAssertThrowsError(try adamw.setState(state)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("exp_avg of fc1.weight: expected shape [8, 6] (the parameter's), got [8, 5]"), text)
            XCTAssertTrue(text.contains("step of fc2.bias: expected a whole number in 0...16777216, got 1.5"), text)
            XCTAssertFalse(text.contains("gone.weight"), text)
        }
        XCTAssertEqual(adamw.state.slots["exp_avg"]!["fc1.weight"]!.shape, [8, 6], "a failed setState changes nothing")
        XCTAssertThrowsError(try adamw.setState(OptimizerState(kind: "sgd", slots: ["velocity": [:]]))) { error in
            XCTAssertTrue("\(error)".contains("the state given is of kind \"sgd\""), "\(error)")
        }
        XCTAssertThrowsError(try adamw.setState(OptimizerState(kind: "adamw", slots: ["velocity": [:]]))) { error in
            XCTAssertTrue("\(error)".contains("unknown slots [\"velocity\"]"), "\(error)")
        }
        XCTAssertThrowsError(try OptimizerState(kind: "adamw", tensors: ["optimizer.step": Tensor(zeros: [1])])) { error in
            XCTAssertTrue("\(error)".contains("not of the form optimizer.<slot>.<parameter>"), "\(error)")
        }
    }
}
