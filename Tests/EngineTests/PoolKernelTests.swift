import XCTest
@testable import Engine

final class PoolKernelTests: XCTestCase {
    override func tearDown() { Threads.set(1) }

    func testMaxPoolMatchesNaiveReference() {
        for threads in [1, 2] {
            Threads.set(threads)
            var rng = RNG(seed: 5)
            for (n, c, h, w, k, s, p) in [(1, 1, 5, 5, 2, 2, 0), (2, 3, 7, 6, 3, 2, 1), (3, 2, 9, 9, 3, 1, 1), (1, 4, 4, 4, 2, 1, 0), (2, 2, 8, 8, 3, 2, 1),
                                          (2, 3, 16, 16, 3, 2, 1), (1, 2, 11, 13, 3, 2, 0), (1, 2, 10, 7, 5, 3, 2), (2, 2, 9, 8, 2, 2, 0),
                                          (1, 2, 12, 40, 3, 2, 1), (2, 1, 7, 33, 3, 1, 1), (1, 1, 6, 34, 2, 2, 0)] {
                let g = ConvGeometry(batch: n, inChannels: c, height: h, width: w, outChannels: c, kernel: (k, k), stride: (s, s), padding: (p, p, p, p))
                // Half the inputs clamped to 0, as after a ReLU: windows with tied maxima everywhere.
                let x = randomTensor([n, c, h, w], &rng)
                for i in 0..<x.count { x.pointer[i] = Swift.max(x.pointer[i], 0) }
                let fast = Tensor(zeros: [n, c, g.outHeight, g.outWidth]), slow = Tensor(zeros: fast.shape)
                var arg = [Int32](repeating: -7, count: fast.count), naiveArg = [Int32](repeating: -9, count: fast.count)
                PoolKernels.maxForward(x: x.pointer, y: fast.pointer, argmax: &arg, g)
                PoolKernels.naiveMax(x: x.pointer, y: slow.pointer, argmax: &naiveArg, g)
                assertClose(fast, slow, atol: 0, rtol: 0, "maxpool \(g) T\(threads)")
                // Ties go to the first maximum in row-major order, as the naive scan's.
                XCTAssertEqual(arg, naiveArg, "maxpool arg-max \(g) T\(threads)")
                // Without an arg-max (inference), the same values.
                let plain = Tensor(zeros: fast.shape)
                PoolKernels.maxForward(x: x.pointer, y: plain.pointer, argmax: nil, g)
                assertClose(plain, slow, atol: 0, rtol: 0, "maxpool without arg-max \(g) T\(threads)")
                // every recorded arg-max points at the winning value
                for i in 0..<fast.count {
                    let plane = i / (g.outHeight * g.outWidth)
                    XCTAssertEqual(x.pointer[plane * h * w + Int(arg[i])], fast.pointer[i])
                }
            }
        }
    }
}
