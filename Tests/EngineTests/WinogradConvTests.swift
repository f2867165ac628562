import XCTest
@testable import Engine

/// The own Winograd F(4×4, 3×3) kernel (forced on, as on a CPU where oneDNN has none) against the seven-loop reference.
final class WinogradConvTests: XCTestCase {
    private let automatic = WinogradConv.replacesOneDNN
    override func setUp() { WinogradConv.replacesOneDNN = true }
    override func tearDown() {
        WinogradConv.replacesOneDNN = automatic
        Threads.set(1)
        CPUKernels.current = CPUKernels.supported
    }

    /// Layers the seam sends here: 16×16 (four whole tiles a row), outputs off the 4×4 tile (13×11 unpadded → 11×9,
    /// 7×9), channel counts off any vector width, padding 2 and asymmetric padding.
    static let geometries: [ConvGeometry] = [
        ConvGeometry(batch: 4, inChannels: 16, height: 16, width: 16, outChannels: 32, kernel: (3, 3), padding: (1, 1, 1, 1)),
        ConvGeometry(batch: 3, inChannels: 24, height: 13, width: 11, outChannels: 20, kernel: (3, 3), padding: (0, 0, 0, 0)),
        ConvGeometry(batch: 1, inChannels: 32, height: 7, width: 9, outChannels: 16, kernel: (3, 3), padding: (1, 1, 1, 1)),
        ConvGeometry(batch: 2, inChannels: 9, height: 6, width: 5, outChannels: 11, kernel: (3, 3), padding: (2, 2, 2, 2)),
        ConvGeometry(batch: 3, inChannels: 8, height: 10, width: 9, outChannels: 12, kernel: (3, 3), padding: (0, 1, 2, 0)),
    ]

    /// Errors of the transforms are ~1e-6 of the outputs' magnitude (values ~10 here): atol 1e-3 as for oneDNN's Winograd.
    let seam = ConvPathCheck(
        forward: { x, w, b, y, g in ConvKernels.forward(x: x, w: w, bias: b, y: y, g) },
        backward: { x, w, dy, dx, dw, db, g in ConvKernels.backward(x: x, w: w, dy: dy, dx: dx, dw: dw, dbias: db, g) },
        atol: 1e-3)

    func testMatchesDirectConvolutionThroughTheSeam() {
        for threads in [1, 2] {
            Threads.set(threads)
            for (i, g) in Self.geometries.enumerated() {
                XCTAssertEqual(ConvKernels.path(for: g), .winograd, "#\(i) \(g)")
                seam.check(g, seed: UInt64(i + 60), "Winograd #\(i)")
            }
        }
    }

    /// Every instruction-set build of the transforms gives the reference's results.
    func testEveryInstructionSetMatches() {
        for isa in CPUKernels.ISA.allCases where isa <= CPUKernels.supported {
            CPUKernels.current = isa
            for (i, g) in Self.geometries.enumerated() { seam.check(g, seed: UInt64(i + 70), "Winograd #\(i) \(isa)") }
        }
    }

    /// Outputs smaller than one tile, and a batch split into chunks of images (`chunkTiles`), called directly.
    func testSmallOutputsAndManyChunks() {
        let direct = ConvPathCheck(
            forward: { x, w, b, y, g in WinogradConv.forward(x: x, w: w, bias: b, y: y, g) },
            backward: { x, w, dy, dx, dw, db, g in
                // the weight and bias gradients from the reference (which overwrites them), accumulated as the seam does
                let unused = Tensor(uninitialized: [g.batch * g.inChannels * g.height * g.width])
                let (dwRef, dbRef) = (Tensor(uninitialized: [g.outChannels * g.patchSize]), Tensor(uninitialized: [g.outChannels]))
                ConvReference.backward(x: x, w: w, dy: dy, dx: unused.pointer, dw: dwRef.pointer, dbias: dbRef.pointer, g)
                for i in 0..<dwRef.count { dw[i] += dwRef.pointer[i] }
                for i in 0..<dbRef.count { db[i] += dbRef.pointer[i] }
                WinogradConv.backwardData(w: w, dy: dy, dx: dx, g)
            }, atol: 1e-3)
        for threads in [1, 2] {
            Threads.set(threads)
            direct.check(ConvGeometry(batch: 3, inChannels: 8, height: 2, width: 3, outChannels: 8, kernel: (3, 3), padding: (1, 1, 1, 1)),
                         seed: 80, "Winograd 2×3")
            direct.check(ConvGeometry(batch: 2, inChannels: 8, height: 5, width: 5, outChannels: 8, kernel: (3, 3)), seed: 81, "Winograd 3×3 unpadded")
            // 23×23 outputs are 36 tiles an image: chunks of 14 images, so a batch of 33 runs as 14 + 14 + 5 (or per slice)
            direct.check(ConvGeometry(batch: 33, inChannels: 8, height: 23, width: 23, outChannels: 8, kernel: (3, 3), padding: (1, 1, 1, 1)),
                         seed: 82, "Winograd in chunks")
        }
    }

    /// Memory the kernel did not write never reaches a result.
    func testNoUninitialisedMemoryIsRead() {
        BufferPool._poisonForTesting = true
        defer { BufferPool._poisonForTesting = false }
        for threads in [1, 2] {
            Threads.set(threads)
            for (i, g) in Self.geometries.enumerated() { seam.check(g, seed: UInt64(i + 90), "Winograd #\(i), poisoned buffers") }
        }
    }

    /// What the seam chooses: only where `OneDNNConv.prefersWinograd` says so, and only 3×3 stride-1 layers with ≥ 8 channels.
    func testChoice() {
        let g = Self.geometries[0]
        XCTAssertEqual(ConvKernels.path(for: g), .winograd)
        WinogradConv.replacesOneDNN = false
        XCTAssertNotEqual(ConvKernels.path(for: g), .winograd)
        WinogradConv.replacesOneDNN = true
        ConvKernels.winograd = false
        defer { ConvKernels.winograd = true }
        XCTAssertNotEqual(ConvKernels.path(for: g), .winograd)
        ConvKernels.winograd = true
        var few = g
        few.inChannels = 4
        XCTAssertFalse(WinogradConv.supports(few))
        var strided = g
        (strided.strideH, strided.strideW) = (2, 2)
        XCTAssertFalse(WinogradConv.supports(strided))
        var small = g
        (small.height, small.width) = (6, 6)
        XCTAssertNotEqual(ConvKernels.path(for: small), .winograd, "6×6 outputs stay direct")
    }
}
