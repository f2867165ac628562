import Foundation
import Growth

/// The learning-pace probes (`PacePoint`) of WA with and without normalisation as one figure — activation per unit before
/// normalisation, after scaling, and weight-gradient norm per unit, old units solid and new dashed — with a sentence that
/// reads the new-to-old ratios off the numbers.
struct LearningPaceFigure {
    let results: ComparisonResults
    let depth: FineTuneDepth

    func runs(_ variant: MethodVariant) -> [RunResult] {
        results.runs.filter { $0.study == "grid" && $0.variant == variant.key && $0.depth == depth && !$0.pace.isEmpty }
    }

    var variants: [MethodVariant] { PerBlockCurves.variants.filter { !runs($0).isEmpty } }

    /// Mean over seeds of `value` by step.
    func mean(_ variant: MethodVariant, _ value: (PacePoint) -> Double?) -> [(x: Double, y: Double)] {
        var sums: [Int: (Double, Int)] = [:]
        for run in runs(variant) { for p in run.pace { if let v = value(p), v.isFinite { let s = sums[p.step] ?? (0, 0); sums[p.step] = (s.0 + v, s.1 + 1) } } }
        return sums.keys.sorted().map { (x: Double($0), y: sums[$0]!.0 / Double(sums[$0]!.1)) }
    }

    /// What each panel plots.
    enum Measure: CaseIterable {
        case activation, scaledActivation, gradient

        var title: String {
            switch self {
            case .activation: "Activation per unit, before normalisation"
            case .scaledActivation: "What the classifier sees: after scaling"
            case .gradient: "Weight-gradient norm per unit"
            }
        }
        var yLabel: String {
            switch self { case .activation: "mean ‖h‖ / √units"; case .scaledActivation: "mean ‖y‖ / √units"; case .gradient: "RMS ‖∂L/∂wᵤ‖" }
        }
        func value(_ p: PacePoint, _ block: String) -> Double? {
            switch self { case .activation: p.activation[block]; case .scaledActivation: p.scaledActivation[block]; case .gradient: p.gradient[block] }
        }
    }

    var figure: ReportFigure? {
        guard !variants.isEmpty else { return nil }
        let panels = Measure.allCases.map { measure -> SVGChart.Panel in
            let series = variants.flatMap { v in ["old", "new"].map { block in
                SVGChart.Series(name: "\(v.label): \(block)", points: mean(v) { measure.value($0, block) }, dashed: block == "new")
            } }
            return SVGChart.Panel(svg: SVGChart.line(title: measure.title, xLabel: "step", yLabel: measure.yLabel, series: series,
                                                     width: 780, height: 260, legendWidth: 220), width: 780, height: 260)
        }
        return ReportFigure(id: "learning-pace", images: [.svg(name: "learning-pace.svg", document: SVGChart.panels(panels, columns: 1))],
                            caption: reading ?? "")
    }

    /// The geometric mean over the run's probes of the new-to-old ratio of a measure (each probe's ratio of the seed-mean
    /// values): how many times the old units' the new units' value typically was.
    func typicalRatio(_ variant: MethodVariant, _ measure: Measure) -> Double? {
        let old = mean(variant) { measure.value($0, "old") }, new = mean(variant) { measure.value($0, "new") }
        let logs = zip(old, new).compactMap { o, n in o.y > 0 && n.y > 0 ? log(n.y / o.y) : nil }
        guard !logs.isEmpty else { return nil }
        return exp(logs.reduce(0, +) / Double(logs.count))
    }

    /// One sentence: how large the new units' gradients and activations typically were against the old units', with and
    /// without normalisation, and whether normalisation made the new units learn faster relative to the old ones.
    var reading: String? {
        let found = variants.compactMap { v -> (variant: MethodVariant, gradient: Double, activation: Double)? in
            guard let g = typicalRatio(v, .gradient), let a = typicalRatio(v, .activation) else { return nil }
            return (v, g, a)
        }
        guard !found.isEmpty else { return nil }
        func x(_ r: Double) -> String { String(format: r >= 10 || r < 0.1 ? "%.2g×" : "%.2f×", r) }
        var sentence = "Depth \(depth.label), geometric mean over the run's probes: the new units' weight gradients were "
            + found.map { "\(x($0.gradient)) the old units' in \($0.variant.label)" }.joined(separator: " and ")
            + ", their activations before normalisation " + found.map { "\(x($0.activation))" }.joined(separator: " and ")
        if let norm = found.first(where: { $0.variant == .wa }), let raw = found.first(where: { $0.variant == .waRand }) {
            sentence += norm.gradient > raw.gradient
                ? String(format: " — normalisation made the new units learn %.1f× faster relative to the old ones", norm.gradient / raw.gradient)
                : String(format: " — normalisation did not speed up the new units' learning relative to the old ones here (%.2f× as fast)", norm.gradient / raw.gradient)
        }
        return sentence + "."
    }
}
