import XCTest
@testable import Engine
@testable import NN

/// A finite-difference check of every layer, w.r.t. its input and every parameter
/// (tolerances in `GradientCheck`).
final class LayerGradientTests: XCTestCase {
    let check = GradientCheck()
    override func setUp() { Threads.set(1) }

    func testLinear() {
        var rng = RNG(seed: 1)
        check.check(Linear(7, 5, rng: &rng), input: gaussianTensor([3, 7], seed: 2))
        check.check(Linear(4, 3, bias: false, rng: &rng), input: gaussianTensor([1, 4], seed: 3))
    }

    func testConv2dVariants() {
        var rng = RNG(seed: 1)
        let cases: [(Conv2d, [Int])] = [
            (Conv2d(2, 3, kernel: 3, padding: .symmetric(1), rng: &rng), [2, 2, 5, 5]),
            (Conv2d(3, 4, kernel: 3, stride: 2, padding: .same, bias: false, rng: &rng), [1, 3, 6, 7]),
            (Conv2d(2, 2, kernel: 3, padding: .explicit(top: 0, bottom: 1, left: 2, right: 0), dilation: 2, rng: &rng), [2, 2, 7, 6]),
            (Conv2d(4, 4, kernel: 3, padding: .symmetric(1), groups: 4, rng: &rng), [2, 4, 5, 5]),   // depthwise
            (Conv2d(4, 6, kernel: 1, groups: 2, rng: &rng), [2, 4, 3, 3]),
        ]
        for (conv, shape) in cases { check.check(conv, input: gaussianTensor(shape, seed: 5)) }
    }

    func testBatchNormTrainingAndFrozen() {
        let bn2 = BatchNorm(3)
        var rng = RNG(seed: 4)
        for i in 0..<3 { bn2.weight.value.pointer[i] = 1 + 0.3 * rng.normal(); bn2.bias.value.pointer[i] = rng.normal() }
        check.check(bn2, input: gaussianTensor([4, 3, 3, 2], seed: 6, scale: 2))
        let bn1 = BatchNorm(5)
        check.check(bn1, input: gaussianTensor([6, 5], seed: 7))
        let frozen = BatchNorm(3)
        frozen.freezeStatistics = true
        frozen.runningMean.fill(0.3); frozen.runningVar.fill(2)
        check.check(frozen, input: gaussianTensor([2, 3, 2, 2], seed: 8))
    }

    func testActivationsAwayFromKinks() {
        check.check(ReLU(), input: spacedTensor([2, 3, 4], seed: 1))
        check.check(ReLU.six(), input: spacedTensor([2, 50], gap: 0.3, seed: 2))
    }

    func testPooling() {
        check.check(MaxPool2d(kernel: 2), input: spacedTensor([2, 2, 4, 4], seed: 3))
        check.check(MaxPool2d(kernel: 3, stride: 2, padding: 1), input: spacedTensor([1, 2, 5, 5], seed: 4))
        check.check(AvgPool2d(kernel: 3, stride: 2, padding: 1), input: gaussianTensor([2, 2, 5, 5], seed: 5))
        check.check(GlobalAvgPool(), input: gaussianTensor([2, 3, 3, 2], seed: 6))
    }

    func testDropoutReplayingItsMask() {
        let d = Dropout(0.4, seed: 9)
        let start = d.rng
        check.check(d, input: gaussianTensor([3, 10], seed: 7), reset: { d.rng = start })
    }

    func testSelectFeatures() {
        check.check(SelectFeatures(2..<5), input: gaussianTensor([3, 7], seed: 4))
    }

    func testGatherChannelsAndReadLeading() {
        check.check(GatherChannels([4, 0, 4, 2]), input: gaussianTensor([2, 5, 3, 2], seed: 5))   // repeats add up
        check.check(GatherChannels([1, 1]), input: gaussianTensor([3, 4], seed: 6))
        var rng = RNG(seed: 2)
        check.check(ReadLeading(3, Conv2d(3, 2, kernel: 3, padding: .symmetric(1), rng: &rng)), input: gaussianTensor([2, 5, 4, 4], seed: 7))
    }

    func testFlattenAndContainers() {
        var rng = RNG(seed: 3)
        check.check(Sequential([Conv2d(2, 3, kernel: 3, rng: &rng), Flatten(), Linear(12, 4, rng: &rng)]),
                    input: gaussianTensor([2, 2, 4, 4], seed: 1))
        let parallel = Parallel([("a", Linear(5, 3, rng: &rng)), ("b", Sequential([Linear(5, 2, rng: &rng), ReLU()]))])
        check.check(parallel, input: gaussianTensor([3, 5], seed: 2))
        let convParallel = Parallel([("a", Conv2d(2, 3, kernel: 1, rng: &rng)), ("b", Conv2d(2, 2, kernel: 3, padding: .symmetric(1), rng: &rng))])
        check.check(convParallel, input: gaussianTensor([2, 2, 3, 3], seed: 3))
        let residual = Residual(body: Sequential([Conv2d(3, 3, kernel: 3, padding: .symmetric(1), rng: &rng), BatchNorm(3)]))
        check.check(residual, input: gaussianTensor([2, 3, 4, 4], seed: 4))
        let projected = Residual(body: Conv2d(2, 4, kernel: 3, stride: 2, padding: .symmetric(1), rng: &rng),
                                 shortcut: Conv2d(2, 4, kernel: 1, stride: 2, rng: &rng))
        check.check(projected, input: gaussianTensor([2, 2, 5, 5], seed: 5))
    }

    func testL2NormScaleOnFeaturesAndChannels() {
        let fc = L2NormScale(units: 6, initialScale: 10)
        for i in 0..<6 { fc.scale.value.pointer[i] = Float(5 + i) }
        check.check(fc, input: gaussianTensor([3, 6], seed: 1))
        let conv = L2NormScale(units: 4, initialScale: 20)
        check.check(conv, input: gaussianTensor([2, 4, 3, 2], seed: 2))
    }

    func testBlockL2NormScaleNormalisesEachBlockOnItsOwn() {
        let fc = BlockL2NormScale(blocks: [4, 3], initialScale: 10)
        for i in 0..<3 { fc.norms[1].scale.value.pointer[i] = Float(2 + i) }
        check.check(fc, input: gaussianTensor([3, 7], seed: 3))
        check.check(BlockL2NormScale(blocks: [2, 3], initialScale: 20), input: gaussianTensor([2, 5, 2, 3], seed: 4))
        // Each block has norm γ₀ on its own, whatever the other block's scale.
        let x = gaussianTensor([2, 7], seed: 5), y = BlockL2NormScale(blocks: [4, 3], initialScale: 10).forward(x)
        for b in 0..<2 {
            for range in [0..<4, 4..<7] {
                let norm = range.map { y[b, $0] * y[b, $0] }.reduce(0, +).squareRoot()
                XCTAssertEqual(norm, 10, accuracy: 1e-4, "block \(range) of example \(b)")
            }
        }
    }

    func testSoftmaxCrossEntropyGradient() {
        let logits = gaussianTensor([4, 5], seed: 3, scale: 3)
        let labels = [0, 4, 2, 2]
        let result = SoftmaxCrossEntropy.evaluate(logits: logits, labels: labels)
        let h: Float = 1e-2
        for i in 0..<logits.count {
            let saved = logits.pointer[i]
            logits.pointer[i] = saved + h; let up = SoftmaxCrossEntropy.evaluate(logits: logits, labels: labels).loss
            logits.pointer[i] = saved - h; let down = SoftmaxCrossEntropy.evaluate(logits: logits, labels: labels).loss
            logits.pointer[i] = saved
            XCTAssertEqual(Double(result.gradient.pointer[i]), Double(up - down) / Double(2 * h), accuracy: 2e-3)
        }
    }
}
