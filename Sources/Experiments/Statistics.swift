import Foundation

/// Mean, standard deviation and a 95 % confidence interval (Student t) of a few values — one per seed.
public struct Summary: Codable, Sendable {
    public let mean: Double
    public let std: Double
    /// Half-width of the 95 % interval around the mean (0 for a single value).
    public let ci95: Double
    public let n: Int

    public init(_ values: [Double]) {
        let m = values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count)
        let variance = values.count > 1 ? values.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(values.count - 1) : 0
        n = values.count
        mean = m
        std = variance.squareRoot()
        ci95 = values.count > 1 ? Self.t975(values.count - 1) * variance.squareRoot() / Double(values.count).squareRoot() : 0
    }

    public var lower: Double { mean - ci95 }
    public var upper: Double { mean + ci95 }

    /// "71.3 ± 1.2" in percent.
    public var percent: String { n == 0 ? "—" : n == 1 ? String(format: "%.1f", 100 * mean) : String(format: "%.1f ± %.1f", 100 * mean, 100 * std) }

    /// Two-sided 97.5 % quantile of Student's t with `dof` degrees of freedom.
    static func t975(_ dof: Int) -> Double {
        let table: [Double] = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131]
        return dof <= 0 ? .nan : dof <= table.count ? table[dof - 1] : 1.96 + 2.5 / Double(dof)
    }
}
