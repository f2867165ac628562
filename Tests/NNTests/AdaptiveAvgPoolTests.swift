import XCTest
@testable import Engine
@testable import NN

/// AdaptiveAvgPool2d against a naive reference written from PyTorch's definition, plus
/// finite-difference gradient checks (tolerances in `GradientCheck`).
final class AdaptiveAvgPoolTests: XCTestCase {
    let check = GradientCheck()
    override func setUp() { Threads.set(1) }

    /// (H, W) → (OH, OW): divisible, non-divisible (overlapping bins), larger output (replication), identity, global.
    let cases: [((Int, Int), (Int, Int))] = [
        ((4, 6), (2, 3)), ((5, 7), (3, 4)), ((10, 13), (7, 7)), ((1, 1), (7, 7)), ((2, 3), (7, 6)), ((6, 6), (6, 6)), ((5, 3), (1, 1)),
    ]

    /// y[n,c,i,j] = mean of x[n,c,r,s] over r in [⌊iH/OH⌋, ⌈(i+1)H/OH⌉), s likewise, by direct indexing in Double.
    func naive(_ x: Tensor, _ oh: Int, _ ow: Int) -> [Float] {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        var out: [Float] = []
        for b in 0..<n { for ch in 0..<c { for i in 0..<oh { for j in 0..<ow {
            let r0 = Int((Double(i * h) / Double(oh)).rounded(.down)), r1 = Int((Double((i + 1) * h) / Double(oh)).rounded(.up))
            let s0 = Int((Double(j * w) / Double(ow)).rounded(.down)), s1 = Int((Double((j + 1) * w) / Double(ow)).rounded(.up))
            var sum = 0.0
            for r in r0..<r1 { for s in s0..<s1 { sum += Double(x[b, ch, r, s]) } }
            out.append(Float(sum / Double((r1 - r0) * (s1 - s0))))
        } } } }
        return out
    }

    func testForwardMatchesNaiveReference() {
        for ((h, w), (oh, ow)) in cases {
            let x = gaussianTensor([2, 3, h, w], seed: UInt64(h * 100 + w))
            let y = AdaptiveAvgPool2d(outHeight: oh, outWidth: ow).forward(x)
            XCTAssertEqual(y.shape, [2, 3, oh, ow])
            let expected = naive(x, oh, ow)
            let worst = zip(y.array, expected).map { abs($0 - $1) }.max() ?? 0
            XCTAssertLessThanOrEqual(worst, 1e-6, "\(h)×\(w) → \(oh)×\(ow): max |diff| \(worst)")
        }
    }

    func testSmallerInputIsReplicated() {
        let x = Tensor(shape: [1, 2, 1, 1], values: [3, -5])
        let y = AdaptiveAvgPool2d(7).forward(x)
        XCTAssertEqual(y.array, [Float](repeating: 3, count: 49) + [Float](repeating: -5, count: 49))
    }

    func testGradients() {
        for ((h, w), (oh, ow)) in cases {
            check.check(AdaptiveAvgPool2d(outHeight: oh, outWidth: ow), input: gaussianTensor([2, 2, h, w], seed: UInt64(h + w)))
        }
    }

    /// Backward is the adjoint of forward: ⟨forward(x), g⟩ = ⟨x, backward(g)⟩ for every case, in Double.
    func testBackwardIsTheAdjoint() {
        for ((h, w), (oh, ow)) in cases {
            let pool = AdaptiveAvgPool2d(outHeight: oh, outWidth: ow)
            let x = gaussianTensor([1, 2, h, w], seed: 3), g = gaussianTensor([1, 2, oh, ow], seed: 4)
            let y = pool.forward(x), dx = pool.backward(g)
            let lhs = zip(y.array, g.array).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            let rhs = zip(x.array, dx.array).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            XCTAssertEqual(lhs, rhs, accuracy: 1e-5 * max(1, abs(lhs)), "\(h)×\(w) → \(oh)×\(ow)")
        }
    }
}
