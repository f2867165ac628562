import XCTest
@testable import Engine
@testable import Training

/// The view bank's run: full batches, a permutation per pass, seeded view choices, and features that map row for row.
final class AugmentedViewsTests: XCTestCase {
    /// n examples × V views of one float each: the value encodes (view, example) as 100·v + i.
    func bank(n: Int, views: Int) -> ViewBank {
        ViewBank(passes: (0..<views).map { v in (Tensor(shape: [n, 1], values: (0..<n).map { Float(100 * v + $0) }), (0..<n).map { $0 % 3 }) })
    }

    func testEveryBatchIsFullAndEveryPassIsAPermutation() throws {
        let run = AugmentedViews(bank(n: 10, views: 4), batchSize: 4, steps: 10, seed: 7)   // 40 samples: 4 passes of 10
        var values: [Int] = [], labels: [Int] = []
        let batches = run.batches(epoch: 0)
        while let b = try batches.next() {
            XCTAssertEqual(b.labels.count, 4, "no short batch")
            values += b.inputs.array.map { Int($0) }; labels += b.labels
        }
        XCTAssertEqual(values.count, 40)
        for pass in 0..<4 {
            let examples = values[(10 * pass)..<(10 * pass + 10)].map { $0 % 100 }
            XCTAssertEqual(examples.sorted(), Array(0..<10), "pass \(pass) shows every example once")
        }
        XCTAssertEqual(labels, values.map { ($0 % 100) % 3 }, "labels follow their examples")
        XCTAssertEqual(Set(values.map { $0 / 100 }), [0, 1, 2, 3], "views are drawn from the whole bank")
        XCTAssertEqual(run.epochsPerPass, 4)
    }

    func testTheRunIsSeeded() throws {
        func order(_ seed: UInt64) throws -> [Float] { try AugmentedViews(bank(n: 6, views: 3), batchSize: 5, steps: 6, seed: seed).batches(epoch: 0).gathered().0.array }
        XCTAssertEqual(try order(1), try order(1))
        XCTAssertNotEqual(try order(1), try order(2))
    }

    func testOrderedBatchesAreViewZeroAndMappingKeepsRows() throws {
        let b = bank(n: 5, views: 2)
        let run = AugmentedViews(b, batchSize: 2, steps: 3, seed: 1)
        XCTAssertEqual(try run.orderedBatches().gathered().0.array, [0, 1, 2, 3, 4])
        let doubled = try b.mapped { x in Tensor(shape: x.shape, values: x.array.map { 2 * $0 }) }
        XCTAssertEqual(doubled.views.array, b.views.array.map { 2 * $0 })
        let a = try run.batches(epoch: 0).gathered().0.array
        let m = try AugmentedViews(doubled, batchSize: 2, steps: 3, seed: 1).batches(epoch: 0).gathered().0.array
        XCTAssertEqual(m, a.map { 2 * $0 }, "the same samples in the same order")
    }
}
