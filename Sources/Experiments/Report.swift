import Foundation
import NN
import Growth

/// Writes a comparison's report folder: report.md (+ plots/*.svg), a self-contained report.html
/// (plots inline), results.csv (one row per run) and results.json (everything, with the configuration).
public enum Report {
    /// `analysis` (from `ComparisonAnalysis.run`, or read back from `analysis.json`) fills the sections on feature space and units;
    /// the per-block learning section comes from the runs themselves.
    public static func write(_ results: ComparisonResults, claims: [ClaimCheck], analysis: ComparisonAnalysis? = nil, to directory: URL) throws {
        let fm = FileManager.default
        let plotsDir = directory.appendingPathComponent("plots")
        try fm.createDirectory(at: plotsDir, withIntermediateDirectories: true)
        let tables = ComparisonTables(results: results).all
        let plots = ComparisonPlots(results: results).all
        let sections = AnalysisSections(results: results, analysis: analysis).all
        // Each file atomically: a report stopped mid-write keeps its previous complete version.
        for (name, svg) in plots { try AtomicFile.write(svg, to: plotsDir.appendingPathComponent(name)) }
        for image in sections.flatMap(\.images) { try AtomicFile.write(image.data, to: plotsDir.appendingPathComponent(image.name)) }
        try AtomicFile.write(markdown(results, claims: claims, tables: tables, sections: sections, plots: plots.map(\.0)),
                             to: directory.appendingPathComponent("report.md"))
        try AtomicFile.write(html(results, claims: claims, tables: tables, sections: sections, plots: plots), to: directory.appendingPathComponent("report.html"))
        try AtomicFile.write(csv(results), to: directory.appendingPathComponent("results.csv"))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        struct Everything: Encodable { let results: ComparisonResults; let claims: [ClaimCheck] }
        try AtomicFile.write(encoder.encode(Everything(results: results, claims: claims)), to: directory.appendingPathComponent("results.json"))
    }

    static func intro(_ r: ComparisonResults) -> [String] {
        let c = r.config, t = c.training
        let optimizer = t.optimizer == .sgd ? "SGD, momentum \(t.momentum)" : "AdamW"
        let schedule = "decayed ×\(t.decay) after \(Int((100 * t.decayAt).rounded())) % of \(t.budget), batch \(t.batchSize) (every batch full)"
        let augmentation = r.viewsPerImage > 1
            ? "augmentation on: \(r.viewsPerImage) prepared views per training image (view 0 unaugmented, the rest random shifts or crops and flips), a view drawn per sample, and frozen layers' outputs computed once per view"
            : "no augmentation; frozen layers' outputs computed once per image"
        let testText = c.testPerClass.map { "\($0) test images per class" } ?? "every image not drawn for training as test images (up to 500 per class)"
        let target = "Target: \(r.targetDescription); \(testText), \(r.testImages) in all"
        return [
            "Source: \(r.sourceDescription).",
            target + "; seeds \(c.seeds.map(String.init).joined(separator: ", ")) (each seed draws its own few-shot subset, initialisation, dropout masks and views, shared by all methods).",
            "Training (identical for every method): \(optimizer), weight decay \(t.weightDecay), base learning rate \(t.learningRate) for pre-trained layers and ×\(Int(t.newLearningRateMultiplier)) for new parameters, "
                + schedule + "; \(t.units) new units (WWA: FC6 +\(t.units / 2), FC7 +\(t.units)); scales γ start at \(t.initialScale); " + augmentation + ".",
            ComparisonTables(results: r).convergenceVerdict,
            "Environment: " + r.environment.keys.sorted().map { "\($0) \(r.environment[$0]!)" }.joined(separator: ", ") + ".",
        ] + (r.interrupted ? ["PARTIAL: interrupted by Ctrl-C after \(r.runs.count) of \(c.totalRunCount) runs; tables and claims use the finished runs only."] : [])
    }

    static func claimsMarkdown(_ claims: [ClaimCheck], margin: Double) -> String {
        var s = "## Claims of the paper, checked here\n\n"
        s += ClaimTest.rules(margin: margin) + "\n\n"
        for c in claims { s += "\(c.number). **\(c.verdict.rawValue)** — \(c.claim) \(c.evidence)\n" }
        return s + "\n"
    }

    static let analysesTitle = "Why growth helps: the paper's analyses"

    static func markdown(_ r: ComparisonResults, claims: [ClaimCheck], tables: [ReportTable], sections: [ReportSection], plots: [String]) -> String {
        var s = "# Growing a Brain — comparison on \(r.config.target)\n\n" + intro(r).map { "- \($0)" }.joined(separator: "\n") + "\n\n"
        s += claimsMarkdown(claims, margin: r.config.equivalenceMargin)
        s += "## Tables\n\n" + tables.map(\.markdown).joined()
        if !sections.isEmpty { s += "## \(analysesTitle)\n\n" + sections.map(\.markdown).joined() }
        s += "## Figures\n\n" + plots.map { "![\($0)](plots/\($0))\n" }.joined(separator: "\n")
        return s
    }

    static func html(_ r: ComparisonResults, claims: [ClaimCheck], tables: [ReportTable], sections: [ReportSection], plots: [(String, String)]) -> String {
        func esc(_ t: String) -> String { SVGChart.escape(t) }
        var s = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"/><title>Growing a Brain — \(esc(r.config.target))</title>
        <style>
        body { font-family: sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }
        table { border-collapse: collapse; margin: 0.5em 0 1.5em; } th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: right; }
        th:first-child, td:first-child { text-align: left; } .note { color: #555; font-size: 0.9em; }
        .held { color: #1a7f37; font-weight: bold; } .not-held { color: #b42318; font-weight: bold; } .inconclusive, .not-tested { color: #8a6d00; font-weight: bold; }
        figure { display: inline-block; margin: 0.5em; } svg, img { max-width: 100%; height: auto; }
        figure.analysis { display: block; margin: 0.5em 0 1.5em; } figure.analysis .panel { display: inline-block; vertical-align: top; margin: 0 0.5em 0.5em 0; }
        figcaption { font-size: 0.9em; color: #444; max-width: 1080px; } img { image-rendering: pixelated; }
        @media (prefers-color-scheme: dark) {
          body { background: #121212; color: #ddd; } th, td { border-color: #555; } .note, figcaption { color: #aaa; }
          .held { color: #4ac26b; } .not-held { color: #ff7b72; } .inconclusive, .not-tested { color: #d29922; }
        }
        </style></head><body>
        <h1>Growing a Brain — comparison on \(esc(r.config.target))</h1>
        <ul>
        """
        s += intro(r).map { "<li>\(esc($0))</li>" }.joined(separator: "\n") + "</ul>\n<h2>Claims of the paper, checked here</h2>\n<p class=\"note\">\(esc(ClaimTest.rules(margin: r.config.equivalenceMargin)))</p>\n<ol>\n"
        for c in claims {
            let cls = c.verdict.rawValue.replacingOccurrences(of: " ", with: "-")
            s += "<li value=\"\(c.number)\"><span class=\"\(cls)\">\(esc(c.verdict.rawValue))</span> — \(esc(c.claim)) <span class=\"note\">\(esc(c.evidence))</span></li>\n"
        }
        s += "</ol>\n<h2>Tables</h2>\n" + tables.map(\.html).joined()
        if !sections.isEmpty { s += "<h2>\(esc(analysesTitle))</h2>\n" + sections.map(\.html).joined() }
        s += "<h2>Figures</h2>\n"
        for (name, svg) in plots { s += "<figure id=\"\(esc(name))\">\n\(svg)</figure>\n" }
        return s + "</body></html>\n"
    }

    static func csv(_ r: ComparisonResults) -> String {
        var lines = ["study,variant,depth,seed,units,shots,top1,mean_per_class,old_block,new_block,retention,seconds,steps"]
        for x in r.runs {
            let fields: [String] = [x.study, x.variant, x.depth.rawValue, "\(x.seed)", "\(x.units)", "\(x.shots)",
                                    String(format: "%.5f", x.top1), String(format: "%.5f", x.meanPerClass),
                                    x.perBlock["old"].map { String(format: "%.5f", $0) } ?? "", x.perBlock["new"].map { String(format: "%.5f", $0) } ?? "",
                                    x.retention.map { String(format: "%.5f", $0) } ?? "", String(format: "%.2f", x.seconds), "\(x.steps)"]
            lines.append(fields.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
