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

    /// New-to-old ratio of a measure at the first and last probe.
    func ratios(_ variant: MethodVariant, _ measure: Measure) -> (first: Double, last: Double)? {
        let old = mean(variant) { measure.value($0, "old") }, new = mean(variant) { measure.value($0, "new") }
        guard let o0 = old.first?.y, let n0 = new.first?.y, let o1 = old.last?.y, let n1 = new.last?.y, o0 > 0, o1 > 0 else { return nil }
        return (n0 / o0, n1 / o1)
    }

    /// One sentence: how the new units' activation and gradient compare with the old units', first probe to last, for each
    /// variant, and whether normalisation brought the new units' gradient closer to the old units' by the end.
    var reading: String? {
        let found = variants.compactMap { v -> (MethodVariant, (Double, Double), (Double, Double))? in
            guard let a = ratios(v, .activation), let g = ratios(v, .gradient) else { return nil }
            return (v, (a.first, a.last), (g.first, g.last))
        }
        guard !found.isEmpty else { return nil }
        func x(_ r: Double) -> String { String(format: r >= 10 || r < 0.1 ? "%.2g×" : "%.2f×", r) }
        let parts = found.map { v, a, g in
            "in \(v.label) the new units' activation went from \(x(a.0)) to \(x(a.1)) the old units' and their gradient from \(x(g.0)) to \(x(g.1))"
        }
        var sentence = "Depth \(depth.label), first probe to last: " + parts.joined(separator: "; ")
        if let norm = found.first(where: { $0.0 == .wa }), let raw = found.first(where: { $0.0 == .waRand }) {
            // Closer to 1 on a log scale = the two blocks learn at a more equal pace.
            let closer = abs(log(norm.2.1)) < abs(log(raw.2.1))
            sentence += closer ? " — with normalisation the new units end up learning at a pace closer to the old units'"
                               : " — normalisation did not bring the new units' gradient closer to the old units' here"
        }
        return sentence + "."
    }
}
