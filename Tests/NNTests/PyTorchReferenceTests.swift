import XCTest
@testable import Engine
@testable import NN
@testable import Training

/// Cross-check against PyTorch 2.13 (fixture made by scripts/make_reference_fixture.py):
/// conv–BN–ReLU–pool–conv–BN–ReLU–flatten–linear–L2NormScale–linear. Logits, loss, every
/// parameter and input gradient, BN running statistics, three SGD-with-momentum steps and
/// evaluation-mode logits must match within 1e-4 relative.
final class PyTorchReferenceTests: XCTestCase {
    override func setUp() { Threads.set(1) }

    func fixture() throws -> [String: Tensor] {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "reference_net", withExtension: "safetensors", subdirectory: "Fixtures"))
        return try SafeTensors.read(contentsOf: url).tensors
    }

    func buildModel() -> Sequential {
        var rng = RNG(seed: 0)   // weights are overwritten from the fixture
        return Sequential([
            ("conv1", Conv2d(3, 6, kernel: 3, padding: .symmetric(1), rng: &rng)), ("bn1", BatchNorm(6)), ("relu1", ReLU()),
            ("pool1", MaxPool2d(kernel: 2)),
            ("conv2", Conv2d(6, 8, kernel: 3, stride: 2, padding: .symmetric(1), bias: false, rng: &rng)), ("bn2", BatchNorm(8)),
            ("relu2", ReLU()), ("flatten", Flatten()),
            ("fc1", Linear(72, 16, rng: &rng)), ("l2", L2NormScale(units: 16, initialScale: 10)), ("fc2", Linear(16, 5, rng: &rng)),
        ])
    }

    /// max |a − b| ≤ 1e-4 · max(1, max |b|) — relative to the tensor's scale, with the worst element reported.
    func assertMatches(_ a: Tensor, _ b: Tensor?, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        guard let b else { return XCTFail("fixture lacks \(what)", file: file, line: line) }
        XCTAssertEqual(a.count, b.count, "\(what): \(a.shape) vs \(b.shape)", file: file, line: line)
        var worst: Float = 0, at = 0, scale: Float = 1
        for i in 0..<min(a.count, b.count) {
            scale = max(scale, abs(b.pointer[i]))
            let d = abs(a.pointer[i] - b.pointer[i])
            if d > worst { worst = d; at = i }
        }
        XCTAssertLessThanOrEqual(worst, 1e-4 * scale,
                                 "\(what): max |diff| \(worst) at \(at) (ours \(a.pointer[at]), PyTorch \(b.pointer[at]), scale \(scale))",
                                 file: file, line: line)
    }

    func testForwardBackwardAndThreeSGDStepsMatchPyTorch() throws {
        let f = try fixture()
        let model = buildModel()
        let names = Set(model.stateDict().map(\.name))
        let initial = f.filter { names.contains($0.key) }
        try model.load(initial, origin: "reference_net.safetensors")
        let x = try XCTUnwrap(f["input"])
        let labels = try XCTUnwrap(f["labels"]).array.map { Int($0) }

        let logits = model.forward(x)
        assertMatches(logits, f["out.logits"], "logits")
        let loss = SoftmaxCrossEntropy.evaluate(logits: logits, labels: labels)
        assertMatches(Tensor(shape: [1], values: [loss.loss]), f["out.loss"], "loss")
        let dx = model.backward(loss.gradient)
        assertMatches(dx, f["grad.input"], "grad.input")
        for (name, p) in model.namedParameters() { assertMatches(p.grad, f["grad." + name], "grad." + name) }
        for (name, t) in model.namedBuffers() { assertMatches(t, f["after1." + name], "after1." + name) }

        // Three SGD steps from the initial weights (PyTorch and Caffe agree at constant lr).
        let fresh = buildModel()
        try fresh.load(initial)
        let sgd = SGD(model: fresh, learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4)
        for k in 1...3 {
            let out = fresh.forward(x)
            let l = SoftmaxCrossEntropy.evaluate(logits: out, labels: labels)
            assertMatches(Tensor(shape: [1], values: [l.loss]), f["step\(k).loss"], "step\(k).loss")
            _ = fresh.backward(l.gradient)
            sgd.step()
        }
        for (name, p) in fresh.namedParameters() { assertMatches(p.value, f["after3." + name], "after3." + name) }
        for (name, t) in fresh.namedBuffers() { assertMatches(t, f["after3." + name], "after3." + name) }
        fresh.setTraining(false)
        assertMatches(fresh.forward(x), f["eval.logits"], "eval.logits")
    }

    func testStrictLoadingNamesEveryMismatch() throws {
        let model = buildModel()
        var tensors = Dictionary(uniqueKeysWithValues: model.stateDict().map { ($0.name, $0.tensor.copy()) })
        tensors["fc2.weight"] = Tensor(zeros: [6, 16])
        tensors.removeValue(forKey: "bn1.running_var")
        tensors["fc9.weight"] = Tensor(zeros: [1])
        XCTAssertThrowsError(try model.load(tensors)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("fc2.weight: expected shape [5, 16], file has [6, 16]"), text)
            XCTAssertTrue(text.contains("missing bn1.running_var"), text)
            XCTAssertTrue(text.contains("unexpected fc9.weight"), text)
        }
    }
}
