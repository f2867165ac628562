import Foundation
import Engine
import NN
import Growth

/// What the analyses of a finished comparison found — the paper's Fig. 3 (feature separability and embeddings) and
/// Figs. 4, 5, 7 (what single units respond to) — computed from the networks the comparison kept (`AnalysisNetworks`),
/// never by training. Kept beside the report as `analysis.json`, so `grow report` renders it again as it is and
/// `grow explain` can recompute it.
public struct ComparisonAnalysis: Codable, Sendable {
    public static let fileName = "analysis.json"

    /// Which runs were analysed (methods, depth, seed).
    public var networks: String
    /// Test images analysed, and how many per class.
    public var sampleSize: Int
    public var perClass: Int
    public var features: FeatureSpace?
    /// WA's old and new units (Figs. 4, 7), then DA's new-layer units (Fig. 5).
    public var units: [UnitStudy]
    /// What could not be analysed, and why.
    public var notes: [String]
    public var seconds: Double

    /// Analyses the networks kept under `directory` by the comparison that produced `results`. `dataDirectory` holds the
    /// target data (the sample is re-drawn from it exactly as the comparison drew it).
    public static func run(results: ComparisonResults, directory: URL, dataDirectory: String, embedding: EmbeddingMethod = .tsne,
                           limit: Int = AnalysisSample.defaultLimit, log: (String) -> Void = { _ in }) throws -> ComparisonAnalysis {
        let started = Date()
        guard let plan = AnalysisNetworks(config: results.config, comparisonDirectory: directory) else {
            return ComparisonAnalysis(networks: "none", sampleSize: 0, perClass: 0, units: [], notes: ["the comparison ran none of FT, DA and WA"],
                                      seconds: 0)
        }
        guard FileManager.default.fileExists(atPath: plan.sourceURL.path) else {
            throw CheckpointError("\(plan.sourceURL.path) is missing: the comparison in \(directory.path) kept no networks for the analyses "
                                  + "(it was run by a grow from before the analyses); the same grow compare command run again trains only the runs "
                                  + "whose networks are missing, and keeps them")
        }
        let source = try Checkpoint.load(from: plan.sourceURL)
        let sample = try AnalysisSample(config: results.config, seed: plan.seed, network: source.network, dataDirectory: dataDirectory, limit: limit)
        var notes: [String] = []
        var trained: [(MethodVariant, GrownNetwork)] = []
        for method in plan.methods {
            let url = plan.url(method)
            guard FileManager.default.fileExists(atPath: url.path) else {
                notes.append("\(method.label): \(url.lastPathComponent) is missing (its run did not finish)")
                continue
            }
            let kept = try Checkpoint.load(from: url)
            // A network left by another comparison into the same folder is not this one's run: its training record tells
            // (the method, depth, seed, shots and steps it was trained with, and its final accuracy — which alone can match
            // by chance on a small test set).
            let run = results.runs.first { $0.study == "grid" && $0.variant == method.key && $0.depth == plan.depth && $0.seed == plan.seed }
            guard let run, let record = kept.history.last, record.method == run.variant, record.depth == run.depth.rawValue,
                  record.seed == run.seed, record.shots == run.shots, record.steps == run.steps, record.testAccuracy == run.top1 else {
                notes.append("\(method.label): \(url.lastPathComponent) is not the network of this comparison's run (another configuration wrote it)")
                continue
            }
            trained.append((method, kept.network))
        }
        log("analyses: \(sample.count) test images (\(sample.perClass) per class), the source network and \(trained.map(\.0.label).joined(separator: ", ")) at depth \(plan.depth.label), seed \(plan.seed)")
        // One forward pass per network; every analysis below reads these.
        let activations = trained.map { ($0.0, NetworkActivations($0.1, images: sample.images)) }
        let features = FeatureSpace.measure([("Pre-trained", NetworkActivations(source.network, images: sample.images))]
                                                + activations.map { ($0.0.label, $0.1) },
                                            sample: sample, embedding: embedding, seed: plan.seed)
        var units: [UnitStudy] = []
        for method in [MethodVariant.wa, .da] {
            guard let network = trained.first(where: { $0.0 == method })?.1, let after = activations.first(where: { $0.0 == method })?.1 else { continue }
            // The network right after growth: the same growth steps (seeded) on the same source as the run's.
            let steps = runConfig(results.config, method, depth: plan.depth, seed: plan.seed).steps(classes: sample.classNames.count)
            let grown = try source.network.grow(steps).0
            guard grown.spec.growth == network.spec.growth else {
                notes.append("\(method.label)'s units: regrowing the source did not give the kept network's growth, so there is no 'before'")
                continue
            }
            if let study = try UnitStudy.measure(grown: NetworkActivations(grown, images: sample.images), trained: after, key: method.key,
                                                 label: "\(method.label) (depth \(plan.depth.label), seed \(plan.seed))", sample: sample) {
                units.append(study)
            }
        }
        return ComparisonAnalysis(networks: plan.summary, sampleSize: sample.count, perClass: sample.perClass, features: features, units: units,
                                  notes: notes, seconds: Date().timeIntervalSince(started))
    }

    /// The configuration of the grid run of `variant` (as `ComparisonRunner` builds it).
    static func runConfig(_ config: ComparisonConfig, _ variant: MethodVariant, depth: FineTuneDepth, seed: UInt64) -> FineTuneConfig {
        var c = config.training
        c.method = variant.method; c.normalize = variant.normalize; c.initialization = variant.initialization
        c.depth = depth; c.seed = seed
        return c
    }

    public func save(in directory: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try AtomicFile.write(encoder.encode(self), to: directory.appendingPathComponent(Self.fileName))
    }

    /// The analysis kept in `directory`, if there is one.
    public static func load(from directory: URL) throws -> ComparisonAnalysis? {
        let url = directory.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        do { return try JSONDecoder().decode(ComparisonAnalysis.self, from: Data(contentsOf: url)) } catch {
            throw CheckpointError("\(url.path): not a comparison's analysis (\(error))")
        }
    }
}
