import Foundation
import Growth

/// The report's figures, as SVG documents keyed by file name.
struct ComparisonPlots {
    let results: ComparisonResults

    func label(_ key: String) -> String { MethodVariant.named(key)?.label ?? key }

    /// Mean over seeds of `value` at each step (steps are identical across seeds of one config).
    func meanCurve<T>(_ runs: [RunResult], _ points: (RunResult) -> [T], step: (T) -> Int, value: (T) -> Double?) -> [(x: Double, y: Double)] {
        var sums: [Int: (Double, Int)] = [:]
        for r in runs { for p in points(r) { if let v = value(p) { let s = sums[step(p)] ?? (0, 0); sums[step(p)] = (s.0 + v, s.1 + 1) } } }
        return sums.keys.sorted().map { (x: Double($0), y: sums[$0]!.0 / Double(sums[$0]!.1)) }
    }

    func grid(_ key: String, _ depth: FineTuneDepth) -> [RunResult] {
        results.runs.filter { $0.variant == key && $0.depth == depth && $0.study == "grid" }
    }

    var learningCurves: [(String, String)] {
        results.config.depths.map { depth in
            let series = results.config.variants.map { v in
                SVGChart.Series(name: v.label, points: meanCurve(grid(v.key, depth), { $0.curve }, step: { $0.step }, value: { $0.testAccuracy.map { 100 * $0 } }),
                                dashed: !v.normalize && v.method != .ft)
            }
            return ("curves-\(depth.rawValue).svg",
                    SVGChart.line(title: "Test accuracy during fine-tuning — depth \(depth.label)", xLabel: "step", yLabel: "test top-1 (%)", series: series))
        }
    }

    var lossCurves: (String, String) {
        let series = results.config.variants.map { v in
            SVGChart.Series(name: v.label, points: meanCurve(grid(v.key, .all), { $0.curve }, step: { $0.step }, value: { $0.trainLoss }),
                            dashed: !v.normalize && v.method != .ft)
        }
        return ("loss-all.svg", SVGChart.line(title: "Training loss — depth All", xLabel: "step", yLabel: "cross-entropy", series: series))
    }

    var perBlock: (String, String)? {
        let keys = ["wa", "wwa", "wa-rand", "wa-copy+rand", "wa-copy"].filter { !grid($0, .all).isEmpty && grid($0, .all).allSatisfy { $0.perBlock["old"] != nil } }
        guard !keys.isEmpty else { return nil }
        func mean(_ runs: [RunResult], _ f: (RunResult) -> Double?) -> Double { Summary(runs.compactMap(f)).mean * 100 }
        let groups = keys.map { k in
            (label: label(k), values: [(series: "old units", value: mean(grid(k, .all)) { $0.perBlock["old"] }),
                                      (series: "new units", value: mean(grid(k, .all)) { $0.perBlock["new"] }),
                                      (series: "combined", value: mean(grid(k, .all)) { $0.top1 })])
        }
        return ("per-block.svg", SVGChart.bars(title: "Per-block accuracy, depth All (paper Fig. 6)", yLabel: "test top-1 (%)", groups: groups, yRange: (0, 100)))
    }

    var units: (String, String)? {
        let sweep = results.runs.unitStudy
        guard !sweep.isEmpty else { return nil }
        let counts = Set(sweep.map(\.units)).sorted()
        var series = ["wa", "da"].map { k in
            SVGChart.Series(name: label(k), points: counts.map { u in (x: Double(u), y: 100 * Summary(sweep.filter { $0.variant == k && $0.units == u }.map(\.top1)).mean) })
        }
        let ft = 100 * Summary(grid("ft", .all).map(\.top1)).mean
        if ft.isFinite { series.append(SVGChart.Series(name: "FT", points: [(Double(counts.first!), ft), (Double(counts.last!), ft)], dashed: true)) }
        return ("units.svg", SVGChart.line(title: "Accuracy vs new units (depth All)", xLabel: "new units", yLabel: "test top-1 (%)", series: series))
    }

    var shots: (String, String)? {
        let sweep = results.runs.filter { $0.study == "shots" }
        guard !sweep.isEmpty else { return nil }
        let ks = Set(sweep.map(\.shots)).sorted()
        let series = ["ft", "wa"].map { k in
            SVGChart.Series(name: label(k), points: ks.map { s in (x: Double(s), y: 100 * Summary(sweep.filter { $0.variant == k && $0.shots == s }.map(\.top1)).mean) })
        }
        return ("shots.svg", SVGChart.line(title: "Accuracy vs shots per class (depth All)", xLabel: "shots per class", yLabel: "test top-1 (%)", series: series))
    }

    var all: [(String, String)] {
        learningCurves + [lossCurves] + [perBlock, units, shots].compactMap { $0 }
    }
}
