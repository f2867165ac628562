import Foundation
import Growth

/// A table of the report, rendered to Markdown and HTML.
public struct ReportTable {
    public let title: String
    public let note: String
    public let header: [String]
    public let rows: [[String]]

    public var markdown: String {
        var s = "### \(title)\n\n" + (note.isEmpty ? "" : "\(note)\n\n")
        s += "| " + header.joined(separator: " | ") + " |\n|" + header.map { _ in "---" }.joined(separator: "|") + "|\n"
        for r in rows { s += "| " + r.joined(separator: " | ") + " |\n" }
        return s + "\n"
    }

    public var html: String {
        func esc(_ t: String) -> String { SVGChart.escape(t) }
        var s = "<h3>\(esc(title))</h3>\n" + (note.isEmpty ? "" : "<p class=\"note\">\(esc(note))</p>\n")
        s += "<table>\n<tr>" + header.map { "<th>\(esc($0))</th>" }.joined() + "</tr>\n"
        for r in rows { s += "<tr>" + r.map { "<td>\(esc($0))</td>" }.joined() + "</tr>\n" }
        return s + "</table>\n"
    }
}

/// The paper-shaped tables of a comparison.
struct ComparisonTables {
    let results: ComparisonResults

    func runs(_ variant: String, _ depth: FineTuneDepth, study: String = "grid") -> [RunResult] {
        results.runs.filter { $0.variant == variant && $0.depth == depth && $0.study == study }
    }

    func cell(_ runs: [RunResult], _ value: (RunResult) -> Double? = { $0.top1 }) -> String {
        let v = runs.compactMap(value)
        guard !v.isEmpty else { return "—" }
        let s = Summary(v)
        return s.n > 1 ? s.percent + String(format: " [%.1f, %.1f]", 100 * s.lower, 100 * s.upper) : s.percent
    }

    var depths: [FineTuneDepth] { results.config.depths }
    var seeds: String { "\(results.config.seeds.count) seeds: mean ± std [95 % CI] of test top-1 (%)" }

    func label(_ key: String) -> String { MethodVariant.named(key)?.label ?? key }

    func methodTable(title: String, keys: [String], note: String, value: @escaping (RunResult) -> Double? = { $0.top1 }) -> ReportTable? {
        let present = keys.filter { k in results.runs.contains { $0.variant == k && $0.study == "grid" } }
        guard !present.isEmpty else { return nil }
        return ReportTable(title: title, note: note, header: ["Method"] + depths.map(\.label),
                           rows: present.map { k in [label(k)] + depths.map { cell(runs(k, $0), value) } })
    }

    var table1: ReportTable? {
        methodTable(title: "Table 1 — accuracy by fine-tuning depth", keys: ["ft", "ft+norm", "da", "wa", "dwa", "wwa"],
                    note: "All growth with separate L2 normalisation and learned scales (γ₀ = \(results.config.training.initialScale)); FT+norm is FT with FC7 normalised and scaled the same way and no new units, the control for the scaling. \(seeds).")
    }

    var meanPerClass: ReportTable? {
        methodTable(title: "Mean per-class accuracy by depth", keys: MethodVariant.standard.map(\.key),
                    note: "Mean over classes of per-class accuracy (%), mean ± std over seeds.", value: { $0.meanPerClass })
    }

    var table3: ReportTable? {
        methodTable(title: "Table 3 — effect of normalisation and scaling", keys: ["ft", "ft+norm", "da-nonorm", "da", "wa-rand", "wa-copy+rand", "wa-copy", "wa"],
                    note: "w/o norm: new units concatenated as they are; copy+rand: new units copy random old units plus noise; exact copies: net2net-style replicas without noise (function-preserving only until the classifier is replaced, so on a new task copy+rand with no noise). \(seeds).")
    }

    var table2: ReportTable? {
        let sweep = results.runs.unitStudy
        guard !sweep.isEmpty else { return nil }
        let units = Set(sweep.map(\.units)).sorted()
        let rows = ["wa", "da"].flatMap { k in units.map { u in [label(k), "\(u)", cell(sweep.filter { $0.variant == k && $0.units == u })] } }
            + [["FT", "—", cell(runs("ft", .all))]]
        return ReportTable(title: "Table 2 — accuracy by number of new units (depth All)", note: seeds, header: ["Method", "New units", "All"], rows: rows)
    }

    var shotsTable: ReportTable? {
        let sweep = results.runs.filter { $0.study == "shots" }
        guard !sweep.isEmpty else { return nil }
        let shots = Set(sweep.map(\.shots)).sorted()
        return ReportTable(title: "Accuracy by shots per class (depth All)", note: seeds, header: ["Method"] + shots.map { "\($0) shots" },
                           rows: ["ft", "wa"].map { k in [label(k)] + shots.map { s in cell(sweep.filter { $0.variant == k && $0.shots == s }) } })
    }

    var table4: ReportTable? {
        guard let base = results.sourceAccuracy, results.runs.contains(where: { $0.retention != nil }) else { return nil }
        let keys = MethodVariant.standard.map(\.key).filter { k in results.runs.contains { $0.variant == k && $0.retention != nil } }
        let rows = [["Source network (oracle)"] + depths.map { _ in String(format: "%.1f", 100 * base) }]
            + keys.map { k in [label(k)] + depths.map { cell(runs(k, $0)) { $0.retention } } }
        return ReportTable(title: "Table 4 — source-task retention",
                           note: "Accuracy (%) on \(results.config.retentionImages) source test images of the original source classifier fed by the adapted network's old units (trunk, FC6, FC7 as fine-tuned; new units, new layers and scales left out; no retraining), by fine-tuning depth.",
                           header: ["Method"] + depths.map(\.label), rows: rows)
    }

    var table8: ReportTable? {
        let chained = results.runs.filter { $0.study == "cumulative-chained" }
        guard !chained.isEmpty, let first = results.config.cumulativeFirstTarget else { return nil }
        let direct = results.runs.filter { $0.study == "cumulative-direct" }
        let rows = ["wa", "ft"].flatMap { k in
            [["\(label(k)), source → target", cell(direct.filter { $0.variant == k })],
             ["\(label(k)), source → \(first) → target", cell(chained.filter { $0.variant == k })]]
        }
        return ReportTable(title: "Table 8 — cumulative growth", note: "Each step grows again (WA: FC7 widened again, nested) and fine-tunes at depth All with \(results.config.shots) shots per class. \(seeds).",
                           header: ["Model", "Target accuracy"], rows: rows)
    }

    var perBlock: ReportTable? {
        let keys = ["wa", "wwa", "wa-rand", "wa-copy+rand", "wa-copy"].filter { !runs($0, .all).isEmpty && runs($0, .all).allSatisfy { $0.perBlock["old"] != nil } }
        guard !keys.isEmpty else { return nil }
        return ReportTable(title: "Per-block accuracy (paper Fig. 6), depth All",
                           note: "The classifier with the other block's inputs zeroed: old units alone, new units alone, both.",
                           header: ["Method", "Old units (FC7)", "New units (FC7+)", "Combined"],
                           rows: keys.map { k in [label(k), cell(runs(k, .all)) { $0.perBlock["old"] }, cell(runs(k, .all)) { $0.perBlock["new"] }, cell(runs(k, .all))] })
    }

    var timing: ReportTable {
        let grid = results.runs.filter { $0.study == "grid" }
        let rows = depths.map { d -> [String] in
            let r = grid.filter { $0.depth == d }
            return [d.label, "\(r.count)", String(format: "%.1f", r.map(\.seconds).reduce(0, +) / Double(max(r.count, 1))), "\(r.first?.steps ?? 0)"]
        }
        return ReportTable(title: "Runs and time", note: String(format: "Wall time of the whole comparison: %.0f s on %@ threads.", results.wallSeconds, results.environment["threads"] ?? "?"),
                           header: ["Depth", "Runs", "Mean seconds per run", "Steps per run"], rows: rows)
    }

    var all: [ReportTable] { [table1, table3, table2, shotsTable, perBlock, table4, table6, table7, table8, meanPerClass, convergence, selectedRates].compactMap { $0 } + [timing] }
}
