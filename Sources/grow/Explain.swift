import ArgumentParser
import Foundation
import Engine
import Experiments

/// `grow explain DIR`: the report's analyses of why growth helps, recomputed from a finished comparison's kept networks.
struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Recompute a finished comparison's analyses (feature separability and embeddings, what units respond to) from its kept networks, and rewrite its report; nothing is trained.",
        discussion: "Example: grow explain runs/compare-animal-mnist --embedding pca — reads OUT/results.json and OUT/networks/*.safetensors, "
            + "re-draws the analysed test images from the data, writes OUT/analysis.json and the report.")

    @Argument(help: "A folder written by grow compare.")
    var directory: String

    @Option(help: "How to embed features in 2-D: tsne (exact t-SNE) or pca (faster).")
    var embedding: EmbeddingMethod = .tsne

    @OptionGroup var runtime: RuntimeOptions

    func run() throws {
        runtime.apply()
        let dir = URL(fileURLWithPath: directory)
        let results = try ReportCommand.results(in: dir)
        // The data where this command is told, else where the comparison found it.
        let data = runtime.dataDir == nil && ProcessInfo.processInfo.environment["GROW_DATA_DIR"] == nil
            ? results.config.dataDirectory : runtime.resolvedDataDir
        let analysis = try Self.analyse(results, in: dir, dataDirectory: data, embedding: embedding)
        try Report.write(results, claims: ClaimChecker(results).check(), analysis: analysis, to: dir)
        say(Self.summary(analysis))
        say("report: \(dir.appendingPathComponent("report.html").path) (analyses in \(ComparisonAnalysis.fileName))")
    }

    /// Runs the analyses of the comparison in `dir` and keeps them there; shared with `grow compare`.
    static func analyse(_ results: ComparisonResults, in dir: URL, dataDirectory: String, embedding: EmbeddingMethod) throws -> ComparisonAnalysis {
        let analysis = try ComparisonAnalysis.run(results: results, directory: dir, dataDirectory: dataDirectory, embedding: embedding) { line in
            Log.grow.info("\(line)")
        }
        try analysis.save(in: dir)
        return analysis
    }

    /// The analyses' numbers, for the console.
    static func summary(_ a: ComparisonAnalysis) -> String {
        var lines = [String(format: "\nanalyses (%@; %d test images; %.1f s):", a.networks, a.sampleSize, a.seconds)]
        if let f = a.features {
            lines.append("  feature space       dims   1-NN %   5-NN %   silhouette")
            for n in f.networks {
                lines.append("  " + n.label.padding(toLength: 18, withPad: " ", startingAt: 0)
                             + String(format: "%6d   %6.1f   %6.1f   %10.3f", n.dimensions, 100 * n.knn1, 100 * n.knn5, n.silhouette))
            }
        }
        for u in a.units {
            for block in u.meanSelectivity.keys.sorted().reversed() {
                let m = u.meanSelectivity[block]!
                lines.append(String(format: "  %@ units of %@: mean class selectivity %.3f → %.3f after fine-tuning", block, u.network, m[0], m[1]))
            }
        }
        lines += a.notes.map { "  note: \($0)" }
        return lines.joined(separator: "\n")
    }
}
