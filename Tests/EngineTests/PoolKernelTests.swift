import XCTest
@testable import Engine

final class PoolKernelTests: XCTestCase {
    override func tearDown() { Threads.set(1); CPUKernels.current = CPUKernels.supported }

    /// Geometries of every kind: overlapping and padded windows, and the plain 2×2/2 window (C kernel) at widths that
    /// take each of its paths (8 outputs a vector with an overlapping last one, 4 a vector, one at a time) and odd sizes.
    static let geometries = [(1, 1, 5, 5, 2, 2, 0), (2, 3, 7, 6, 3, 2, 1), (3, 2, 9, 9, 3, 1, 1), (1, 4, 4, 4, 2, 1, 0), (2, 2, 8, 8, 3, 2, 1),
                             (2, 3, 16, 16, 3, 2, 1), (1, 2, 11, 13, 3, 2, 0), (1, 2, 10, 7, 5, 3, 2), (2, 2, 9, 8, 2, 2, 0),
                             (1, 2, 12, 40, 3, 2, 1), (2, 1, 7, 33, 3, 1, 1), (1, 1, 6, 34, 2, 2, 0),
                             (3, 5, 28, 28, 2, 2, 0), (2, 3, 14, 14, 2, 2, 0), (2, 3, 7, 7, 2, 2, 0), (1, 2, 2, 2, 2, 2, 0), (1, 2, 3, 5, 2, 2, 0),
                             (1, 2, 4, 9, 2, 2, 0), (1, 3, 6, 16, 2, 2, 0), (2, 2, 5, 18, 2, 2, 0), (1, 2, 8, 35, 2, 2, 0), (1, 1, 4, 66, 2, 2, 0)]

    /// Runs `body` on every geometry at every instruction-set build the CPU runs and at 1 and 2 threads, with a generator
    /// seeded anew for each (ISA, threads) pass and a label naming the case.
    private func forEachCase(seed: UInt64, _ body: (ConvGeometry, inout RNG, String) -> Void) {
        for isa in CPUKernels.ISA.allCases where isa <= CPUKernels.supported {
            CPUKernels.current = isa
            for threads in [1, 2] {
                Threads.set(threads)
                var rng = RNG(seed: seed)
                for (n, c, h, w, k, s, p) in Self.geometries {
                    let g = ConvGeometry(batch: n, inChannels: c, height: h, width: w, outChannels: c, kernel: (k, k), stride: (s, s),
                                         padding: (p, p, p, p))
                    body(g, &rng, "\(g) \(isa) T\(threads)")
                }
            }
        }
    }

    /// The 2×2/2 pool of a channel-blocked input (blocks of 8 and 16, the widths of each vector path and odd sizes)
    /// against the plain kernel on the same values, with and without a fused ReLU: outputs equal, arg-max equal in
    /// blocked order, inference equal; the blocked backward equals the plain one, reblocked.
    func testBlockedMaxPoolMatchesThePlainPool() {
        for isa in CPUKernels.ISA.allCases where isa <= CPUKernels.supported {
            CPUKernels.current = isa
            for threads in [1, 2] {
                Threads.set(threads)
                var rng = RNG(seed: 11)
                for block in [8, 16] {
                    for (n, blocks, h, w) in [(3, 1, 14, 14), (2, 2, 7, 7), (1, 1, 9, 11), (2, 1, 28, 28), (1, 2, 3, 5), (2, 1, 2, 2)] {
                        let shape = [n, blocks * block, h, w]
                        let x = randomTensor(shape, &rng)
                        for i in stride(from: 0, to: x.count, by: 3) { x.pointer[i] = 0 }   // tied maxima
                        let g = ConvGeometry(batch: n, inChannels: shape[1], height: h, width: w, outChannels: shape[1],
                                             kernel: (2, 2), stride: (2, 2), padding: (0, 0, 0, 0))
                        let blocked = ChannelBlocked(blocking: x, block: block)
                        for relu in [nil, FusedReLU(cap: .infinity), FusedReLU(cap: 0.5)] {
                            let label = "\(shape) block \(block) relu \(relu.map { "\($0.cap)" } ?? "none") \(isa) T\(threads)"
                            let y = Tensor(zeros: [n, shape[1], h / 2, w / 2]), expected = Tensor(zeros: y.shape)
                            var arg = [Int32](repeating: -7, count: y.count), plainArg = [Int32](repeating: -9, count: y.count)
                            PoolKernels.maxForwardBlocked(blocked, y: y.pointer, argmax: &arg, relu: relu)
                            PoolKernels.maxForward(x: x.pointer, y: expected.pointer, argmax: &plainArg, g, relu: relu)
                            XCTAssertEqual(y.array, expected.array, "blocked pool \(label)")
                            let argInBlocks = ChannelBlocked(blocking: Tensor(shape: y.shape, values: plainArg.map(Float.init)), block: block)
                            XCTAssertEqual(arg, argInBlocks.data.array.map { Int32($0) }, "blocked arg-max \(label)")
                            let inference = Tensor(zeros: y.shape)
                            PoolKernels.maxForwardBlocked(blocked, y: inference.pointer, argmax: nil, relu: relu)
                            XCTAssertEqual(inference.array, expected.array, "blocked pool without arg-max \(label)")
                            let dy = randomTensor(y.shape, &rng)
                            let dx = PoolKernels.maxBackwardBlocked(dy: dy.pointer, argmax: arg, shape: shape, block: block)
                            let plainDX = Tensor(shape: shape, repeating: .nan)
                            PoolKernels.maxBackward(dy: dy.pointer, argmax: plainArg, dx: plainDX.pointer, g)
                            XCTAssertEqual(dx.plain().array, plainDX.array, "blocked backward \(label)")
                        }
                    }
                }
            }
        }
    }

    func testMaxPoolMatchesNaiveReference() {
        forEachCase(seed: 5) { g, rng, label in
            let shape = [g.batch, g.inChannels, g.height, g.width]
            // Half the inputs clamped to 0, as after a ReLU: windows with tied maxima everywhere.
            let x = randomTensor(shape, &rng)
            for i in 0..<x.count { x.pointer[i] = Swift.max(x.pointer[i], 0) }
            let fast = Tensor(zeros: [g.batch, g.inChannels, g.outHeight, g.outWidth]), slow = Tensor(zeros: fast.shape)
            var arg = [Int32](repeating: -7, count: fast.count), naiveArg = [Int32](repeating: -9, count: fast.count)
            PoolKernels.maxForward(x: x.pointer, y: fast.pointer, argmax: &arg, g)
            PoolKernels.naiveMax(x: x.pointer, y: slow.pointer, argmax: &naiveArg, g)
            assertClose(fast, slow, atol: 0, rtol: 0, "maxpool \(label)")
            // Ties go to the first maximum in row-major order, as the naive scan's.
            XCTAssertEqual(arg, naiveArg, "maxpool arg-max \(label)")
            // Without an arg-max (inference), the same values.
            let plain = Tensor(zeros: fast.shape)
            PoolKernels.maxForward(x: x.pointer, y: plain.pointer, argmax: nil, g)
            assertClose(plain, slow, atol: 0, rtol: 0, "maxpool without arg-max \(label)")
            // every recorded arg-max points at the winning value
            for i in 0..<fast.count {
                let plane = i / (g.outHeight * g.outWidth)
                XCTAssertEqual(x.pointer[plane * g.height * g.width + Int(arg[i])], fast.pointer[i])
            }
        }
    }

    /// With a ReLU fused in, the values are the pool of relu(x) and the arg-max is the naive one where the maximum is
    /// inside (0, cap), −1 elsewhere (where the ReLU passes no gradient); inference gives the same values.
    func testMaxPoolWithFusedReLUIsThePoolOfTheReLU() {
        forEachCase(seed: 8) { g, rng, caseLabel in
            for cap in [Float.infinity, 6] {
                let x = randomTensor([g.batch, g.inChannels, g.height, g.width], &rng, scale: 8)
                for i in stride(from: 0, to: x.count, by: 7) { x.pointer[i] = 6 }   // at the cap: no gradient
                let clamped = x.copy()
                for i in 0..<x.count { clamped.pointer[i] = Swift.min(Swift.max(x.pointer[i], 0), cap) }
                let fused = Tensor(zeros: [g.batch, g.inChannels, g.outHeight, g.outWidth])
                let expected = Tensor(zeros: fused.shape), plain = Tensor(zeros: fused.shape)
                var arg = [Int32](repeating: -7, count: fused.count), naiveArg = [Int32](repeating: -9, count: fused.count)
                PoolKernels.maxForward(x: x.pointer, y: fused.pointer, argmax: &arg, g, relu: FusedReLU(cap: cap))
                PoolKernels.maxForward(x: x.pointer, y: plain.pointer, argmax: nil, g, relu: FusedReLU(cap: cap))
                PoolKernels.naiveMax(x: x.pointer, y: expected.pointer, argmax: &naiveArg, g)
                for i in 0..<expected.count {
                    let m = expected.pointer[i]
                    if !(m > 0 && m < cap) { naiveArg[i] = -1 }
                    expected.pointer[i] = Swift.min(Swift.max(m, 0), cap)
                }
                let label = "\(caseLabel) cap \(cap)"
                assertClose(fused, expected, atol: 0, rtol: 0, "maxpool after ReLU \(label)")
                assertClose(plain, expected, atol: 0, rtol: 0, "maxpool after ReLU, no arg-max \(label)")
                XCTAssertEqual(arg, naiveArg, "arg-max after ReLU \(label)")
                let pooledAfter = Tensor(zeros: fused.shape)
                PoolKernels.naiveMax(x: clamped.pointer, y: pooledAfter.pointer, g)
                assertClose(fused, pooledAfter, atol: 0, rtol: 0, "pool ∘ relu = relu ∘ pool \(label)")
            }
        }
    }

    /// The backward writes every element of dx (here filled with NaN first): the naive scatter into zeros, at every
    /// geometry, instruction set and thread count, including arg-maxes of −1 (windows a fused ReLU closed).
    func testMaxPoolBackwardMatchesNaiveScatter() {
        forEachCase(seed: 6) { g, rng, label in
            let x = randomTensor([g.batch, g.inChannels, g.height, g.width], &rng)
            let y = Tensor(zeros: [g.batch, g.inChannels, g.outHeight, g.outWidth])
            var arg = [Int32](repeating: 0, count: y.count)
            PoolKernels.maxForward(x: x.pointer, y: y.pointer, argmax: &arg, g, relu: FusedReLU())
            XCTAssertTrue(arg.contains(-1) || y.array.allSatisfy { $0 > 0 }, "some windows closed by the ReLU")
            let dy = randomTensor(y.shape, &rng)
            let fast = Tensor(shape: x.shape, repeating: .nan), slow = Tensor(zeros: x.shape)
            PoolKernels.maxBackward(dy: dy.pointer, argmax: arg, dx: fast.pointer, g)
            PoolKernels.naiveMaxBackward(dy: dy.pointer, argmax: arg, dx: slow.pointer, g)
            assertClose(fast, slow, atol: 0, rtol: 0, "maxpool backward \(label)")
        }
    }
}
