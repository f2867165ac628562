import XCTest
@testable import Engine

/// The convolution seam (fast paths where they apply, and im2col+GEMM forced for every geometry)
/// against the direct seven-loop reference over many geometries.
final class ConvKernelTests: XCTestCase {
    override func tearDown() { Threads.set(1); ConvKernels.fastPaths = true }

    static let geometries: [ConvGeometry] = [
        // batch 1, odd sizes
        ConvGeometry(batch: 1, inChannels: 3, height: 7, width: 5, outChannels: 4, kernel: (3, 3), padding: (1, 1, 1, 1)),
        // stride 2, no padding, non-square kernel
        ConvGeometry(batch: 2, inChannels: 2, height: 9, width: 8, outChannels: 3, kernel: (3, 2), stride: (2, 2)),
        // asymmetric TF-SAME-style padding, stride 2
        ConvGeometry(batch: 3, inChannels: 4, height: 8, width: 7, outChannels: 5, kernel: (3, 3), stride: (2, 2), padding: (0, 1, 1, 2)),
        // dilation
        ConvGeometry(batch: 2, inChannels: 3, height: 9, width: 9, outChannels: 2, kernel: (3, 3), padding: (2, 2, 2, 2), dilation: (2, 2)),
        // groups
        ConvGeometry(batch: 2, inChannels: 4, height: 6, width: 6, outChannels: 6, kernel: (3, 3), padding: (1, 1, 1, 1), groups: 2),
        // depthwise, stride 2
        ConvGeometry(batch: 3, inChannels: 5, height: 7, width: 7, outChannels: 5, kernel: (3, 3), stride: (2, 2), padding: (1, 1, 1, 1), groups: 5),
        // pointwise 1×1 (GEMM on x directly) and strided 1×1 (ResNet downsample)
        ConvGeometry(batch: 5, inChannels: 6, height: 3, width: 3, outChannels: 4, kernel: (1, 1)),
        ConvGeometry(batch: 4, inChannels: 6, height: 5, width: 5, outChannels: 3, kernel: (1, 1), stride: (2, 2)),
        // tiny late-stage maps batched into one GEMM
        ConvGeometry(batch: 9, inChannels: 3, height: 2, width: 2, outChannels: 4, kernel: (3, 3), padding: (1, 1, 1, 1)),
        // 3-wide kernels at stride 1 (the fused im2col/col2im path): no padding, asymmetric padding, input narrower than the kernel
        ConvGeometry(batch: 2, inChannels: 2, height: 5, width: 6, outChannels: 3, kernel: (3, 3)),
        ConvGeometry(batch: 1, inChannels: 3, height: 4, width: 5, outChannels: 2, kernel: (2, 3), padding: (0, 2, 2, 0)),
        ConvGeometry(batch: 2, inChannels: 2, height: 3, width: 1, outChannels: 2, kernel: (3, 3), padding: (1, 1, 1, 1)),
        ConvGeometry(batch: 1, inChannels: 2, height: 6, width: 6, outChannels: 2, kernel: (3, 3), stride: (2, 1), padding: (1, 1, 3, 3)),
        // kernel as large as the input
        ConvGeometry(batch: 2, inChannels: 2, height: 5, width: 5, outChannels: 3, kernel: (5, 5)),
        // weight-heavy (more output channels than output pixels in the batch: forward on oneDNN, backward whole-batch
        // im2col with its GEMMs split across workers), as ResNet's last stage at 64 px
        ConvGeometry(batch: 3, inChannels: 112, height: 2, width: 2, outChannels: 176, kernel: (3, 3), padding: (1, 1, 1, 1)),
    ]

    func testWeightHeavyGeometriesGoBackThroughWholeBatchIm2col() {
        Threads.set(1)
        ConvKernels.fastPaths = true
        let heavy = Self.geometries.last!
        XCTAssertTrue(ConvKernels.isWeightHeavy(heavy))
        XCTAssertEqual(ConvKernels.backwardPath(for: heavy), .im2col)
        if ConvKernels.oneDNN { XCTAssertEqual(ConvKernels.path(for: heavy), .onednn, "forward on oneDNN") }
        XCTAssertEqual(ConvKernels.columnBufferSize(heavy), ConvKernels.path(for: heavy) == .im2col ? heavy.patchSize * 3 * 4 : 0)
        XCTAssertGreaterThanOrEqual(heavy.outChannels * heavy.patchSize * heavy.batch * heavy.outHeight * heavy.outWidth,
                                    GEMM.splitMultiplyAdds, "large enough for the GEMMs to be split")
        XCTAssertFalse(ConvKernels.isWeightHeavy(ConvGeometry(batch: 32, inChannels: 256, height: 4, width: 4, outChannels: 256,
                                                              kernel: (3, 3), padding: (1, 1, 1, 1))))
    }

    func testForwardAndBackwardMatchDirectConvolution() {
        for (threads, fast) in [(1, true), (2, true), (1, false), (2, false)] {
            Threads.set(threads)
            ConvKernels.fastPaths = fast
            var rng = RNG(seed: 42)
            for (i, g) in Self.geometries.enumerated() {
                let x = randomTensor([g.batch, g.inChannels, g.height, g.width], &rng)
                let w = randomTensor([g.outChannels, g.groupInChannels, g.kernelH, g.kernelW], &rng)
                let bias = randomTensor([g.outChannels], &rng)
                let yShape = [g.batch, g.outChannels, g.outHeight, g.outWidth]
                let yFast = Tensor(zeros: yShape), ySlow = Tensor(zeros: yShape)
                ConvKernels.forward(x: x.pointer, w: w.pointer, bias: bias.pointer, y: yFast.pointer, g)
                ConvReference.forward(x: x.pointer, w: w.pointer, bias: bias.pointer, y: ySlow.pointer, g)
                assertClose(yFast, ySlow, atol: 1e-4, rtol: 1e-4, "forward #\(i) \(g) T\(threads) \(ConvKernels.path(for: g))")

                let dy = randomTensor(yShape, &rng)
                let dxFast = Tensor(shape: x.shape, repeating: 99)  // must be overwritten
                let dwFast = Tensor(zeros: w.shape), dbFast = Tensor(zeros: [g.outChannels])
                let dxSlow = Tensor(zeros: x.shape), dwSlow = Tensor(zeros: w.shape), dbSlow = Tensor(zeros: [g.outChannels])
                ConvKernels.backward(x: x.pointer, w: w.pointer, dy: dy.pointer, dx: dxFast.pointer, dw: dwFast.pointer, dbias: dbFast.pointer, g)
                ConvReference.backward(x: x.pointer, w: w.pointer, dy: dy.pointer, dx: dxSlow.pointer, dw: dwSlow.pointer, dbias: dbSlow.pointer, g)
                assertClose(dxFast, dxSlow, atol: 1e-4, rtol: 1e-4, "dx #\(i) \(g) T\(threads)")
                assertClose(dwFast, dwSlow, atol: 1e-4, rtol: 1e-4, "dw #\(i) \(g) T\(threads)")
                assertClose(dbFast, dbSlow, atol: 1e-4, rtol: 1e-4, "dbias #\(i) \(g) T\(threads)")

                // With the im2col matrices kept from forward for backward.
                let cache = Tensor(uninitialized: [ConvKernels.columnBufferSize(g)])
                let yCached = Tensor(zeros: yShape), dxCached = Tensor(zeros: x.shape), dwCached = Tensor(zeros: w.shape)
                ConvKernels.forward(x: x.pointer, w: w.pointer, bias: bias.pointer, y: yCached.pointer, g, columns: cache.pointer)
                ConvKernels.backward(x: x.pointer, w: w.pointer, dy: dy.pointer, dx: dxCached.pointer, dw: dwCached.pointer, dbias: nil, g,
                                     columns: cache.pointer)
                assertClose(yCached, ySlow, atol: 1e-4, rtol: 1e-4, "cached forward #\(i) \(g) T\(threads)")
                assertClose(dxCached, dxSlow, atol: 1e-4, rtol: 1e-4, "cached dx #\(i) \(g) T\(threads)")
                assertClose(dwCached, dwSlow, atol: 1e-4, rtol: 1e-4, "cached dw #\(i) \(g) T\(threads)")
            }
        }
    }

    func testWeightGradientAccumulates() {
        Threads.set(1)
        var rng = RNG(seed: 3)
        let g = Self.geometries[0]
        let x = randomTensor([g.batch, g.inChannels, g.height, g.width], &rng)
        let w = randomTensor([g.outChannels, g.groupInChannels, g.kernelH, g.kernelW], &rng)
        let dy = randomTensor([g.batch, g.outChannels, g.outHeight, g.outWidth], &rng)
        let once = Tensor(zeros: w.shape), twice = Tensor(zeros: w.shape)
        ConvKernels.backward(x: x.pointer, w: w.pointer, dy: dy.pointer, dx: nil, dw: once.pointer, dbias: nil, g)
        for _ in 0..<2 { ConvKernels.backward(x: x.pointer, w: w.pointer, dy: dy.pointer, dx: nil, dw: twice.pointer, dbias: nil, g) }
        for i in 0..<once.count { once.pointer[i] *= 2 }
        assertClose(twice, once, atol: 1e-5, rtol: 1e-5, "dw accumulates across calls")
    }

    func testSamePaddingMatchesTensorFlow() {
        // TF: out = ceil(in/stride); pad_total = max((out-1)*stride + k - in, 0), extra at the end.
        XCTAssertTrue(ConvGeometry.samePadding(input: 7, kernel: 3, stride: 2) == (1, 1))
        XCTAssertTrue(ConvGeometry.samePadding(input: 8, kernel: 3, stride: 2) == (0, 1))
        XCTAssertTrue(ConvGeometry.samePadding(input: 224, kernel: 3, stride: 2) == (0, 1))
        XCTAssertTrue(ConvGeometry.samePadding(input: 5, kernel: 1, stride: 1) == (0, 0))
    }
}
