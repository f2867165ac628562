import XCTest
import CKernels
@testable import Engine

/// The ReLU a convolution applies as it stores (`FusedReLU`): the epilogue kernel against its naive form, and every
/// convolution path with a fused ReLU against the same path without one, clamped afterwards.
final class FusedReLUTests: XCTestCase {
    override func tearDown() { Threads.set(1); CPUKernels.current = CPUKernels.supported }

    /// What `FusedReLU` promises for one value: NN's `ReLU.clamp`.
    static func clamp(_ v: Float, cap: Float) -> Float { v > 0 ? (v < cap ? v : cap) : 0 }

    /// Bias, ReLU and copy in one pass, around the 16-wide chunk, in place and between strided blocks, at every ISA;
    /// NaN becomes 0 under a ReLU and stays NaN without one.
    func testEpilogueKernelMatchesNaive() {
        var rng = RNG(seed: 3)
        let variants: [(withBias: Bool, cap: Float?)] = [(false, nil), (true, nil), (false, .infinity), (true, 6)]
        for isa in CPUKernels.ISA.allCases where isa <= CPUKernels.supported {
            CPUKernels.current = isa
            for (rows, cols) in [(1, 1), (3, 15), (2, 16), (4, 33), (5, 70)] {
                var src = (0..<(rows * (cols + 3))).map { _ in 8 * rng.normal() }
                src[0] = .nan
                let bias = (0..<rows).map { _ in rng.normal() }
                for v in variants {
                    checkEpilogue(src, rows: rows, cols: cols, bias: v.withBias ? bias : nil, cap: v.cap, "\(isa)")
                }
            }
        }
    }

    /// One epilogue call, copying (src rows of cols + 3 into rows of cols + 5) and in place, against the naive form.
    private func checkEpilogue(_ src: [Float], rows: Int, cols: Int, bias: [Float]?, cap: Float?, _ isa: String) {
        let (lds, ldd) = (cols + 3, cols + 5)
        let label = "\(rows)×\(cols) bias \(bias != nil) cap \(cap.map { "\($0)" } ?? "none") \(isa)"
        var dst = [Float](repeating: 99, count: rows * ldd), inPlace = src
        FusedReLU.withKernelForm(cap.map { FusedReLU(cap: $0) }) { relu in
            gb_rows_bias_relu(src, lds, &dst, ldd, rows, cols, bias, relu)
            inPlace.withUnsafeMutableBufferPointer { p in
                gb_rows_bias_relu(p.baseAddress!, lds, p.baseAddress!, lds, rows, cols, bias, relu)
            }
        }
        for r in 0..<rows {
            for j in 0..<cols {
                let sum = src[r * lds + j] + (bias?[r] ?? 0)
                let want = cap.map { Self.clamp(sum, cap: $0) } ?? sum
                for (got, how) in [(dst[r * ldd + j], "copy"), (inPlace[r * lds + j], "in place")] {
                    XCTAssertTrue(got == want || (got.isNaN && want.isNaN), "\(how) \(label) at \(r),\(j): \(got) vs \(want)")
                }
            }
            for j in cols..<ldd { XCTAssertEqual(dst[r * ldd + j], 99, "wrote past the row: \(label)") }
        }
    }

    /// Through the seam, every path (depthwise and 1×1 storing the activation themselves, the others by a pass after):
    /// y with a fused ReLU6 or ReLU equals y without, clamped — at every ISA of the C kernels, 1 and 2 threads.
    func testEveryPathAppliesIt() {
        let geometries = DepthwiseConvTests.geometries + PointwiseConvTests.geometries + [
            ConvGeometry(batch: 2, inChannels: 8, height: 12, width: 12, outChannels: 16, kernel: (3, 3), padding: (1, 1, 1, 1)),
            ConvGeometry(batch: 4, inChannels: 16, height: 16, width: 16, outChannels: 32, kernel: (3, 3), padding: (1, 1, 1, 1)),
            ConvGeometry(batch: 2, inChannels: 3, height: 15, width: 15, outChannels: 8, kernel: (5, 5), stride: (2, 2)),
        ]
        var paths = Set<String>()
        for isa in CPUKernels.ISA.allCases where isa <= CPUKernels.supported {
            CPUKernels.current = isa
            for threads in [1, 2] {
                Threads.set(threads)
                for (i, g) in geometries.enumerated() {
                    paths.insert("\(ConvKernels.path(for: g))")
                    var rng = RNG(seed: UInt64(40 + i))
                    let x = randomTensor([g.batch, g.inChannels, g.height, g.width], &rng, scale: 3)
                    let w = randomTensor([g.outChannels, g.groupInChannels, g.kernelH, g.kernelW], &rng)
                    let bias = randomTensor([g.outChannels], &rng)
                    let shape = [g.batch, g.outChannels, g.outHeight, g.outWidth]
                    let plain = Tensor(shape: shape, repeating: 99)
                    ConvKernels.forward(x: x.pointer, w: w.pointer, bias: bias.pointer, y: plain.pointer, g)
                    for cap in [Float(6), .infinity] {
                        let fused = Tensor(shape: shape, repeating: 99)
                        ConvKernels.forward(x: x.pointer, w: w.pointer, bias: bias.pointer, y: fused.pointer, g, relu: FusedReLU(cap: cap))
                        let label = "#\(i) \(ConvKernels.path(for: g)) cap \(cap) \(isa) T\(threads)"
                        XCTAssertTrue(fused.array.contains { $0 > 0 && $0 < cap } && plain.array.contains { $0 < 0 }, "vacuous: \(label)")
                        for j in 0..<fused.count where fused.pointer[j] != Self.clamp(plain.pointer[j], cap: cap) {
                            XCTFail("\(label) at \(j): \(fused.pointer[j]) vs clamp(\(plain.pointer[j]))"); break
                        }
                    }
                }
            }
        }
        XCTAssertTrue(paths.isSuperset(of: ["depthwise", "pointwise"]) && paths.count >= 3, "paths covered: \(paths)")
    }
}
