import ArgumentParser
import Foundation
import Experiments

/// `grow report DIR`: re-renders a finished comparison's report from its results.json, without training.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Rewrite a comparison's report (tables, plots, claims) from its results.json, without retraining.",
        discussion: "Example: grow report runs/compare-animal-mnist — after an upgrade of grow, the claims are judged by the current rules.")

    @Argument(help: "A folder written by grow compare (holds results.json).")
    var directory: String

    func run() throws {
        let dir = URL(fileURLWithPath: directory)
        let results = try Self.results(in: dir)
        let claims = ClaimChecker(results).check()
        // The analyses are rendered as they were computed (grow explain recomputes them).
        let analysis = try ComparisonAnalysis.load(from: dir)
        try Report.write(results, claims: claims, analysis: analysis, to: dir)
        say(Summary.text(results, claims: claims))
        say("report: \(dir.appendingPathComponent("report.html").path) (also report.md, results.csv, results.json)")
    }

    /// The results of the comparison written to `dir`.
    static func results(in dir: URL) throws -> ComparisonResults {
        let file = dir.appendingPathComponent("results.json")
        let data: Data
        do { data = try Data(contentsOf: file) } catch {
            throw ValidationError("\(file.path): cannot read it (\(error.localizedDescription)); give a folder written by grow compare.")
        }
        struct Stored: Decodable { let results: ComparisonResults }
        do { return try JSONDecoder().decode(Stored.self, from: data).results } catch {
            throw ValidationError("\(file.path): not a comparison's results (\(error)).")
        }
    }
}
