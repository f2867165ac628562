import XCTest
import Engine
@testable import Analysis

final class UnitSelectivityTests: XCTestCase {
    /// Hand-made activations: unit 0 fires only for class 2 (index 1, class 2); unit 1 fires equally for every class
    /// (index 0); unit 2 never fires (0 by definition); unit 3 has class means 3, 1, 1 → (3 − 1)/(3 + 1) = 0.5.
    func testSelectivityOnAHandMadeExample() {
        let labels = [0, 0, 1, 1, 2, 2]
        let rows: [[Float]] = [
            [0, 2, 0, 3], [0, 2, 0, 3],
            [0, 2, 0, 1], [0, 2, 0, 1],
            [5, 2, 0, 0.5], [7, 2, 0, 1.5],
        ]
        let a = Tensor(shape: [6, 4], values: rows.flatMap { $0 })
        let result = UnitSelectivity.analyse(activations: a, labels: labels, classes: 3)
        XCTAssertEqual(result.selectivity[0], 1, accuracy: 1e-12)
        XCTAssertEqual(result.preferredClass[0], 2)
        XCTAssertEqual(result.selectivity[1], 0, accuracy: 1e-12)
        XCTAssertEqual(result.selectivity[2], 0)
        XCTAssertEqual(result.selectivity[3], 0.5, accuracy: 1e-12)
        XCTAssertEqual(result.preferredClass[3], 0)
        XCTAssertEqual(UnitSelectivity.selectivity(activations: a, labels: labels, classes: 3), result.selectivity)
        XCTAssertEqual(UnitSelectivity.preferredClass(activations: a, labels: labels, classes: 3), result.preferredClass)
        // A class without examples is left out: with a 4th, empty class unit 3 is unchanged.
        XCTAssertEqual(UnitSelectivity.selectivity(activations: a, labels: labels, classes: 4)[3], 0.5, accuracy: 1e-12)
    }

    /// Highest first; equal activations in index order; k capped at n.
    func testTopImagesOrder() {
        let a = Tensor(shape: [6, 2], values: [1, 0, 9, 0, 3, 0, 9, 0, -1, 0, 4, 0])
        XCTAssertEqual(UnitSelectivity.topImages(activations: a, unit: 0, k: 4), [1, 3, 5, 2])
        XCTAssertEqual(UnitSelectivity.topImages(activations: a, unit: 0, k: 10), [1, 3, 5, 2, 0, 4])
        XCTAssertEqual(UnitSelectivity.topImages(activations: a, unit: 1, k: 3), [0, 1, 2])
    }

    /// The most selective units within one block, ties by lower index, NaN never chosen.
    func testMostSelectiveWithinABlock() {
        let s = [0.9, 0.1, 0.5, 0.5, .nan, 0.8, 0.95, 0.2]
        XCTAssertEqual(UnitSelectivity.mostSelective(s, among: 0..<4, count: 2), [0, 2])
        XCTAssertEqual(UnitSelectivity.mostSelective(s, among: 2..<6, count: 3), [5, 2, 3])
        XCTAssertEqual(UnitSelectivity.mostSelective(s, among: 4..<8, count: 10), [6, 5, 7])
    }
}
