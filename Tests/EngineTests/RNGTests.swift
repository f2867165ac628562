import XCTest
@testable import Engine

final class RNGTests: XCTestCase {
    func testSameSeedSameStream() {
        var a = RNG(seed: 123), b = RNG(seed: 123), c = RNG(seed: 124)
        let sa = (0..<100).map { _ in a.next() }, sb = (0..<100).map { _ in b.next() }, sc = (0..<100).map { _ in c.next() }
        XCTAssertEqual(sa, sb)
        XCTAssertNotEqual(sa, sc)
    }

    func testNormalMomentsAndUniformRange() {
        var rng = RNG(seed: 9)
        let xs = (0..<200_000).map { _ in Double(rng.normal()) }
        let mean = xs.reduce(0, +) / Double(xs.count)
        let variance = xs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(xs.count)
        XCTAssertEqual(mean, 0, accuracy: 0.01)
        XCTAssertEqual(variance, 1, accuracy: 0.02)
        for _ in 0..<10_000 { let u = rng.uniform(); XCTAssertTrue(u >= 0 && u < 1) }
    }

    func testInitialisersHaveTheirStatedScale() {
        var rng = RNG(seed: 2)
        let t = Tensor(zeros: [256, 128, 3, 3])   // fanIn 1152
        Init.kaimingNormal.fill(t, rng: &rng)
        let std = (t.array.map { Double($0 * $0) }.reduce(0, +) / Double(t.count)).squareRoot()
        XCTAssertEqual(std, (2.0 / 1152).squareRoot(), accuracy: 0.001)
        Init.xavierUniform.fill(t, rng: &rng)
        let bound = Float(6.0 / Double(1152 + 2304)).squareRoot()
        XCTAssertLessThanOrEqual(t.array.map(abs).max()!, bound)
        XCTAssertGreaterThan(t.array.map(abs).max()!, bound * 0.99)
    }

    func testShuffleIsAPermutation() {
        var rng = RNG(seed: 4)
        var a = Array(0..<1000)
        rng.shuffle(&a)
        XCTAssertNotEqual(a, Array(0..<1000))
        XCTAssertEqual(a.sorted(), Array(0..<1000))
    }
}
