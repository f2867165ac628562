import Engine

/// How well a feature space separates classes, without training a classifier: leave-one-out kNN accuracy and the
/// silhouette. Both read one pairwise distance matrix from `PairwiseDistances.squared` (one sgemm), so n up to a few
/// thousand costs well under a second; memory is n² floats.
public enum Separability {
    /// Leave-one-out k-nearest-neighbour accuracy of features: [n, d] with `labels` (one per row), Euclidean.
    ///
    /// Each point is classified by the majority class among its k nearest other points (equal distances ordered by
    /// lower index). A tie between classes goes to the tied class whose nearest member comes first in that list —
    /// with k = 1 neighbours of one class each, the nearest neighbour's class. Requires 1 ≤ k ≤ n − 1.
    public static func knnAccuracy(_ features: Tensor, labels: [Int], k: Int) -> Double {
        let (n, _) = matrixShape(features, "Separability.knnAccuracy", "features")
        requireLabels(labels, rows: n, "Separability.knnAccuracy")
        require(k >= 1 && k <= n - 1, "Separability.knnAccuracy", "k must be in 1...n − 1 = 1...\(n - 1), got \(k)")
        let d = PairwiseDistances.squared(features)
        var correct = 0
        var nearest = [Int](), votes = [Int: Int]()
        for i in 0..<n {
            nearestNeighbours(row: d.pointer + i * n, n: n, excluding: i, k: k, into: &nearest)
            if vote(nearest.map { labels[$0] }, votes: &votes) == labels[i] { correct += 1 }
        }
        return Double(correct) / Double(n)
    }

    /// The majority class of neighbour labels listed nearest first; ties go to the tied class seen first.
    static func vote(_ neighbourLabels: [Int], votes: inout [Int: Int]) -> Int {
        votes.removeAll(keepingCapacity: true)
        for c in neighbourLabels { votes[c, default: 0] += 1 }
        let top = votes.values.max() ?? 0
        return neighbourLabels.first { votes[$0] == top }!
    }

    /// The indices of the k smallest entries of row: [n] other than `excluding`, ascending by (distance, index).
    /// Insertion into a sorted buffer of k: O(n·k), which beats sorting the row for the small k used here.
    static func nearestNeighbours(row: UnsafePointer<Float>, n: Int, excluding: Int, k: Int, into out: inout [Int]) {
        out.removeAll(keepingCapacity: true)
        for j in 0..<n where j != excluding {
            let dj = row[j]
            if out.count == k && dj >= row[out[k - 1]] { continue }   // equal distance: the earlier index stays
            var pos = out.count
            while pos > 0 && row[out[pos - 1]] > dj { pos -= 1 }
            out.insert(j, at: pos)
            if out.count > k { out.removeLast() }
        }
    }

    /// The mean silhouette (Rousseeuw 1987) of features: [n, d] with `labels`, Euclidean, in [−1, 1].
    ///
    /// For point i, a = mean distance to the other members of its class, b = the smallest mean distance to another
    /// class, s = (b − a)/max(a, b) (0 when both are 0). Points whose class has one member score 0, as in Rousseeuw
    /// and scikit-learn. Undefined (NaN) with fewer than 2 classes.
    public static func silhouette(_ features: Tensor, labels: [Int]) -> Double {
        let (n, _) = matrixShape(features, "Separability.silhouette", "features")
        requireLabels(labels, rows: n, "Separability.silhouette")
        let classes = Array(Set(labels)).sorted()
        guard classes.count >= 2 else { return .nan }
        let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($0.element, $0.offset) })
        let dense = labels.map { index[$0]! }
        var sizes = [Int](repeating: 0, count: classes.count)
        for c in dense { sizes[c] += 1 }
        let d = PairwiseDistances.squared(features)
        var total = 0.0
        var sums = [Double](repeating: 0, count: classes.count)
        for i in 0..<n {
            let own = dense[i]
            if sizes[own] == 1 { continue }
            for c in sums.indices { sums[c] = 0 }
            let row = d.pointer + i * n
            for j in 0..<n { sums[dense[j]] += Double(row[j]).squareRoot() }   // d(i, i) = 0 adds nothing
            let a = sums[own] / Double(sizes[own] - 1)
            var b = Double.infinity
            for c in sums.indices where c != own { b = Swift.min(b, sums[c] / Double(sizes[c])) }
            let m = Swift.max(a, b)
            total += m > 0 ? (b - a) / m : 0
        }
        return total / Double(n)
    }
}
