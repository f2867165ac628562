import XCTest
@testable import Engine
import CKernels

/// The direct depthwise kernel against the seven-loop reference (forward, dx, dw, dbias).
final class DepthwiseConvTests: XCTestCase {
    override func tearDown() { Threads.set(1); CPUKernels.current = CPUKernels.supported }

    static let geometries: [ConvGeometry] = [
        // EfficientNet-Lite0's four kinds, TF SAME: 3×3 and 5×5, stride 1 and 2, odd and even sizes
        ConvPathCheck.same(batch: 1, channels: 3, height: 7, width: 5, kernel: 3, stride: 1),
        ConvPathCheck.same(batch: 3, channels: 2, height: 8, width: 8, kernel: 3, stride: 2),
        ConvPathCheck.same(batch: 3, channels: 2, height: 11, width: 37, kernel: 5, stride: 1),   // 16- and 8-wide interior + tail
        ConvPathCheck.same(batch: 1, channels: 3, height: 9, width: 11, kernel: 5, stride: 2),
        ConvPathCheck.same(batch: 2, channels: 2, height: 10, width: 41, kernel: 5, stride: 2),
        // dilation 2, and explicit asymmetric padding
        ConvPathCheck.same(batch: 2, channels: 3, height: 9, width: 9, kernel: 3, stride: 1, dilation: 2),
        ConvGeometry(batch: 3, inChannels: 2, height: 9, width: 10, outChannels: 2, kernel: (3, 3), stride: (2, 2),
                     padding: (0, 2, 3, 1), dilation: (2, 2), groups: 2),
        ConvGeometry(batch: 1, inChannels: 4, height: 6, width: 19, outChannels: 4, kernel: (3, 3), padding: (2, 0, 0, 2), groups: 4),
        // input smaller than the kernel; padding beyond the kernel's reach (rows and columns of bias only)
        ConvPathCheck.same(batch: 2, channels: 2, height: 3, width: 2, kernel: 5, stride: 1),
        ConvPathCheck.same(batch: 1, channels: 2, height: 1, width: 1, kernel: 3, stride: 2),
        ConvGeometry(batch: 1, inChannels: 2, height: 4, width: 5, outChannels: 2, kernel: (3, 3), padding: (4, 3, 5, 4), groups: 2),
        // no padding, kernel as large as the input
        ConvGeometry(batch: 2, inChannels: 3, height: 5, width: 5, outChannels: 3, kernel: (5, 5), groups: 3),
        // unequal strides, stride 3, non-square kernel, 1×1
        ConvGeometry(batch: 2, inChannels: 2, height: 9, width: 12, outChannels: 2, kernel: (3, 3), stride: (2, 1), padding: (1, 1, 1, 1), groups: 2),
        ConvGeometry(batch: 2, inChannels: 2, height: 8, width: 13, outChannels: 2, kernel: (3, 3), stride: (1, 3), padding: (1, 0, 2, 1), groups: 2),
        ConvGeometry(batch: 1, inChannels: 3, height: 7, width: 20, outChannels: 3, kernel: (3, 5), padding: (1, 1, 2, 2), groups: 3),
        ConvGeometry(batch: 2, inChannels: 3, height: 4, width: 5, outChannels: 3, kernel: (1, 1), stride: (2, 2), groups: 3),
        // channel multiplier 2 and 3
        ConvGeometry(batch: 2, inChannels: 3, height: 7, width: 9, outChannels: 6, kernel: (3, 3), padding: (1, 1, 1, 1), groups: 3),
        ConvPathCheck.same(batch: 1, channels: 2, height: 9, width: 10, outChannels: 6, kernel: 5, stride: 2),
        // rows of 32 or more (computed row by row rather than on one flat grid): strided, dilated, padded
        ConvPathCheck.same(batch: 1, channels: 2, height: 6, width: 70, kernel: 5, stride: 2),
        ConvGeometry(batch: 2, inChannels: 2, height: 7, width: 36, outChannels: 4, kernel: (3, 3), padding: (1, 3, 0, 4),
                     dilation: (2, 2), groups: 2),
        // stride-2 rows split by the vector deinterleave: odd and even left padding, 32- and 16-wide chunks and a tail
        ConvGeometry(batch: 1, inChannels: 2, height: 5, width: 77, outChannels: 2, kernel: (3, 3), stride: (2, 2),
                     padding: (1, 1, 1, 1), groups: 2),
        ConvGeometry(batch: 1, inChannels: 2, height: 6, width: 51, outChannels: 2, kernel: (3, 3), stride: (2, 2),
                     padding: (0, 1, 0, 1), groups: 2),
        // rows of 64 or more: the 64-wide blocks, then 16, 8 and a recomputed tail
        ConvPathCheck.same(batch: 1, channels: 2, height: 5, width: 150, kernel: 3, stride: 1),
        // large enough that forward and backward split over two workers
        ConvPathCheck.same(batch: 3, channels: 16, height: 40, width: 40, kernel: 3, stride: 1),
        ConvPathCheck.same(batch: 2, channels: 12, height: 42, width: 42, kernel: 5, stride: 2),
    ]

    let direct = ConvPathCheck(
        forward: { x, w, b, y, g in DepthwiseConv.forward(x: x, w: w, bias: b, y: y, g) },
        backward: { x, w, dy, dx, dw, db, g in DepthwiseConv.backward(x: x, w: w, dy: dy, dx: dx, dw: dw, dbias: db, g) })

    /// Every instruction-set variant of the row kernel this CPU can run (AVX-512, AVX2 + FMA, baseline), at 1 and 2 threads.
    func testDirectKernelMatchesReference() {
        for isa in CPUKernels.ISA.allCases where isa <= CPUKernels.supported {
            CPUKernels.current = isa
            XCTAssertEqual(CPUKernels.current, isa)
            for threads in [1, 2] {
                Threads.set(threads)
                for (i, g) in Self.geometries.enumerated() {
                    XCTAssertTrue(DepthwiseConv.supports(g), "#\(i) \(g) should be depthwise")
                    direct.check(g, seed: UInt64(100 + i), "depthwise #\(i) \(isa)")
                }
            }
        }
    }

    /// The row kernel alone against its naive sum, at every width up to 140 (each split into 64-wide blocks and the
    /// 1–63 columns after them, 8–15 and below 8), 1, 2, 9 and 25 taps, with and without a ReLU6, at every ISA.
    func testGatherMatchesNaiveAtEveryWidth() {
        defer { CPUKernels.current = CPUKernels.supported }
        var rng = RNG(seed: 6)
        let (rows, ldi, ldo) = (2, 150, 145)
        let sources = (0..<25).map { _ in (0..<(rows * ldi)).map { _ in 3 * rng.normal() } }
        let weights = (0..<25).map { _ in rng.normal() }
        let pointers = sources.map { src in
            let p = UnsafeMutablePointer<Float>.allocate(capacity: src.count)
            p.initialize(from: src, count: src.count)
            return p
        }
        defer { pointers.forEach { $0.deallocate() } }
        for isa in CPUKernels.ISA.allCases where isa <= CPUKernels.supported {
            CPUKernels.current = isa
            for n in [1, 2, 9, 25] {
                for cap in [nil, Float(6)] {
                    for cols in 1...140 {
                        var out = [Float](repeating: .nan, count: rows * ldo)
                        let taps = (0..<n).map { Tap(weight: weights[$0], source: pointers[$0]) }
                        FusedReLU.withKernelForm(cap.map { FusedReLU(cap: $0) }) { relu in
                            gb_depthwise_gather(&out, ldo, rows, cols, ldi, 0.5, taps, n, relu)
                        }
                        for r in 0..<rows {
                            for j in 0..<cols {
                                var sum = 0.5
                                for t in 0..<n { sum += Double(weights[t]) * Double(sources[t][r * ldi + j]) }
                                let want = cap.map { FusedReLUTests.clamp(Float(sum), cap: $0) } ?? Float(sum)
                                XCTAssertEqual(out[r * ldo + j], want, accuracy: 1e-4 * Swift.max(1, abs(want)),
                                               "cols \(cols) taps \(n) cap \(String(describing: cap)) \(isa) at \(r),\(j)")
                            }
                            XCTAssertTrue(out[(r * ldo + cols)..<(r * ldo + ldo)].allSatisfy(\.isNaN), "wrote past cols \(cols) \(isa)")
                        }
                    }
                }
            }
        }
    }

    /// The stride-2 row split against the strided scalar copy, at every length around its 32- and 16-wide chunks.
    func testDeinterleaveMatchesNaive() {
        defer { CPUKernels.current = CPUKernels.supported }
        var rng = RNG(seed: 5)
        let src = (0..<80).map { _ in rng.normal() }
        for isa in CPUKernels.ISA.allCases where isa <= CPUKernels.supported {
            CPUKernels.current = isa
            for n in 0...src.count {
                var even = [Float](repeating: .nan, count: 41), odd = even
                gb_deinterleave2(src, n, &even, &odd)
                XCTAssertEqual(Array(even[..<((n + 1) / 2)]), stride(from: 0, to: n, by: 2).map { src[$0] }, "n \(n) \(isa)")
                XCTAssertEqual(Array(odd[..<(n / 2)]), stride(from: 1, to: n, by: 2).map { src[$0] }, "n \(n) \(isa)")
                XCTAssertTrue(even[((n + 1) / 2)...].allSatisfy(\.isNaN) && odd[(n / 2)...].allSatisfy(\.isNaN), "wrote past the end: n \(n) \(isa)")
            }
        }
    }

    func testConvKernelsDispatchesDepthwiseUnlessForced() {
        let g = Self.geometries[1]
        XCTAssertEqual(ConvKernels.path(for: g), .depthwise)
        XCTAssertEqual(ConvKernels.columnBufferSize(g), 0, "the direct kernel keeps no im2col cache")
        ConvKernels.fastPaths = false
        defer { ConvKernels.fastPaths = true }
        XCTAssertEqual(ConvKernels.path(for: g), .im2col)
        XCTAssertGreaterThan(ConvKernels.columnBufferSize(g), 0)
        // A full convolution with one input channel stays on im2col; so does a grouped non-depthwise one.
        ConvKernels.fastPaths = true
        XCTAssertEqual(ConvKernels.path(for: ConvGeometry(batch: 1, inChannels: 1, height: 5, width: 5, outChannels: 4, kernel: (3, 3))), .im2col)
        XCTAssertEqual(ConvKernels.path(for: ConvGeometry(batch: 1, inChannels: 4, height: 5, width: 5, outChannels: 4, kernel: (3, 3), groups: 2)), .im2col)
    }

    func testResultsDoNotDependOnThreadCount() {
        let g = Self.geometries[Self.geometries.count - 2]
        var rng = RNG(seed: 5)
        let x = randomTensor([g.batch, g.inChannels, g.height, g.width], &rng)
        let w = randomTensor([g.outChannels, 1, g.kernelH, g.kernelW], &rng)
        let dy = randomTensor([g.batch, g.outChannels, g.outHeight, g.outWidth], &rng)
        var results: [[Float]] = []
        for threads in [1, 2] {
            Threads.set(threads)
            let y = Tensor(zeros: dy.shape), dx = Tensor(zeros: x.shape), dw = Tensor(zeros: w.shape), db = Tensor(zeros: [g.outChannels])
            DepthwiseConv.forward(x: x.pointer, w: w.pointer, bias: nil, y: y.pointer, g)
            DepthwiseConv.backward(x: x.pointer, w: w.pointer, dy: dy.pointer, dx: dx.pointer, dw: dw.pointer, dbias: db.pointer, g)
            results.append(y.array + dx.array + dw.array + db.array)
        }
        XCTAssertEqual(results[0], results[1], "depthwise results must be bit-identical for 1 and 2 threads")
    }
}
