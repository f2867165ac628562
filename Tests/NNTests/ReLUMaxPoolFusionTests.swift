import XCTest
@testable import Engine
@testable import NN

/// The fusion of ReLU → MaxPool2d in `Sequential` (training and evaluation) against the same layers run one by one.
final class ReLUMaxPoolFusionTests: XCTestCase {
    override func tearDown() { Threads.set(1) }

    /// Conv → ReLU (or ReLU6) → max pool → linear: outputs, the input gradient and every parameter gradient equal the
    /// unfused layers' exactly, for the plain 2×2 window (C kernel) and an overlapping padded one, 1 and 2 threads.
    func testFusedPairMatchesTheLayersOneByOne() {
        for threads in [1, 2] {
            Threads.set(threads)
            for (i, (size, kernel, stride, padding, cap)) in [(12, 2, 2, 0, nil), (11, 2, 2, 0, Float(6)), (9, 3, 2, 1, nil),
                                                                (14, 3, 2, 1, Float(6))].enumerated() {
                func build() -> (Sequential, [Layer]) {
                    var rng = RNG(seed: UInt64(40 + i))
                    let conv = Conv2d(2, 5, kernel: 3, padding: .symmetric(1), rng: &rng)
                    let relu = ReLU(cap: cap), pool = MaxPool2d(kernel: kernel, stride: stride, padding: padding)
                    let outSide = (size + 2 * padding - kernel) / stride + 1
                    let fc = Linear(5 * outSide * outSide, 3, rng: &rng)
                    let layers: [Layer] = [conv, relu, pool, Flatten(), fc]
                    return (Sequential(layers), layers)
                }
                let (net, _) = build(), (_, loose) = build()
                let x = gaussianTensor([3, 2, size, size], seed: UInt64(50 + i), scale: 3)
                let label = "case \(i) T\(threads)"
                let y = net.forward(x)
                let yLoose = loose.reduce(x) { $1.forward($0) }
                XCTAssertEqual(y.array, yLoose.array, "forward \(label)")
                let dy = gaussianTensor(y.shape, seed: UInt64(60 + i))
                let dx = net.backward(dy)
                let dxLoose = loose.reversed().reduce(dy) { $1.backward($0) }
                XCTAssertEqual(dx.array, dxLoose.array, "input gradient \(label)")
                let pooled = loose[2].forward(loose[1].forward(loose[0].forward(x)))
                XCTAssertTrue(pooled.array.contains(0), "some windows wholly below zero, where the ReLU stops the gradient \(label)")
                let grads = net.namedParameters().map(\.parameter.grad.array)
                let gradsLoose = loose.flatMap { $0.namedParameters() }.map(\.parameter.grad.array)
                XCTAssertEqual(grads, gradsLoose, "parameter gradients \(label)")
                // A second step: the fused ReLU left no state behind that the next forward or backward would read.
                XCTAssertEqual(net.forward(x).array, yLoose.array, "second forward \(label)")
                // Evaluation mode fuses the pair too (the pool without an arg-max).
                net.setTraining(false)
                for layer in loose { layer.setTraining(false) }
                XCTAssertEqual(net.forward(x).array, loose.reduce(x) { $1.forward($0) }.array, "evaluation \(label)")
            }
        }
    }

    /// A ReLU after the pool (not followed by one) runs as itself in the same network, and evaluation mode gives the
    /// training forward's values.
    func testAReLUNotBeforeAPoolRunsAsItself() {
        func build() -> [Layer] {
            var rng = RNG(seed: 3)
            return [Conv2d(1, 2, kernel: 3, padding: .symmetric(1), rng: &rng), ReLU(), MaxPool2d(kernel: 2), ReLU(cap: 0.5), Flatten()]
        }
        let net = Sequential(build()), loose = build()
        let x = gaussianTensor([2, 1, 6, 6], seed: 4)
        let y = net.forward(x)
        XCTAssertEqual(y.array, loose.reduce(x) { $1.forward($0) }.array)
        XCTAssertTrue(y.array.contains(0.5), "the second ReLU's cap applied")
        let dy = gaussianTensor(y.shape, seed: 5)
        XCTAssertEqual(net.backward(dy).array, loose.reversed().reduce(dy) { $1.backward($0) }.array)
        net.setTraining(false)
        XCTAssertEqual(net.forward(x).array, y.array)
    }

    /// The layers' own modes decide the fusion, not the container's flag: a container made around layers already in
    /// evaluation mode (as the evaluator makes its body) fuses them, and one whose flag says evaluation while its layers
    /// train records the fused pair for backward. `flattened()` keeps the mode.
    func testFusionFollowsTheLayersModes() {
        func build() -> [Layer] {
            var rng = RNG(seed: 8)
            return [Conv2d(1, 3, kernel: 3, padding: .symmetric(1), rng: &rng), ReLU(), MaxPool2d(kernel: 2), Flatten()]
        }
        let layers = build(), loose = build()
        for layer in layers + loose { layer.setTraining(false) }
        let body = Sequential(layers)
        XCTAssertTrue(body.isTraining, "a new container's own flag")
        XCTAssertNotNil(body.reluBeforePool(at: 1), "evaluation-mode pair fused under a training-flagged container")
        let x = gaussianTensor([2, 1, 8, 8], seed: 9)
        XCTAssertEqual(body.forward(x).array, loose.reduce(x) { $1.forward($0) }.array)

        let outer = Sequential([("inner", Sequential(build()))])
        outer.setTraining(false)
        XCTAssertFalse(outer.flattened().isTraining, "flattened view keeps the evaluation mode")
        let flat = outer.flattened()
        outer.setTraining(true)   // the layers train; the earlier view's flag still says evaluation
        let y = flat.forward(x)
        let dx = flat.backward(gaussianTensor(y.shape, seed: 10))
        XCTAssertEqual(dx.shape, x.shape, "backward of the fused training pair runs through the pool alone")
    }

    /// Conv → ReLU → 2×2 max pool with the convolution on oneDNN and a channel-blocked output runs as a stage (the pool
    /// reads the blocked output, the convolution's backward takes the pool's blocked gradient): outputs, input and
    /// weight gradients equal the layers one by one exactly, the bias gradient (summed per channel block) to rounding;
    /// evaluation too. A 5×5 kernel (oneDNN's direct kernels at AVX2 and AVX-512) and MiniAlexNet's conv2 (Winograd).
    func testConvolutionPoolStageMatchesTheLayersOneByOne() throws {
        try XCTSkipUnless(OneDNNRuntime.available, "no oneDNN CPU engine")
        for threads in [1, 2] {
            Threads.set(threads)
            for (i, (inC, outC, kernel, side)) in [(16, 32, 5, 10), (32, 64, 3, 14), (64, 128, 3, 4)].enumerated() {
                func build() -> (Conv2d, [Layer]) {
                    var rng = RNG(seed: UInt64(70 + i))
                    let conv = Conv2d(inC, outC, kernel: kernel, padding: .symmetric(kernel / 2), rng: &rng)
                    return (conv, [conv, ReLU(), MaxPool2d(kernel: 2), Flatten(), Linear(outC * (side / 2) * (side / 2), 4, rng: &rng)])
                }
                let (conv, layers) = build(), (_, loose) = build()
                let net = Sequential(layers)
                let x = gaussianTensor([i == 2 ? 8 : 3, inC, side, side], seed: UInt64(80 + i), scale: 2)
                let label = "case \(i) T\(threads)"
                guard conv.channelBlock(for: x.shape) != nil else {
                    XCTAssertNotEqual(i, 0, "the 5×5 convolution runs on oneDNN with a channel-blocked output \(label)")
                    continue
                }
                let y = net.forward(x)
                XCTAssertEqual(y.array, loose.reduce(x) { $1.forward($0) }.array, "forward \(label)")
                let dy = gaussianTensor(y.shape, seed: UInt64(90 + i))
                XCTAssertEqual(net.backward(dy).array, loose.reversed().reduce(dy) { $1.backward($0) }.array, "input gradient \(label)")
                let (grads, looseGrads) = (net.namedParameters().map(\.parameter), loose.flatMap { $0.namedParameters() }.map(\.parameter))
                XCTAssertEqual(grads[0].grad.array, looseGrads[0].grad.array, "weight gradient \(label)")
                let (bias, looseBias) = (grads[1].grad, looseGrads[1].grad)
                let largest = looseBias.array.map(abs).max()!
                for k in 0..<bias.count {
                    XCTAssertEqual(bias.pointer[k], looseBias.pointer[k], accuracy: 1e-5 * largest, "bias gradient \(k) \(label)")
                }
                XCTAssertTrue(bias.array.contains { $0 != 0 }, "bias gradient reached \(label)")
                net.setTraining(false)
                for layer in loose { layer.setTraining(false) }
                XCTAssertEqual(net.forward(x).array, loose.reduce(x) { $1.forward($0) }.array, "evaluation \(label)")
            }
        }
    }
}
