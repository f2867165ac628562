import XCTest
@testable import Experiments

final class GridDistributionTests: XCTestCase {
    /// Heaviest first, each job to the least-loaded process: the work of a grid splits evenly, the same way everywhere.
    func testJobsAreSpreadHeaviestFirstToTheLeastLoadedProcess() {
        let costs: [Double] = [1, 10, 1, 10, 1, 1, 0, 0]
        let owner = ComparisonRunner.assign(costs: costs, processes: 2)
        XCTAssertEqual(owner, [0, 0, 1, 1, 0, 1, 0, 1])
        let load = (0..<2).map { p in zip(costs, owner).filter { $0.1 == p }.reduce(0) { $0 + $1.0 } }
        XCTAssertEqual(load, [12, 12])
        XCTAssertEqual(ComparisonRunner.assign(costs: costs, processes: 1), [Int](repeating: 0, count: 8))
    }
}
