import Foundation
import Growth

/// Whether a cell of the grid had finished learning within its budget, read from its runs' learning curves:
/// the final training loss (over the steps since the previous curve point) and how much test accuracy rose
/// over the last fifth of training, means over seeds. A cell has converged when that rise is under 1 point.
struct Convergence {
    static let threshold = 0.01
    let finalLoss: Double
    /// Test accuracy at the end minus at 80 % of the steps (fraction).
    let lateGain: Double

    init?(_ runs: [RunResult]) {
        var losses: [Double] = [], gains: [Double] = []
        for r in runs {
            guard let last = r.curve.last, let end = last.testAccuracy else { continue }
            losses.append(last.trainLoss)
            let mark = Double(last.step) * 0.8
            if let earlier = r.curve.last(where: { Double($0.step) <= mark && $0.testAccuracy != nil })?.testAccuracy { gains.append(end - earlier) }
        }
        guard !losses.isEmpty, !gains.isEmpty else { return nil }
        finalLoss = Summary(losses).mean
        lateGain = Summary(gains).mean
    }

    var converged: Bool { lateGain < Self.threshold }
    var cell: String { String(format: "%.3f / %+.1f%@", finalLoss, 100 * lateGain, converged ? "" : " ↑") }
}

extension ComparisonTables {
    var convergence: ReportTable? {
        let keys = results.config.variants.map(\.key).filter { k in results.runs.contains { $0.variant == k && $0.study == "grid" && !$0.curve.isEmpty } }
        guard !keys.isEmpty else { return nil }
        return ReportTable(title: "Training budget and convergence",
                           note: convergenceVerdict + " Cells: final training loss / change of test accuracy over the last fifth of training (points), means over seeds; ↑ marks a cell still rising by 1 point or more.",
                           header: ["Method"] + depths.map(\.label),
                           rows: keys.map { k in [label(k)] + depths.map { Convergence(runs(k, $0))?.cell ?? "—" } })
    }

    /// One sentence on whether the baseline, FT, had converged.
    var convergenceVerdict: String {
        let ft = depths.compactMap { d in Convergence(runs("ft", d)).map { (d, $0) } }
        guard !ft.isEmpty else { return "FT was not run." }
        let rising = ft.filter { !$0.1.converged }
        if rising.isEmpty {
            return "FT had converged at every depth: its test accuracy moved by less than 1 point over the last fifth of training."
        }
        return "FT had NOT converged at " + rising.map { String(format: "%@ (%+.1f points over the last fifth)", $0.0.label, 100 * $0.1.lateGain) }.joined(separator: ", ")
            + ": a longer budget (--iterations) could change its numbers there."
    }
}
