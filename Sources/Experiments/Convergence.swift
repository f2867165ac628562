import Foundation
import Growth

/// Whether a cell of the grid had finished learning within its budget, read from its runs' learning curves:
/// the final training loss (over the steps since the previous curve point) and how much test accuracy rose
/// over the last fifth of training, means over seeds. The curve is measured on a subset of the test set (500
/// images: about ±2 points per run), so a cell counts as still rising only when the mean rise is at least 1 point
/// *and* its 95 % interval over seeds is above zero (the claims' rule); a larger rise within the noise is "unclear".
struct Convergence {
    static let threshold = 0.01
    enum State { case flat, unclear, rising }
    let finalLoss: Double
    /// Test accuracy at the end minus at 80 % of the steps (fractions), over seeds.
    let gains: Summary
    var lateGain: Double { gains.mean }

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
        self.gains = Summary(gains)
    }

    var state: State { lateGain < Self.threshold ? .flat : gains.n >= 2 && gains.lower > 0 ? .rising : .unclear }
    var cell: String {
        String(format: "%.3f / %+.1f%@", finalLoss, 100 * lateGain, state == .rising ? " ↑" : state == .unclear ? " ?" : "")
    }
}

extension ComparisonTables {
    var convergence: ReportTable? {
        let keys = results.config.variants.map(\.key).filter { k in results.runs.contains { $0.variant == k && $0.study == "grid" && !$0.curve.isEmpty } }
        guard !keys.isEmpty else { return nil }
        return ReportTable(title: "Training budget and convergence",
                           note: convergenceVerdict + " Cells: final training loss / change of test accuracy over the last fifth of training (points), means over seeds; ↑ marks a cell still rising (a mean rise of 1 point or more whose 95 % interval over seeds is above zero), ? one that rose by a point or more within the noise of the 500-image curve.",
                           header: ["Method"] + depths.map(\.label),
                           rows: keys.map { k in [label(k)] + depths.map { Convergence(runs(k, $0))?.cell ?? "—" } })
    }

    /// One sentence on whether the baseline, FT, had converged.
    var convergenceVerdict: String {
        let ft = depths.compactMap { d in Convergence(runs("ft", d)).map { (d, $0) } }
        guard !ft.isEmpty else { return "FT was not run." }
        func list(_ cells: [(FineTuneDepth, Convergence)]) -> String {
            cells.map { String(format: "%@ (%+.1f points over the last fifth)", $0.0.label, 100 * $0.1.lateGain) }.joined(separator: ", ")
        }
        let rising = ft.filter { $0.1.state == .rising }, unclear = ft.filter { $0.1.state == .unclear }
        if !rising.isEmpty {
            return "FT had NOT converged at " + list(rising) + ": a longer budget (--iterations) could change its numbers there."
        }
        if !unclear.isEmpty {
            return "FT had converged within the noise of its learning curve: it rose by a point or more only within that noise, at "
                + list(unclear) + "."
        }
        return "FT had converged at every depth: its test accuracy moved by less than 1 point over the last fifth of training."
    }
}
