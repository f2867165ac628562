import Engine

/// Which classes single units respond to: the class-selectivity index of Morcos et al. 2018 ("On the importance of
/// single directions for generalization", §2.3), the images a unit responds to most, and a stated rule for picking
/// units to show. Activations are expected to be non-negative (after ReLU), where the index lies in [0, 1].
public enum UnitSelectivity {
    /// Per unit: the selectivity index and the class with the highest mean activation.
    public struct Result {
        /// (μ_max − μ_rest)/(μ_max + μ_rest) per unit; 0 when both means are 0.
        public let selectivity: [Double]
        /// The class of μ_max per unit (the lower class on ties).
        public let preferredClass: [Int]
    }

    /// activations: [n, units], labels in 0..<classes (one per row) → the selectivity index per unit.
    /// μ_max is the largest class-mean activation, μ_rest the mean of the other classes' means. Classes with no
    /// example are left out of both.
    public static func selectivity(activations: Tensor, labels: [Int], classes: Int) -> [Double] {
        analyse(activations: activations, labels: labels, classes: classes).selectivity
    }

    /// The class each unit prefers (highest class-mean activation). See `analyse`.
    public static func preferredClass(activations: Tensor, labels: [Int], classes: Int) -> [Int] {
        analyse(activations: activations, labels: labels, classes: classes).preferredClass
    }

    /// Selectivity and preferred class of every unit of activations: [n, units].
    public static func analyse(activations: Tensor, labels: [Int], classes: Int) -> Result {
        let (n, units) = matrixShape(activations, "UnitSelectivity.selectivity", "activations")
        requireLabels(labels, rows: n, "UnitSelectivity.selectivity")
        require(classes >= 1, "UnitSelectivity.selectivity", "classes must be ≥ 1, got \(classes)")
        if let bad = labels.first(where: { $0 < 0 || $0 >= classes }) {
            fatalError("UnitSelectivity.selectivity: labels must be in 0..<\(classes), got \(bad)")
        }
        // Class sums by direct accumulation in Double: a one-hot GEMM would spend `classes`× the work on zeros.
        var sums = [Double](repeating: 0, count: classes * units), counts = [Int](repeating: 0, count: classes)
        let a = activations.pointer
        sums.withUnsafeMutableBufferPointer { s in
            for i in 0..<n {
                counts[labels[i]] += 1
                let row = a + i * units, dst = s.baseAddress! + labels[i] * units
                for u in 0..<units { dst[u] += Double(row[u]) }
            }
        }
        let present = (0..<classes).filter { counts[$0] > 0 }
        var selectivity = [Double](repeating: 0, count: units), preferred = [Int](repeating: 0, count: units)
        for u in 0..<units {
            var best = present.first ?? 0, bestMean = -Double.infinity, all = 0.0
            for c in present {
                let m = sums[c * units + u] / Double(counts[c])
                all += m
                if m > bestMean { bestMean = m; best = c }
            }
            preferred[u] = best
            guard present.count >= 2 else { continue }
            let rest = (all - bestMean) / Double(present.count - 1)
            let denominator = bestMean + rest
            selectivity[u] = denominator == 0 ? 0 : (bestMean - rest) / denominator
        }
        return Result(selectivity: selectivity, preferredClass: preferred)
    }

    /// The rows of activations: [n, units] with the k highest values of `unit`, highest first (lower index on ties).
    /// k is capped at n.
    public static func topImages(activations: Tensor, unit: Int, k: Int) -> [Int] {
        let (n, units) = matrixShape(activations, "UnitSelectivity.topImages", "activations")
        require(unit >= 0 && unit < units, "UnitSelectivity.topImages", "unit must be in 0..<\(units), got \(unit)")
        require(k >= 0, "UnitSelectivity.topImages", "k must be ≥ 0, got \(k)")
        let a = activations.pointer
        return Array((0..<n).sorted { a[$0 * units + unit] > a[$1 * units + unit]
            || (a[$0 * units + unit] == a[$1 * units + unit] && $0 < $1) }.prefix(k))
    }

    /// The selection rule for showing units of one block (e.g. the old units 0..<4096 of a widened FC7 or the new
    /// ones 4096..<5120): the `count` units in `among` with the highest selectivity, highest first, lower unit index
    /// on ties; NaN values are never chosen. Returns fewer when the range holds fewer.
    public static func mostSelective(_ selectivity: [Double], among: Range<Int>, count: Int) -> [Int] {
        require(among.lowerBound >= 0 && among.upperBound <= selectivity.count, "UnitSelectivity.mostSelective",
                "range \(among) must lie within 0..<\(selectivity.count) (one value per unit)")
        require(count >= 0, "UnitSelectivity.mostSelective", "count must be ≥ 0, got \(count)")
        return Array(among.filter { !selectivity[$0].isNaN }
            .sorted { selectivity[$0] > selectivity[$1] || (selectivity[$0] == selectivity[$1] && $0 < $1) }
            .prefix(count))
    }
}
