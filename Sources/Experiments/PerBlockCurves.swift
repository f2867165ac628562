import Foundation
import Growth

/// The paper's Fig. 6 on the comparison's own runs: held-out accuracy of a widened network's old block alone, new block
/// alone and both together, at each point of the learning curve (`RunResult.blockCurve`, mean over seeds), for WA with
/// normalisation beside WA without it (the paper's WA-CNN-grow and WA-CNN-ori), at the same depth.
struct PerBlockCurves {
    let results: ComparisonResults
    /// With and without normalisation, as the paper sets them side by side.
    static let variants: [MethodVariant] = [.wa, .waRand]

    /// Mean over seeds at one step.
    struct Point { let step: Int; let combined: Double; let blocks: [String: Double] }

    func runs(_ variant: MethodVariant, _ depth: FineTuneDepth) -> [RunResult] {
        results.runs.filter { $0.study == "grid" && $0.variant == variant.key && $0.depth == depth && !($0.blockCurve ?? []).isEmpty }
    }

    /// The deepest depth where WA has curves, preferring one where WA without normalisation has them too.
    var depth: FineTuneDepth? {
        let withWA = FineTuneDepth.allCases.filter { !runs(.wa, $0).isEmpty }
        return withWA.last { !runs(.waRand, $0).isEmpty } ?? withWA.last
    }

    /// The mean curve of `variant` at `depth`, by step.
    func curve(_ variant: MethodVariant, _ depth: FineTuneDepth) -> [Point] {
        var sums: [Int: (combined: Double, blocks: [String: Double], n: Int)] = [:]
        for run in runs(variant, depth) {
            for p in run.blockCurve ?? [] {
                var s = sums[p.step] ?? (0, [:], 0)
                s.combined += p.combined
                for (k, v) in p.blocks { s.blocks[k, default: 0] += v }
                s.n += 1
                sums[p.step] = s
            }
        }
        return sums.keys.sorted().map { step in
            let s = sums[step]!
            return Point(step: step, combined: s.combined / Double(s.n), blocks: s.blocks.mapValues { $0 / Double(s.n) })
        }
    }

    /// One chart per variant, on a shared y axis so the panels compare.
    var figure: ReportFigure? {
        guard let depth else { return nil }
        let curves = Self.variants.map { ($0, curve($0, depth)) }.filter { !$0.1.isEmpty }
        let values = curves.flatMap { $0.1.flatMap { [$0.combined] + Array($0.blocks.values) } }.map { 100 * $0 }
        let range = (max(0, (values.min() ?? 0) - 5), min(100, (values.max() ?? 100) + 5))
        let images = curves.map { variant, points -> ReportImage in
            let series = [("old units", "old", false), ("new units", "new", true)].map { label, block, dashed in
                SVGChart.Series(name: label, points: points.compactMap { p in p.blocks[block].map { (x: Double(p.step), y: 100 * $0) } }, dashed: dashed)
            } + [SVGChart.Series(name: "combined", points: points.map { (x: Double($0.step), y: 100 * $0.combined) })]
            let svg = SVGChart.line(title: "\(variant.label) — depth \(depth.label)", xLabel: "step", yLabel: "test top-1 (%)", series: series,
                                    yRange: range, width: 540, height: 330, legendWidth: 110)
            return .svg(name: "per-block-curves-\(variant.key).svg", document: svg)
        }
        return ReportFigure(id: "per-block-curves", images: images, caption: reading(depth) ?? "")
    }

    /// What the curves show, in one sentence from their numbers.
    func reading(_ depth: FineTuneDepth) -> String? {
        let parts = Self.variants.compactMap { variant -> String? in
            let points = curve(variant, depth)
            guard let last = points.last, let old = last.blocks["old"], let new = last.blocks["new"] else { return nil }
            let overtakes = points.first { ($0.blocks["new"] ?? 0) >= ($0.blocks["old"] ?? .infinity) }
            let when = overtakes.map { "matched or passed the old block from step \($0.step)" } ?? "stayed below the old block throughout"
            return String(format: "in %@ the new block alone %@ and ended at %.1f %% (old %.1f %%, both %.1f %%, step %d)",
                          variant.label, when, 100 * new, 100 * old, 100 * last.combined, last.step)
        }
        guard !parts.isEmpty else { return nil }
        let seeds = Set(runs(.wa, depth).map(\.seed)).count
        return "Depth \(depth.label), mean of \(seeds) seed\(seeds == 1 ? "" : "s"), each block scored with the other's inputs zeroed: "
            + parts.joined(separator: "; ") + "."
    }
}
