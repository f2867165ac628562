import XCTest
import Engine
@testable import Analysis

final class PairwiseDistancesTests: XCTestCase {
    /// The sgemm path equals the naive Double loop, including on data far from the origin (where un-centred
    /// ‖a‖² + ‖b‖² − 2a·b would lose most digits).
    func testSquaredDistancesMatchNaive() {
        for (n, d, offset) in [(1, 3, Float(0)), (9, 1, 0), (37, 13, 0), (64, 70, 50)] {
            let x = TestData.gaussian(n, d, seed: UInt64(n * 100 + d), offset: offset)
            let fast = PairwiseDistances.squared(x).array, naive = PairwiseDistances.squaredNaive(x).array
            let scale = naive.max() ?? 1
            let (diff, at) = TestData.maxDifference(fast, naive)
            XCTAssertLessThanOrEqual(diff, 1e-5 * Swift.max(scale, 1),
                                     "n=\(n) d=\(d) offset=\(offset): max |fast − naive| = \(diff) at (\(at / n), \(at % n)): \(fast[at]) vs \(naive[at])")
            for i in 0..<n {
                XCTAssertEqual(fast[i * n + i], 0, "diagonal must be exactly 0")
                for j in 0..<n { XCTAssertEqual(fast[i * n + j], fast[j * n + i], "must be exactly symmetric"); XCTAssertGreaterThanOrEqual(fast[i * n + j], 0) }
            }
        }
    }
}
