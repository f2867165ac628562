import XCTest
@testable import Engine
@testable import NN

/// Evaluation-mode fusion of Conv2d → BatchNorm → ReLU in `Sequential` against the layers run one by one.
final class ConvBatchNormInferenceTests: XCTestCase {
    override func tearDown() { Threads.set(1) }

    /// A BatchNorm with non-trivial running statistics and affine parameters.
    private func trainedBatchNorm(_ channels: Int, seed: UInt64) -> BatchNorm {
        let bn = BatchNorm(channels)
        var rng = RNG(seed: seed)
        for c in 0..<channels {
            bn.weight.value.pointer[c] = 0.5 + rng.uniform()
            bn.bias.value.pointer[c] = rng.normal()
        }
        for _ in 0..<3 { _ = bn.forward(gaussianTensor([4, channels, 3, 3], seed: seed + 1)) }   // running stats move
        return bn
    }

    func testFusedMatchesLayerByLayer() {
        // (C, O, size, kernel, groups, bias, tail): big outputs fold the weights, big weights take the in-place pass.
        let cases: [(Int, Int, Int, Int, Int, Bool, ReLU?)] = [
            (3, 8, 9, 3, 1, false, ReLU()),          // output ≥ weights: folded, clamped by a pass after the convolution
            (8, 8, 7, 3, 8, true, ReLU.six()),       // depthwise with bias, folded, clamped as the kernel stores
            (16, 64, 2, 3, 1, true, ReLU()),         // weights > output: affine + clamp in place
            (32, 48, 1, 1, 1, false, nil),           // weights > output, no activation
            (6, 12, 8, 1, 1, false, nil),            // folded, no activation: no pass at all
            (6, 12, 16, 1, 1, false, ReLU.six()),    // 1×1 folded: the GEMM path's epilogue clamps
            (16, 24, 4, 1, 1, true, ReLU()),         // 1×1 on small images gathered into one GEMM, clamped as copied out
        ]
        for threads in [1, 2] {
            Threads.set(threads)
            for (i, (c, o, size, k, groups, hasBias, relu)) in cases.enumerated() {
                var rng = RNG(seed: UInt64(10 + i))
                let conv = Conv2d(c, o, kernel: k, padding: .symmetric(k / 2), groups: groups, bias: hasBias, rng: &rng)
                let bn = trainedBatchNorm(o, seed: UInt64(20 + i))
                let net = Sequential([conv, bn] + (relu.map { [$0] } ?? []) + [Flatten()])
                net.setTraining(false)
                let x = gaussianTensor([3, c, size, size], seed: UInt64(30 + i))
                let fused = net.forward(x)
                var h = x
                for (_, layer) in net.layers { h = layer.forward(h) }
                XCTAssertEqual(fused.shape, h.shape)
                let scale = h.array.map(abs).max() ?? 1
                for j in 0..<h.count {
                    XCTAssertEqual(fused.pointer[j], h.pointer[j], accuracy: 1e-5 * Swift.max(scale, 1), "case \(i) T\(threads) at \(j)")
                }
                if relu != nil { XCTAssertTrue(fused.array.allSatisfy { $0 >= 0 && $0 <= (relu?.cap ?? .infinity) }) }
            }
        }
    }

    /// A residual block with an inlined body (ResNet, EfficientNet) lists the body's layers as its children, so
    /// `setTraining` must reach the body's own flag too, or the body never runs its evaluation-mode fusion.
    func testEvaluationModeReachesAnInlinedResidualBody() {
        var rng = RNG(seed: 2)
        let body = Sequential([Conv2d(4, 4, kernel: 3, padding: .symmetric(1), rng: &rng), BatchNorm(4), ReLU()])
        let net = Sequential([Residual(body: body, inlineBody: true)])
        net.setTraining(false)
        XCTAssertFalse(body.isTraining)
        XCTAssertTrue(body.layers.allSatisfy { !$0.1.isTraining })
        net.setTraining(true)
        XCTAssertTrue(body.isTraining)
    }

    /// Training mode, or a batch norm left in training mode, runs the layers as they are.
    func testNoFusionOutsideEvaluation() {
        var rng = RNG(seed: 1)
        let conv = Conv2d(2, 4, kernel: 3, padding: .symmetric(1), rng: &rng), bn = BatchNorm(4), relu = ReLU()
        XCTAssertFalse(ConvBatchNormInference.applies(conv, bn, relu))
        conv.setTraining(false); bn.setTraining(false)
        XCTAssertFalse(ConvBatchNormInference.applies(conv, bn, relu), "the ReLU still trains")
        relu.setTraining(false)
        XCTAssertTrue(ConvBatchNormInference.applies(conv, bn, relu))
        XCTAssertFalse(ConvBatchNormInference.applies(conv, BatchNorm(5), nil), "channel mismatch")
    }
}
