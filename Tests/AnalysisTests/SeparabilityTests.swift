import XCTest
import Engine
@testable import Analysis

final class SeparabilityTests: XCTestCase {
    /// Leave-one-out kNN equals a naive reference (Double distances, full sort, independent vote) on random data.
    func testKNNMatchesNaive() {
        for (n, d, classes, seed) in [(60, 5, 3, UInt64(1)), (150, 12, 4, 2), (97, 30, 7, 3)] {
            let x = TestData.gaussian(n, d, seed: seed)
            var rng = RNG(seed: seed + 100)
            let labels = (0..<n).map { _ in rng.below(classes) }
            for k in [1, 2, 4, 7] {
                XCTAssertEqual(Separability.knnAccuracy(x, labels: labels, k: k), naiveKNN(x, labels, k),
                               "n=\(n) d=\(d) classes=\(classes) k=\(k)")
            }
        }
    }

    /// Vote ties go to the class of the nearest neighbour among the tied classes.
    func testKNNTieGoesToTheNearestNeighboursClass() {
        // On a line: point 0 at 0 (class 0); neighbours at 1 (class 1) and 2 (class 2); k = 2 → tie between 1 and 2.
        let x = Tensor(shape: [5, 1], values: [0, 1, 2, 10, 11])
        var votes = [Int: Int]()
        XCTAssertEqual(Separability.vote([1, 2], votes: &votes), 1)
        XCTAssertEqual(Separability.vote([3, 1, 2, 2, 1], votes: &votes), 1)   // 1 and 2 tied at 2: 1 is nearer
        XCTAssertEqual(Separability.vote([3, 2, 2, 1, 1], votes: &votes), 2)
        var nearest = [Int]()
        let dx = PairwiseDistances.squared(x)
        Separability.nearestNeighbours(row: dx.pointer, n: 5, excluding: 0, k: 2, into: &nearest)
        XCTAssertEqual(nearest, [1, 2])
        XCTAssertEqual(Separability.knnAccuracy(x, labels: [1, 1, 2, 3, 3], k: 2), 0.8)   // point 2: tie 1/2, nearest is 1
        // Equal distances: the lower index comes first.
        let y = Tensor(shape: [4, 1], values: [0, -1, 1, 1])
        let dy = PairwiseDistances.squared(y)
        Separability.nearestNeighbours(row: dy.pointer, n: 4, excluding: 0, k: 2, into: &nearest)
        XCTAssertEqual(nearest, [1, 2])
        withExtendedLifetime((dx, dy)) {}
    }

    /// The silhouette equals a naive O(n²) reference on random data.
    func testSilhouetteMatchesNaive() {
        for (n, d, classes, seed) in [(50, 4, 2, UInt64(4)), (120, 9, 5, 5)] {
            let x = TestData.gaussian(n, d, seed: seed, offset: 2)
            var rng = RNG(seed: seed + 7)
            var labels = (0..<n).map { _ in rng.below(classes) }
            labels[0] = classes   // a class of one member scores 0
            XCTAssertEqual(Separability.silhouette(x, labels: labels), naiveSilhouette(x, labels), accuracy: 1e-5, "n=\(n) classes=\(classes)")
        }
    }

    /// ≈ 1 for tight clusters far apart, ≈ 0 for one cloud with random labels, NaN for one class.
    func testSilhouetteExtremes() {
        let (tight, labels) = TestData.clusters(3, perCluster: 30, d: 8, spread: 200, seed: 6)
        XCTAssertGreaterThan(Separability.silhouette(tight, labels: labels), 0.95)
        XCTAssertEqual(Separability.knnAccuracy(tight, labels: labels, k: 5), 1)
        let cloud = TestData.gaussian(300, 8, seed: 7)
        var rng = RNG(seed: 8)
        let mixed = (0..<300).map { _ in rng.below(3) }
        XCTAssertEqual(Separability.silhouette(cloud, labels: mixed), 0, accuracy: 0.05)
        XCTAssertTrue(Separability.silhouette(cloud, labels: [Int](repeating: 0, count: 300)).isNaN)
    }

    func naiveDistance(_ x: Tensor, _ i: Int, _ j: Int) -> Double {
        let d = x.shape[1]
        return (0..<d).reduce(0.0) { let t = Double(x.pointer[i * d + $1]) - Double(x.pointer[j * d + $1]); return $0 + t * t }.squareRoot()
    }

    func naiveKNN(_ x: Tensor, _ labels: [Int], _ k: Int) -> Double {
        let n = x.shape[0]
        var correct = 0
        for i in 0..<n {
            let others: [(index: Int, distance: Double)] = (0..<n).filter { $0 != i }.map { ($0, naiveDistance(x, i, $0)) }
            let sorted = others.sorted { (a, b) -> Bool in a.distance < b.distance || (a.distance == b.distance && a.index < b.index) }
            let order: [Int] = sorted.prefix(k).map { labels[$0.index] }
            var counts = [Int: Int]()
            for c in order { counts[c, default: 0] += 1 }
            let best = counts.values.max()!
            let tied = Set(counts.filter { $0.value == best }.keys)
            let predicted = order.first { tied.contains($0) }!
            if predicted == labels[i] { correct += 1 }
        }
        return Double(correct) / Double(n)
    }

    func naiveSilhouette(_ x: Tensor, _ labels: [Int]) -> Double {
        let n = x.shape[0]
        var total = 0.0
        for i in 0..<n {
            let same = (0..<n).filter { $0 != i && labels[$0] == labels[i] }
            if same.isEmpty { continue }
            let a = same.map { naiveDistance(x, i, $0) }.reduce(0, +) / Double(same.count)
            var b = Double.infinity
            for c in Set(labels) where c != labels[i] {
                let members = (0..<n).filter { labels[$0] == c }
                b = min(b, members.map { naiveDistance(x, i, $0) }.reduce(0, +) / Double(members.count))
            }
            total += (b - a) / max(a, b)
        }
        return total / Double(n)
    }
}
