import XCTest
@testable import Engine

/// oneDNN's convolutions (through the seam, as layers call them) against the seven-loop reference.
final class OneDNNConvTests: XCTestCase {
    // oneDNN's kernels under test: the own Winograd kernel (WinogradConvTests) stays out of the way on CPUs below AVX-512
    private let ownWinograd = WinogradConv.replacesOneDNN
    override func setUp() { WinogradConv.replacesOneDNN = false }
    override func tearDown() {
        Threads.set(1); ConvKernels.oneDNN = true; ConvKernels.winograd = true
        WinogradConv.replacesOneDNN = ownWinograd
    }

    static let geometries: [ConvGeometry] = [
        // MiniAlexNet's conv2 and conv3 (3×3, pad 1), small batches
        ConvGeometry(batch: 3, inChannels: 32, height: 14, width: 14, outChannels: 64, kernel: (3, 3), padding: (1, 1, 1, 1)),
        ConvGeometry(batch: 3, inChannels: 64, height: 7, width: 7, outChannels: 128, kernel: (3, 3), padding: (1, 1, 1, 1)),
        // channel counts that are not multiples of the 8/16-wide blocks, odd sizes, batch 1
        ConvGeometry(batch: 1, inChannels: 9, height: 7, width: 5, outChannels: 13, kernel: (3, 3), padding: (1, 1, 1, 1)),
        // stride 2 with asymmetric (TF "SAME") padding, non-square kernel
        ConvGeometry(batch: 3, inChannels: 12, height: 9, width: 8, outChannels: 10, kernel: (3, 2), stride: (2, 2), padding: (0, 1, 1, 2)),
        // dilation
        ConvGeometry(batch: 2, inChannels: 8, height: 9, width: 9, outChannels: 8, kernel: (3, 3), padding: (2, 2, 2, 2), dilation: (2, 2)),
        // 5×5 and a padded 1×1 (the pointwise path takes only unpadded ones)
        ConvGeometry(batch: 2, inChannels: 16, height: 6, width: 6, outChannels: 24, kernel: (5, 5), padding: (2, 2, 2, 2)),
        ConvGeometry(batch: 2, inChannels: 16, height: 4, width: 4, outChannels: 8, kernel: (1, 1), padding: (1, 1, 1, 1)),
        // ResNet-style 7×7 stride 2 on 8 channels, tiny late-stage map
        ConvGeometry(batch: 2, inChannels: 8, height: 11, width: 11, outChannels: 16, kernel: (7, 7), stride: (2, 2), padding: (3, 3, 3, 3)),
        ConvGeometry(batch: 5, inChannels: 32, height: 2, width: 2, outChannels: 16, kernel: (3, 3), padding: (1, 1, 1, 1)),
        // weight-heavy (more output channels than output pixels): at 2 threads the forward splits the output channels,
        // here into shares of 16 and 24, and 32 and 32 from a stride-2 layer
        ConvGeometry(batch: 2, inChannels: 24, height: 2, width: 2, outChannels: 40, kernel: (3, 3), padding: (1, 1, 1, 1)),
        ConvGeometry(batch: 3, inChannels: 16, height: 4, width: 4, outChannels: 64, kernel: (3, 3), stride: (2, 2), padding: (1, 1, 1, 1)),
    ]

    /// The seam against the reference. Winograd's transforms round more than a direct sum: its errors are ~3e-5 of the
    /// outputs' magnitude (dx of 64→128 at 7×7 here: 3.3e-4 at values around 10), so those layers get atol 1e-3.
    static func seam(for g: ConvGeometry) -> ConvPathCheck {
        var check = ConvPathCheck(
            forward: { x, w, b, y, g in ConvKernels.forward(x: x, w: w, bias: b, y: y, g) },
            backward: { x, w, dy, dx, dw, db, g in ConvKernels.backward(x: x, w: w, dy: dy, dx: dx, dw: dw, dbias: db, g) })
        if OneDNNConv.prefersWinograd(g) { check.atol = 1e-3 }
        return check
    }

    func testMatchesDirectConvolution() {
        for threads in [1, 2] {
            Threads.set(threads)
            for (i, g) in Self.geometries.enumerated() {
                XCTAssertEqual(ConvKernels.path(for: g), .onednn, "#\(i) \(g)")
                Self.seam(for: g).check(g, seed: UInt64(i + 1), "oneDNN #\(i)")
            }
        }
    }

    /// Memory the kernels did not write never reaches a result: with every pooled buffer filled with NaN first,
    /// the seam still matches the reference.
    func testNoUninitialisedMemoryIsRead() {
        BufferPool._poisonForTesting = true
        defer { BufferPool._poisonForTesting = false }
        for threads in [1, 2] {
            Threads.set(threads)
            for (i, g) in (Self.geometries + Self.winogradGeometries).enumerated() {
                Self.seam(for: g).check(g, seed: UInt64(i + 1), "oneDNN #\(i), poisoned buffers")
            }
        }
    }

    /// 3×3 stride-1 layers that take Winograd where oneDNN has it for this CPU.
    static let winogradGeometries: [ConvGeometry] = [
        ConvGeometry(batch: 4, inChannels: 16, height: 16, width: 16, outChannels: 32, kernel: (3, 3), padding: (1, 1, 1, 1)),
        // output not a multiple of the 4×4 tile, channels not of the 16-wide block, unpadded
        ConvGeometry(batch: 3, inChannels: 24, height: 13, width: 11, outChannels: 20, kernel: (3, 3), padding: (0, 0, 0, 0)),
        ConvGeometry(batch: 1, inChannels: 32, height: 7, width: 9, outChannels: 16, kernel: (3, 3), padding: (1, 1, 1, 1)),
    ]

    func testWinogradMatchesDirectConvolution() {
        for threads in [1, 2] {
            Threads.set(threads)
            for (i, g) in Self.winogradGeometries.enumerated() {
                XCTAssertTrue(OneDNNConv.prefersWinograd(g), "#\(i) \(g)")
                XCTAssertEqual(ConvKernels.path(for: g), .onednn, "#\(i) \(g)")
                Self.seam(for: g).check(g, seed: UInt64(i + 20), "oneDNN Winograd #\(i)")
            }
        }
    }

    /// On a CPU with AVX-512 oneDNN 2.6 runs all three directions as Winograd; `winograd = false` turns it off.
    func testWinogradIsChosenWhereTheCPUHasIt() throws {
        try XCTSkipUnless(OneDNNRuntime.usesAVX512, "oneDNN 2.6 has Winograd kernels for AVX-512 only")
        let g = Self.winogradGeometries[0]
        let plan = OneDNNConv.plan(g)
        XCTAssertEqual(plan.implementations.filter { $0.contains("wino") }.count, 3, "\(plan.implementations)")
        // Both backward kernels read dy in one blocked layout: a backward computing dx and dw reorders it once.
        XCTAssertTrue(plan.diffDstShared)
        ConvKernels.winograd = false
        XCTAssertFalse(OneDNNConv.prefersWinograd(g))
        XCTAssertTrue(OneDNNConv.plan(g).implementations.allSatisfy { !$0.contains("wino") }, "\(OneDNNConv.plan(g).implementations)")
        ConvKernels.winograd = true
        var small = g
        (small.height, small.width) = (6, 6)
        XCTAssertFalse(OneDNNConv.prefersWinograd(small), "6×6 outputs stay direct")
        var wide = g
        (wide.inChannels, wide.outChannels) = (512, 512)
        XCTAssertFalse(OneDNNConv.prefersWinograd(wide), "512×512 channels stay direct")
    }

    /// Strided RGB stems: forward on oneDNN, backward on im2col (through the seam, against the reference).
    static let stems: [ConvGeometry] = [
        // ResNet's 7×7 stride-2 stem, EfficientNet's 3×3 stride-2 with TF padding, 5 channels with stride 2 across only
        ConvGeometry(batch: 3, inChannels: 3, height: 19, width: 17, outChannels: 16, kernel: (7, 7), stride: (2, 2), padding: (3, 3, 3, 3)),
        ConvGeometry(batch: 2, inChannels: 3, height: 16, width: 16, outChannels: 32, kernel: (3, 3), stride: (2, 2), padding: (0, 1, 0, 1)),
        ConvGeometry(batch: 2, inChannels: 5, height: 9, width: 9, outChannels: 8, kernel: (3, 3), stride: (1, 2), padding: (1, 1, 1, 1)),
    ]

    func testStemsRunForwardOnOneDNNAndBackwardOnIm2col() {
        for threads in [1, 2] {
            Threads.set(threads)
            for (i, g) in Self.stems.enumerated() {
                XCTAssertEqual(ConvKernels.path(for: g), .onednn, "#\(i) \(g)")
                XCTAssertEqual(ConvKernels.backwardPath(for: g), .im2col, "#\(i) \(g)")
                XCTAssertEqual(ConvKernels.columnBufferSize(g), 0, "no column cache: the forward builds no columns")
                Self.seam(for: g).check(g, seed: UInt64(i + 40), "oneDNN stem #\(i)")
            }
        }
    }

    func testSingleChannelAndStride1RGBLayersAndGroupsStayOffOneDNN() {
        let gray = ConvGeometry(batch: 2, inChannels: 1, height: 28, width: 28, outChannels: 32, kernel: (3, 3), stride: (2, 2), padding: (1, 1, 1, 1))
        let rgbStride1 = ConvGeometry(batch: 2, inChannels: 3, height: 12, width: 12, outChannels: 24, kernel: (3, 3), padding: (1, 1, 1, 1))
        let grouped = ConvGeometry(batch: 2, inChannels: 16, height: 6, width: 6, outChannels: 16, kernel: (3, 3), padding: (1, 1, 1, 1), groups: 2)
        XCTAssertEqual(ConvKernels.path(for: gray), .im2col)
        XCTAssertEqual(ConvKernels.path(for: rgbStride1), .im2col)
        XCTAssertEqual(ConvKernels.path(for: grouped), .im2col)
        ConvKernels.oneDNN = false
        XCTAssertEqual(ConvKernels.path(for: Self.geometries[0]), .im2col)
        XCTAssertEqual(ConvKernels.path(for: Self.stems[0]), .im2col)
    }

    /// A given thread count gives the same bits every time (the slices and their order are fixed).
    func testRepeatable() {
        Threads.set(2)
        let g = Self.geometries[0]
        var rng = RNG(seed: 9)
        let x = randomTensor([g.batch, g.inChannels, g.height, g.width], &rng)
        let w = randomTensor([g.outChannels, g.inChannels, 3, 3], &rng)
        let dy = randomTensor([g.batch, g.outChannels, g.outHeight, g.outWidth], &rng)
        func run() -> [Float] {
            let y = Tensor(zeros: dy.shape), dx = Tensor(zeros: x.shape), dw = Tensor(zeros: w.shape)
            ConvKernels.forward(x: x.pointer, w: w.pointer, bias: nil, y: y.pointer, g)
            ConvKernels.backward(x: x.pointer, w: w.pointer, dy: dy.pointer, dx: dx.pointer, dw: dw.pointer, dbias: nil, g)
            return y.array + dx.array + dw.array
        }
        XCTAssertEqual(run(), run())
    }
}
