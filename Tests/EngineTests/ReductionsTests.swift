import XCTest
@testable import Engine

final class ReductionsTests: XCTestCase {
    /// Every length around the 16/32-lane chunk boundaries, against the sequential references.
    func testReductionsMatchSequentialReferences() {
        var rng = RNG(seed: 11)
        for n in [0, 1, 7, 15, 16, 17, 31, 32, 33, 47, 48, 63, 64, 65, 1000, 1024, 3137] {
            let x = randomTensor([max(n, 1)], &rng), g = randomTensor([max(n, 1)], &rng)
            let scale = max(1, Float(n).squareRoot())
            XCTAssertEqual(Reductions.sum(x.pointer, n), Reductions.naiveSum(x.pointer, n), accuracy: 1e-5 * scale, "sum n=\(n)")
            let (s, q) = Reductions.shiftedMoments(x.pointer, n, shift: 0.3)
            let (ns, nq) = Reductions.naiveShiftedMoments(x.pointer, n, shift: 0.3)
            XCTAssertEqual(s, ns, accuracy: 1e-5 * scale, "moments sum n=\(n)")
            XCTAssertEqual(q, nq, accuracy: 1e-5 * scale * scale, "moments squares n=\(n)")
            let (a, d) = Reductions.sumAndCenteredDot(g.pointer, x.pointer, n, center: -0.2)
            let (na, nd) = Reductions.naiveSumAndCenteredDot(g.pointer, x.pointer, n, center: -0.2)
            XCTAssertEqual(a, na, accuracy: 1e-5 * scale, "dot sum n=\(n)")
            XCTAssertEqual(d, nd, accuracy: 1e-5 * scale, "dot n=\(n)")
        }
    }

    /// Each element counts exactly once: a one-hot input at every position of an odd length.
    func testEveryElementCountsOnce() {
        let n = 77
        for hot in 0..<n {
            let x = Tensor(zeros: [n])
            x.pointer[hot] = 2
            XCTAssertEqual(Reductions.sum(x.pointer, n), 2, "position \(hot)")
            XCTAssertEqual(Reductions.shiftedMoments(x.pointer, n, shift: 0).squares, 4, "position \(hot)")
            XCTAssertEqual(Reductions.sumAndCenteredDot(x.pointer, x.pointer, n, center: 0).dot, 4, "position \(hot)")
        }
    }
}
