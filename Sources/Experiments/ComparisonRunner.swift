import Foundation
import Engine
import Datasets
import Training
import Growth

/// Runs a `ComparisonConfig` against a source checkpoint.
public final class ComparisonRunner {
    public let source: Checkpoint
    public let config: ComparisonConfig
    /// Receives one line per finished run (with overall progress and ETA) and other news.
    public var log: (String) -> Void = { _ in }
    private var done = 0
    private var mainTargetName = ""
    private var started = Date()

    public init(source: Checkpoint, config: ComparisonConfig) { self.source = source; self.config = config }

    public func run() throws -> ComparisonResults {
        started = Date()
        let inputShape = source.network.spec.inputShape
        var results = ComparisonResults(config: config, sourceDescription: Self.describe(source), targetDescription: config.target)
        results.environment = Self.environment()
        let probe = try config.retentionSource.map { try retentionProbe($0) }
        if let probe {
            results.sourceAccuracy = try probe.baseline()
            log(String(format: "source network on %@: %.2f%% (retention baseline, %d images)", config.retentionSource!, 100 * results.sourceAccuracy!, config.retentionImages))
        }
        do {
            try runSeeds(into: &results, inputShape: inputShape, probe: probe)
        } catch Trainer.Stop.interrupted {
            // Ctrl-C: keep every finished run; the report says it is partial.
            results.interrupted = true
            log("interrupted: writing the report of the \(results.runs.count) finished runs")
        }
        results.wallSeconds = Date().timeIntervalSince(started)
        return results
    }

    func runSeeds(into results: inout ComparisonResults, inputShape: [Int], probe: RetentionProbe?) throws {
        for seed in config.seeds {
            let task = try fewShot(config.target, shots: config.shots, seed: seed, inputShape: inputShape)
            mainTargetName = task.name
            results.targetDescription = task.summary.replacingOccurrences(of: ", draw seed \(seed)", with: "")
            results.draws[seed] = task.draw.trainByClass
            results.viewsPerImage = task.train.viewCount
            results.testImages = task.test.exampleCount
            let cache = FeatureCache()
            var direct: [String: FineTuneOutcome] = [:]
            for variant in config.variants {
                for depth in config.depths(for: variant) {
                    let outcome = try fineTune(variant, depth: depth, seed: seed, task: task, cache: cache)
                    if depth == .all { direct[variant.key] = outcome }
                    results.runs.append(try record(outcome, variant, depth, seed, units: config.training.units, shots: config.shots,
                                                   study: "grid", probe: probe))
                }
            }
            for units in config.unitSweep {
                for variant in [MethodVariant.wa, .da] {
                    let outcome = try fineTune(variant, depth: .all, seed: seed, task: task, cache: cache, units: units)
                    results.runs.append(try record(outcome, variant, .all, seed, units: units, shots: config.shots, study: "units", probe: nil))
                }
            }
            for shots in config.shotSweep {
                let k = try fewShot(config.target, shots: shots, seed: seed, inputShape: inputShape)
                for variant in [MethodVariant.ft, .wa] {
                    let outcome = try fineTune(variant, depth: .all, seed: seed, task: k, cache: nil)
                    results.runs.append(try record(outcome, variant, .all, seed, units: config.training.units, shots: shots, study: "shots", probe: nil))
                }
            }
            if let first = config.cumulativeFirstTarget {
                let firstTask = try fewShot(first, shots: config.shots, seed: seed, inputShape: inputShape)
                for variant in [MethodVariant.ft, .wa] {
                    let d = try direct[variant.key] ?? fineTune(variant, depth: .all, seed: seed, task: task, cache: cache)
                    results.runs.append(try record(d, variant, .all, seed, units: config.training.units, shots: config.shots,
                                                   study: "cumulative-direct", probe: nil))
                    let step1 = try fineTune(variant, depth: .all, seed: seed, task: firstTask, cache: nil)
                    let step2 = try fineTune(variant, depth: .all, seed: seed, task: task, cache: nil, from: step1.network)
                    results.runs.append(try record(step2, variant, .all, seed, units: config.training.units, shots: config.shots,
                                                   study: "cumulative-chained", probe: nil))
                }
            }
        }
    }

    func fewShot(_ target: String, shots: Int, seed: UInt64, inputShape: [Int]) throws -> MaterialisedTask {
        let task = try FewShotTask(target: target, shots: shots, testPerClass: config.testPerClass, seed: seed, network: source.network,
                                   dataDir: config.dataDirectory, augment: config.training.augment, batchSize: config.training.batchSize)
        return try MaterialisedTask(task, views: config.training.views)
    }

    func fineTune(_ variant: MethodVariant, depth: FineTuneDepth, seed: UInt64, task: MaterialisedTask, cache: FeatureCache?,
                  units: Int? = nil, from: GrownNetwork? = nil) throws -> FineTuneOutcome {
        var c = config.training
        c.method = variant.method; c.normalize = variant.normalize; c.initialization = variant.initialization
        c.depth = depth; c.seed = seed
        if let units { c.units = units }
        let outcome = try FineTune.run(source: from ?? source.network, config: c, classes: task.classes, train: task.train, test: task.test,
                                       cacheFrozenFeatures: true, featureCache: cache, evaluations: 10,
                                       sourceOptimizer: from == nil ? source.optimizer : nil)
        done += 1
        let elapsed = Date().timeIntervalSince(started)
        let eta = elapsed / Double(done) * Double(max(config.totalRunCount - done, 0))
        let detail = (units.map { ", \($0) units" } ?? "") + (task.name == mainTargetName ? "" : ", on \(task.name)") + (from == nil ? "" : ", grown again")
        log(String(format: "[%3d/%d] %@ · %@ · seed %llu%@: %.2f%% (%.1f s)   elapsed %@, ETA %@", done, config.totalRunCount,
                   variant.label, depth.label, seed, detail, 100 * outcome.evaluation.top1, outcome.seconds,
                   ProgressDisplay.clock(elapsed), ProgressDisplay.clock(eta)))
        return outcome
    }

    func record(_ o: FineTuneOutcome, _ v: MethodVariant, _ depth: FineTuneDepth, _ seed: UInt64, units: Int, shots: Int, study: String,
                probe: RetentionProbe?) throws -> RunResult {
        RunResult(variant: v.key, depth: depth, seed: seed, units: units, shots: shots, study: study, top1: o.evaluation.top1,
                  meanPerClass: o.evaluation.meanPerClass, perBlock: o.evaluation.perBlock, retention: try probe?.accuracy(of: o.network, map: o.map),
                  seconds: o.seconds, steps: o.steps, curve: o.curve, pace: o.pace)
    }

    func retentionProbe(_ name: String) throws -> RetentionProbe {
        let dataSource = try DatasetSource(parsing: name)
        let dir = config.dataDirectory
        let data = try dataSource.load(dataSource.splits(dataDir: dir).contains(.test) ? .test : .all, dataDir: dir)
        var rng = RNG(seed: 12345)
        var indices = Array(0..<data.count)
        rng.shuffle(&indices)
        let prep = source.network.preprocessing(imageSize: (data as? any FixedShapeDataset)?.imageShape.height)
        let loader = DataLoader(data, indices: Array(indices.prefix(config.retentionImages)).sorted(), batchSize: 256,
                                transform: EvalTransform(prep), shuffle: false)
        let (x, y) = try materialise(LoaderSource(loader))
        return RetentionProbe(source: source.network, sourceTest: TensorBatches(inputs: x, labels: y, batchSize: 256, shuffleSeed: nil))
    }

    static func describe(_ c: Checkpoint) -> String {
        let spec = c.network.spec
        let pre = c.history.first
        var s = "\(spec.architecture) (\(spec.inputShape.map(String.init).joined(separator: "×")) input, \(spec.classes) classes)"
        if let pre { s += ", trained on \(pre.dataset)" + (pre.testAccuracy.map { String(format: " to %.2f%% test accuracy", 100 * $0) } ?? "") }
        if !spec.growth.isEmpty { s += ", grown: " + spec.growth.map(\.summary).joined(separator: "; ") }
        return s
    }

    static func environment() -> [String: String] {
        let p = ProcessInfo.processInfo
        return ["grow": GrowingBrainVersion.current, "threads": String(Threads.count), "blas": "OpenBLAS (\(Threads.blasCore))",
                "os": p.operatingSystemVersionString, "cores": String(p.activeProcessorCount),
                "date": ISO8601DateFormatter().string(from: Date())]
    }
}

/// A few-shot task held in memory (it is small): every training view and the test set, so every run reads the same tensors.
struct MaterialisedTask {
    let name: String
    let classes: Int
    let classNames: [String]
    let draw: FewShotDraw
    let summary: String
    let train: ViewBank
    let test: TensorBatches

    init(_ task: FewShotTask, views: Int) throws {
        let (tx, ty) = try materialise(task.test)
        train = try task.viewBank(views: views)
        test = TensorBatches(inputs: tx, labels: ty, batchSize: 256, shuffleSeed: nil)
        name = task.name; classes = task.classes; classNames = task.classNames; draw = task.draw; summary = task.summary
    }
}

/// All examples of a source, in order, as one tensor.
func materialise(_ source: BatchSource) throws -> (Tensor, [Int]) {
    let (all, labels) = try source.gathered()
    guard !labels.isEmpty else { throw CheckpointError("no examples to load") }
    return (all, labels)
}

