import XCTest
@testable import Engine
@testable import NN
@testable import Training

/// A small CNN learns a generated data set (oriented bars in noise) within seconds,
/// and the same seed gives a bit-identical run.
final class EndToEndTests: XCTestCase {
    override func setUp() { Threads.set(1) }

    /// 10×10 grey images with a bar: horizontal, vertical, diagonal or anti-diagonal; plus noise.
    static func bars(count: Int, seed: UInt64) -> (Tensor, [Int]) {
        var rng = RNG(seed: seed)
        let x = Tensor(zeros: [count, 1, 10, 10])
        var labels: [Int] = []
        for n in 0..<count {
            let label = rng.below(4)
            labels.append(label)
            let offset = rng.below(5) - 2
            for t in 0..<10 {
                let (r, c): (Int, Int)
                switch label {
                case 0: (r, c) = (5 + offset, t)
                case 1: (r, c) = (t, 5 + offset)
                case 2: (r, c) = (t, t + offset)
                default: (r, c) = (t, 9 - t + offset)
                }
                if r >= 0 && r < 10 && c >= 0 && c < 10 { x[n, 0, r, c] = 1 }
            }
            for i in 0..<100 { x.pointer[n * 100 + i] += 0.3 * rng.normal() }
        }
        return (x, labels)
    }

    static func model(seed: UInt64) -> Sequential {
        var rng = RNG(seed: seed)
        return Sequential([("conv1", Conv2d(1, 8, kernel: 3, padding: .symmetric(1), rng: &rng)), ("bn1", BatchNorm(8)), ("relu1", ReLU()),
                           ("pool1", MaxPool2d(kernel: 2)), ("flatten", Flatten()), ("drop", Dropout(0.2, seed: seed)),
                           ("fc", Linear(200, 4, rng: &rng))])
    }

    func train(seed: UInt64) -> (model: Sequential, accuracy: Float) {
        let (x, y) = Self.bars(count: 512, seed: 1)
        let (tx, ty) = Self.bars(count: 256, seed: 2)
        let model = Self.model(seed: seed)
        let sgd = SGD(model: model, learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4)
        let schedule = StepSchedule(base: 0.05, stepSize: 60, gamma: 0.1)
        var order = Array(0..<512)
        var rng = RNG(seed: seed)
        var step = 0
        for _ in 0..<5 {
            rng.shuffle(&order)
            for start in stride(from: 0, to: 512, by: 32) {
                let idx = order[start..<start + 32]
                let batch = Tensor(uninitialized: [32, 1, 10, 10])
                for (j, i) in idx.enumerated() { (batch.pointer + j * 100).update(from: x.pointer + i * 100, count: 100) }
                sgd.learningRate = schedule.rate(at: step)
                let loss = SoftmaxCrossEntropy.evaluate(logits: model.forward(batch), labels: idx.map { y[$0] })
                _ = model.backward(loss.gradient)
                sgd.step()
                step += 1
            }
        }
        model.setTraining(false)
        let predictions = SoftmaxCrossEntropy.predictions(model.forward(tx))
        let correct = zip(predictions, ty).filter { $0 == $1 }.count
        return (model, Float(correct) / Float(ty.count))
    }

    func testSmallCNNLearnsGeneratedBars() {
        let (_, accuracy) = train(seed: 3)
        XCTAssertGreaterThanOrEqual(accuracy, 0.95, "test accuracy after 80 steps")
    }

    func testSameSeedGivesBitIdenticalRun() {
        let a = train(seed: 5).model.stateDict(), b = train(seed: 5).model.stateDict()
        for (p, q) in zip(a, b) { XCTAssertEqual(p.tensor.array, q.tensor.array, p.name) }
        let c = train(seed: 6).model.stateDict()
        XCTAssertNotEqual(a[0].tensor.array, c[0].tensor.array)
    }
}
