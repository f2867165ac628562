import ArgumentParser
import Foundation
import Engine
import Datasets
import Growth
import Training
import Experiments
import Distributed

/// `grow compare`: the paper's comparison grid on one few-shot target, written up as a report.
struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare fine-tuning with growing (FT, DA, WA, DWA, WWA and ablations) across depths and seeds; write a report.",
        discussion: "Example: grow compare --from runs/source.safetensors --target animal-mnist --shots 20 --out runs/compare-animal")

    @OptionGroup var common: FineTuneOptions

    @Option(help: "Held-out test examples per class (default: every image not drawn for training, up to 500 per class).")
    var testPerClass: Int?

    @Option(help: "Seeds, comma-separated (each draws its own few-shot subset).")
    var seeds = "1,2,3,4,5"

    @Option(help: "Methods, comma-separated, or 'all': \(MethodVariant.standard.map(\.key).joined(separator: ", ")).")
    var methods = "all"

    @Option(help: "Depths, comma-separated: new, fc7, fc6, all.")
    var depths = "new,fc7,fc6,all"

    @Option(help: "Also run WA and DA at depth All with these unit counts (Table 2), comma-separated.")
    var unitsSweep: String?

    @Option(help: "Also run FT and WA at depth All with these shot counts, comma-separated.")
    var shotsSweep: String?

    @Option(help: "Run depth All only for these methods, comma-separated (e.g. ft,da,wa: whole-network fine-tuning of an ImageNet source is slow).")
    var allDepthOnly: String?

    @Option(help: "Source data for the retention probe (Table 4), e.g. fashion-mnist; 'none' to skip; 'auto': fashion-mnist for a 10-class MiniAlexNet source, else none.")
    var retention = "auto"

    @Option(help: "First target of cumulative growth (Table 8): source → FIRST → target, e.g. mnist-5k.")
    var cumulative: String?

    @Option(help: "Grow on the source task too (Tables 6–7): e.g. fashion-mnist, the MiniAlexNet source's own data; models kept in OUT/source-study.")
    var sourceStudy: String?

    @Option(help: "Let every grid run pick its base learning rate among these (comma-separated, e.g. 0.0003,0.001,0.003) on a validation split of its training shots.")
    var selectLr: String?

    @Option(help: "Runs trained at once, one thread each (default: the thread count); any number above one gives the results of one run at a time on one thread (a single worker trains each run on every thread, whose batch split rounds differently).")
    var workers: Int?

    @Flag(help: "A tiny grid that finishes in seconds (for smoke tests and CI).")
    var quick = false

    @Flag(help: "Skip the feature-space and unit analyses at the end (the networks they read are still kept in OUT/networks, so `grow explain OUT` can add them later).")
    var noAnalyses = false

    @Option(help: "How the analyses embed features in 2-D: tsne (exact t-SNE) or pca (faster).")
    var embedding: EmbeddingMethod = .tsne

    @Option(help: "The report folder.")
    var out = "runs/compare"

    @OptionGroup var runtime: RuntimeOptions

    static func list<T>(_ text: String, _ option: String, _ parse: (String) -> T?) throws -> [T] {
        let items = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let values = items.compactMap(parse)
        guard !items.isEmpty, values.count == items.count else { throw ValidationError("\(option) '\(text)' has an entry it does not understand.") }
        return values
    }

    func validate() throws {
        _ = try makeConfig()
    }

    func makeConfig() throws -> ComparisonConfig {
        var c = ComparisonConfig(target: common.target)
        c.shots = common.shots; c.testPerClass = testPerClass
        c.seeds = try Self.list(seeds, "--seeds") { UInt64($0) }
        c.variants = methods == "all" ? MethodVariant.standard : try Self.list(methods, "--methods") { MethodVariant.named($0) }
        c.depths = try Self.list(depths, "--depths") { FineTuneDepth(rawValue: $0) }
        common.apply(to: &c.training)
        c.unitSweep = try unitsSweep.map { try Self.list($0, "--units-sweep") { Int($0).flatMap { $0 > 0 ? $0 : nil } } } ?? []
        c.shotSweep = try shotsSweep.map { try Self.list($0, "--shots-sweep") { Int($0).flatMap { $0 > 0 ? $0 : nil } } } ?? []
        c.retentionSource = retention == "none" || retention == "auto" ? nil : retention
        c.cumulativeFirstTarget = cumulative
        if let data = sourceStudy {
            _ = try parseDataset(data, option: "--source-study")
            var study = SourceStudyConfig(dataset: data)
            study.units = c.training.units
            c.sourceStudy = study
        }
        c.learningRateCandidates = try selectLr.map { try Self.list($0, "--select-lr") { Float($0).flatMap { $0 > 0 && $0.isFinite ? $0 : nil } } }
        if quick {
            c.seeds = [c.seeds.first ?? 1]; c.testPerClass = min(c.testPerClass ?? 10, 10); c.training.budget = .iterations(min(common.iterations, 20))
            c.training.views = min(common.views, 2)
            c.training.units = min(common.units, 32); c.retentionImages = 200
            if methods == "all" { c.variants = [.ft, .da, .wa, .waRand] }
            if depths == "new,fc7,fc6,all" { c.depths = [.new, .all] }
        }
        if let only = allDepthOnly {
            c.allDepthVariants = try Self.list(only, "--all-depth-only") { key in MethodVariant.named(key).map(\.key) }
        }
        if let r = c.retentionSource { _ = try parseDataset(r, option: "--retention") }
        if let f = c.cumulativeFirstTarget { _ = try parseDataset(f, option: "--cumulative") }
        guard (workers ?? 1) > 0 else { throw ValidationError("--workers must be positive.") }
        guard (testPerClass ?? 1) > 0 else { throw ValidationError("--test-per-class must be positive.") }
        return c
    }

    func run() throws {
        runtime.apply()
        Interrupt.install()
        try prepareOutputFolder(URL(fileURLWithPath: out))
        var config = try makeConfig()
        config.dataDirectory = runtime.resolvedDataDir
        config.workers = workers ?? Threads.count
        config.sourceStudyDirectory = URL(fileURLWithPath: out).appendingPathComponent("source-study").path
        let source = try common.source(dataDir: config.dataDirectory)
        // The wide network from scratch gets the base's own pretraining recipe, as recorded in the base's history.
        if let recipe = source.history.first(where: { $0.command.hasPrefix("pretrain") }), recipe.epochs > 0 {
            config.sourceStudy?.baseEpochs = recipe.epochs
            config.sourceStudy?.batchSize = recipe.batchSize
            config.sourceStudy?.peakLearningRate = Float(recipe.learningRate)
            config.sourceStudy?.furtherLearningRate = Float(recipe.learningRate) / 10
        }
        if retention == "auto", source.network.spec.architecture == "mini-alexnet", source.network.spec.classes == 10 {
            config.retentionSource = "fashion-mnist"
        }
        _ = try Self.compare(from: source, config: config, out: out, analyses: noAnalyses ? nil : embedding)
    }

    /// Runs the grid, writes the report and prints the summary; shared with `grow demo`. With `analyses`, the feature-space
    /// and unit analyses run at the end on the networks the grid kept, embedding features with that method.
    static func compare(from checkpoint: Checkpoint, config: ComparisonConfig, out: String, analyses: EmbeddingMethod?) throws -> ComparisonResults {
        say("comparing on \(config.target): \(config.variants.count) methods × \(config.depths.count) depths × \(config.seeds.count) seeds"
            + " = \(config.gridRunCount) runs (\(config.totalRunCount) with sweeps), \(Threads.count) threads")
        let runner = ComparisonRunner(source: checkpoint, config: config)
        runner.log = { line in Log.grow.info("\(line)") }
        runner.finishedRunsDirectory = URL(fileURLWithPath: out).appendingPathComponent("finished", isDirectory: true)
        runner.distribution = MPICommunicator.world
        runner.analysisNetworks = AnalysisNetworks(config: config, comparisonDirectory: URL(fileURLWithPath: out))
        Log.grow.debug("comparison configuration: \(config)")
        let results = try runner.run()
        guard isRootProcess else {
            // Every rank has every result; rank 0 writes them.
            if results.interrupted { Foundation.exit(Interrupt.exitCode(Interrupt.requested ?? SIGINT)) }
            return results
        }
        let claims = ClaimChecker(results).check()
        let dir = URL(fileURLWithPath: out)
        var analysis: ComparisonAnalysis?
        if let embedding = analyses, !results.interrupted {
            analysis = try Explain.analyse(results, in: dir, dataDirectory: config.dataDirectory, embedding: embedding)
        } else {
            // An analysis left in the folder by an earlier comparison would be rendered by `grow report` as this one's.
            try? FileManager.default.removeItem(at: dir.appendingPathComponent(ComparisonAnalysis.fileName))
        }
        try Report.write(results, claims: claims, analysis: analysis, to: dir)
        say(Summary.text(results, claims: claims))
        if let analysis { say(Explain.summary(analysis)) }
        say("report: \(dir.appendingPathComponent("report.html").path) (also report.md, results.csv, results.json)")
        if results.interrupted {
            say("interrupted: the report holds the \(results.runs.count) finished runs; the same command continues with the rest:\n  "
                + CheckpointOptions.resumeCommand(adding: false))
            Foundation.exit(Interrupt.exitCode(Interrupt.requested ?? SIGINT))
        }
        return results
    }
}

extension EmbeddingMethod: ExpressibleByArgument {}

extension Summary {
    /// The console summary: Table 1-style accuracies and the claims.
    static func text(_ r: ComparisonResults, claims: [ClaimCheck]) -> String {
        var lines = [String(format: "\ntest top-1 (%%), mean ± std over %d seeds — %@; %.0f s", r.config.seeds.count, r.targetDescription, r.wallSeconds)]
        let depths = r.config.depths
        lines.append("method".padding(toLength: 26, withPad: " ", startingAt: 0) + depths.map { $0.label.padding(toLength: 14, withPad: " ", startingAt: 0) }.joined())
        for v in r.config.variants {
            let cells = depths.map { d in Summary(r.runs.filter { $0.variant == v.key && $0.depth == d && $0.study == "grid" }.map(\.top1)).percent }
            lines.append(v.label.padding(toLength: 26, withPad: " ", startingAt: 0) + cells.map { $0.padding(toLength: 14, withPad: " ", startingAt: 0) }.joined())
        }
        lines.append("\nclaims:")
        for c in claims { lines.append("  \(c.number). [\(c.verdict.rawValue)] \(c.claim)\n      \(c.evidence)") }
        return lines.joined(separator: "\n")
    }
}

/// MPI ranks share a comparison's runs.
extension MPICommunicator: GridDistribution {}
