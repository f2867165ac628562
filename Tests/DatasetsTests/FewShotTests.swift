import XCTest
@testable import Datasets

final class FewShotTests: XCTestCase {
    /// 3 classes with 10, 12 and 9 examples, interleaved.
    let labels = (0..<31).map { $0 < 27 ? $0 % 3 : [1, 1, 0, 1][$0 - 27] }

    func testDrawsKPerClassDisjointAndBalanced() throws {
        let d = try FewShotSampler.draw(labels: labels, classCount: 3, shots: 4, seed: 1)
        for c in 0..<3 {
            XCTAssertEqual(d.trainByClass[c].count, 4)
            XCTAssertTrue(d.trainByClass[c].allSatisfy { labels[$0] == c })
            XCTAssertTrue(d.testByClass[c].allSatisfy { labels[$0] == c })
        }
        XCTAssertEqual(Set(d.testByClass.map(\.count)), [9 - 4], "test is balanced at the smallest class's remainder")
        XCTAssertTrue(Set(d.train).isDisjoint(with: d.test))
        XCTAssertEqual(Set(d.train).count, 12)
    }

    func testSeededNestedAndFixedTestSplit() throws {
        let a = try FewShotSampler.draw(labels: labels, classCount: 3, shots: 2, testPerClass: 3, seed: 7)
        XCTAssertEqual(a, try FewShotSampler.draw(labels: labels, classCount: 3, shots: 2, testPerClass: 3, seed: 7))
        let b = try FewShotSampler.draw(labels: labels, classCount: 3, shots: 5, testPerClass: 3, seed: 7)
        XCTAssertEqual(a.test, b.test, "a fixed testPerClass gives the same test split for every k")
        for c in 0..<3 { XCTAssertEqual(Array(b.trainByClass[c].prefix(2)), a.trainByClass[c], "k-shot ⊂ (k+3)-shot") }
        let other = try FewShotSampler.draw(labels: labels, classCount: 3, shots: 2, testPerClass: 3, seed: 8)
        XCTAssertNotEqual(a.train, other.train, "another seed draws other examples")
    }

    func testTooFewExamplesIsAnError() {
        assertDatasetError(try FewShotSampler.draw(labels: labels, classCount: 3, shots: 9, seed: 0, source: "tiny"),
                           file: "tiny", "class 2 has 9 examples")
        assertDatasetError(try FewShotSampler.draw(labels: labels, classCount: 3, shots: 5, testPerClass: 5, seed: 0, source: "t"),
                           file: "t", "too few")
        assertDatasetError(try FewShotSampler.draw(labels: labels, classCount: 3, shots: 9, seed: 0, source: "tiny", classNames: ["a", "b", "cat"]),
                           file: "tiny", "class 'cat' has 9 examples, too few for 9 training + ≥ 1 test examples per class; lower --shots to 8 or below")
    }

    /// Degenerate targets are refused before any training, naming the class or example and the fix.
    func testOneClassAndLabelsOutOfRangeAreErrors() {
        assertDatasetError(try FewShotSampler.draw(labels: [0, 0, 0], classCount: 1, shots: 1, seed: 0, source: "one", classNames: ["dogs"]),
                           file: "one", "1 class ('dogs'); a classifier needs at least 2")
        assertDatasetError(try FewShotSampler.draw(labels: [0, 1, 7, 1], classCount: 2, shots: 1, seed: 0, source: "bad"),
                           file: "bad", "example 2 has label 7, outside the 2 classes 0…1")
        assertDatasetError(try FewShotSampler.draw(labels: [0, 1, -1], classCount: 2, shots: 1, seed: 0, source: "neg"),
                           file: "neg", "label -1")
    }

    func testReportListsTheDrawnIndicesPerClass() throws {
        let d = try FewShotSampler.draw(labels: labels, classCount: 3, shots: 2, seed: 3)
        let report = d.report(classNames: ["a", "b", "c"])
        XCTAssertTrue(report.contains("2 per class"))
        XCTAssertTrue(report.contains("  b: \(d.trainByClass[1].sorted().map(String.init).joined(separator: " "))"), report)
    }

    func testStratifiedSplitCoversEverythingOnce() {
        let (train, test) = TrainTestSplit.stratified(labels: labels, classCount: 3, testFraction: 0.3, seed: 2)
        XCTAssertEqual((train + test).sorted(), Array(0..<31))
        XCTAssertEqual([0, 1, 2].map { c in test.filter { labels[$0] == c }.count }, [3, 4, 3])  // round(.3·10, .3·12, .3·9)
        XCTAssertEqual(test, TrainTestSplit.stratified(labels: labels, classCount: 3, testFraction: 0.3, seed: 2).test)
    }

    func testSubsetViewsByIndex() throws {
        let dir = TempDir()
        let ds = try ByteImageDataset(idxImages: dir.write("i", Fixture.idx([3, 1, 1], [10, 20, 30])),
                                      labels: dir.write("l", Fixture.idx([3], [0, 1, 0])))
        let s = Subset(ds, indices: [2, 1])
        XCTAssertEqual(s.count, 2)
        XCTAssertEqual(s.labels, [0, 1])
        XCTAssertEqual(try s.image(at: 0).pixels, [30])
    }
}
