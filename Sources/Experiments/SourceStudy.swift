import Foundation
import Engine
import NN
import Datasets
import Training
import Growth
import Zoo

/// Growth on the source task (the paper's Sec. 5.4, Tables 6–7; claims 9 and 10). From the pre-trained base:
/// - **grown**: WA on the top layer (S new units, normalised), the source classifier reading them too, trained
///   further on the source for `extraEpochs` (old parameters at the fine-tuning rate, new ones ×10);
/// - **continued**: the base trained further the same way without growth (the control for the extra training);
/// - **wide from scratch**: the grown architecture initialised afresh and pre-trained with the base's own recipe
///   for the base's epochs plus `extraEpochs` (as many passes as the grown network has seen).
/// All are scored on the source test set (paired per image), then used as sources for the target.
public struct SourceStudyConfig: Codable, Sendable, Equatable {
    public var dataset: String
    public var units = 256
    public var extraEpochs = 1
    /// The base's pretraining recipe: epochs, batch, peak rate (warm-up then cosine).
    public var baseEpochs = 4
    public var batchSize = 128
    public var peakLearningRate: Float = 0.05
    /// Peak rate of further training for old parameters (new ones ×10).
    public var furtherLearningRate: Float = 0.005
    public var seed: UInt64 = 1
    public init(dataset: String) { self.dataset = dataset }
}

/// One model of the study, scored on the source test set.
public struct SourceModelResult: Codable, Sendable {
    public let key: String
    public let label: String
    public let testAccuracy: Double
    public let seconds: Double
}

/// What the study measured on the source task; the target runs are in `ComparisonResults.runs` (study "source-…").
public struct SourceStudyResult: Codable, Sendable {
    public var config: SourceStudyConfig
    public var models: [SourceModelResult] = []
    /// Paired per-image differences of correctness on the source test set, e.g. "grown − base".
    public var differences: [String: Summary] = [:]
}

/// Runs the study; trained models are kept in `directory` and reused when present.
public final class SourceStudy {
    public let base: Checkpoint
    public let config: SourceStudyConfig
    public let directory: URL
    public let dataDirectory: String
    public var log: (String) -> Void = { _ in }

    public init(base: Checkpoint, config: SourceStudyConfig, directory: URL, dataDirectory: String) {
        self.base = base; self.config = config; self.directory = directory; self.dataDirectory = dataDirectory
    }

    /// The trained models by key ("grown", "continued", "scratch") and the source-task result.
    public func run() throws -> (models: [String: GrownNetwork], result: SourceStudyResult) {
        let data = try DatasetSource(parsing: config.dataset)
        let (train, test, testIndices) = try SourceData.trainAndTest(data, dataDir: dataDirectory, seed: config.seed)
        let side = base.network.spec.inputShape[1]
        let eval = EvalTransform(base.network.preprocessing(imageSize: side))
        let trainLoader = DataLoader(train, batchSize: config.batchSize, transform: eval, shuffle: true, seed: config.seed)
        let testSource = LoaderSource(DataLoader(test, indices: testIndices, batchSize: 256, transform: eval, shuffle: false, seed: config.seed))
        let widen = GrowthStep(operation: .widen, target: .top, units: config.units, seed: mix(config.seed, 0x5749_4445))   // "WIDE"
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)

        var models: [String: GrownNetwork] = [:], result = SourceStudyResult(config: config)
        var correct: [String: [Bool]] = [:]
        func score(_ key: String, _ label: String, _ network: GrownNetwork, seconds: Double) throws {
            let (accuracy, right) = try Self.correctness(network, on: testSource)
            correct[key] = right
            models[key] = network
            result.models.append(SourceModelResult(key: key, label: label, testAccuracy: accuracy, seconds: seconds))
            log(String(format: "source study: %@ — %.2f%% on %@ test (%.0f s)", label, 100 * accuracy, data.description, seconds))
        }
        try score("base", "base network (pre-trained, \(config.baseEpochs) epochs)", base.network, seconds: 0)
        let further = config.extraEpochs
        let grown = try trained("grown", "grown: WA +\(config.units) on the top layer, trained \(further) more epoch(s)", loader: trainLoader, classes: train.classNames) {
            let (network, map) = try base.network.grow([widen])
            return (network, map.newParameters, self.config.furtherLearningRate, further)
        }
        try score("grown", grown.label, grown.network, seconds: grown.seconds)
        let continued = try trained("continued", "continued: the base trained \(further) more epoch(s), no growth", loader: trainLoader, classes: train.classNames) {
            (try base.network.clone(), [], self.config.furtherLearningRate, further)
        }
        try score("continued", continued.label, continued.network, seconds: continued.seconds)
        let scratchEpochs = config.baseEpochs + further
        let scratch = try trained("scratch", "wide from scratch: the grown architecture pre-trained afresh, \(scratchEpochs) epochs", loader: trainLoader, classes: train.classNames) {
            let shape = try base.network.grow([widen]).0
            let fresh = try GrownNetwork(base.network.architecture, spec: shape.spec, seed: mix(self.config.seed, 0x5343_5241))   // "SCRA"
            return (fresh, nil, self.config.peakLearningRate, scratchEpochs)
        }
        try score("scratch", scratch.label, scratch.network, seconds: scratch.seconds)
        for (a, b) in [("grown", "base"), ("grown", "scratch"), ("scratch", "base"), ("continued", "base"), ("grown", "continued")] {
            result.differences["\(a) − \(b)"] = Summary(zip(correct[a]!, correct[b]!).map { Double($0 ? 1 : 0) - Double($1 ? 1 : 0) })
        }
        return (models, result)
    }

    /// A model trained by `make`'s recipe — (network, new parameters or nil for training from scratch, peak rate, epochs) —
    /// or the one saved in `directory` by an earlier run with the same configuration.
    func trained(_ key: String, _ label: String, loader: DataLoader, classes: [String],
                 make: () throws -> (GrownNetwork, Set<String>?, Float, Int)) throws -> (network: GrownNetwork, label: String, seconds: Double) {
        let file = directory.appendingPathComponent("\(key).safetensors")
        // Sorted keys: the stamp must be the same text in every process (dictionary order is seeded per process).
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let stamp = "source-study \(key) " + String(data: try encoder.encode(config), encoding: .utf8)!
        if let saved = try? Checkpoint.load(from: file), saved.history.last?.command == stamp {
            log("source study: reusing \(file.path)")
            return (saved.network, label, saved.history.last?.seconds ?? 0)
        }
        let started = Date()
        let (network, newParameters, rate, epochs) = try make()
        let flat = network.model.flattened()
        if let newParameters {
            try FineTuneDepth.all.apply(to: flat, roles: network.roles, newParameters: newParameters, newLearningRateMultiplier: 10)
        }
        flat.reseedDropout(mix(config.seed, 0x4452_4F50))
        let optimizer = makeOptimizer(kind: .sgd, model: flat, learningRate: rate, momentum: 0.9, weightDecay: 5e-4)
        let steps = epochs * loader.batchCount
        let schedule = WarmupSchedule(CosineSchedule(base: rate, totalSteps: steps), warmupSteps: min(200, steps / 10))
        let trainer = Trainer(model: flat, optimizer: optimizer, options: .init(epochs: epochs, schedule: schedule))
        try trainer.fit(LoaderSource(loader))
        let seconds = Date().timeIntervalSince(started)
        let record = TrainingRecord(command: stamp, dataset: config.dataset, epochs: epochs, steps: trainer.step, batchSize: config.batchSize,
                                    learningRate: Double(rate), seed: config.seed, testAccuracy: nil, seconds: seconds)
        try Checkpoint(network: network, history: base.history + [record], classNames: classes).save(to: file)
        return (network, label, seconds)
    }

    /// Top-1 accuracy and, per test image in order, whether it was right.
    static func correctness(_ network: GrownNetwork, on data: BatchSource) throws -> (Double, [Bool]) {
        network.model.setTraining(false)
        var right: [Bool] = []
        let batches = data.orderedBatches()
        while let batch = try batches.next() {
            let predictions = SoftmaxCrossEntropy.predictions(network.model.forward(batch.inputs))
            right += zip(predictions, batch.labels).map { $0 == $1 }
        }
        return (Double(right.filter { $0 }.count) / Double(max(right.count, 1)), right)
    }
}

/// A data set's train split and a test split: its own, or a stratified 10 % held out.
public enum SourceData {
    public static func trainAndTest(_ source: DatasetSource, dataDir: String, seed: UInt64) throws -> (any ImageDataset, any ImageDataset, [Int]) {
        let splits = source.splits(dataDir: dataDir)
        if splits.contains(.train) && splits.contains(.test) {
            let test = try source.load(.test, dataDir: dataDir)
            return (try source.load(.train, dataDir: dataDir), test, Array(0..<test.count))
        }
        let all = try source.load(.all, dataDir: dataDir)
        let (train, test) = TrainTestSplit.stratified(labels: all.labels, classCount: all.classNames.count, testFraction: 0.1, seed: seed)
        return (Subset(all, indices: train), all, test)
    }
}

extension ComparisonTables {
    /// Table 6: the source task.
    var table6: ReportTable? {
        guard let study = results.sourceStudy else { return nil }
        let diffs = study.differences.keys.sorted().map { k in
            let d = study.differences[k]!
            return String(format: "%@ %+.2f [%+.2f, %+.2f]", k, 100 * d.mean, 100 * d.lower, 100 * d.upper)
        }
        return ReportTable(title: "Table 6 — growth on the source task (\(study.config.dataset) test set)",
                           note: "One training run of each; differences are paired over the source test images (points, 95 % interval): " + diffs.joined(separator: "; ") + ".",
                           header: ["Model", "Source test top-1 (%)", "Training time (s)"],
                           rows: study.models.map { [$0.label, String(format: "%.2f", 100 * $0.testAccuracy), String(format: "%.0f", $0.seconds)] })
    }

    /// Table 7: the study's networks as sources for the target.
    var table7: ReportTable? {
        guard results.sourceStudy != nil else { return nil }
        let rows: [[String]] = [
            ["FT of the base network", cell(runs("ft", .all))],
            ["FT of the wide network pre-trained from scratch (same capacity as WA)", cell(runs("ft", .all, study: "source-scratch"))],
            ["FT of the network grown on the source", cell(runs("ft", .all, study: "source-grown"))],
            ["WA of the base network (grown on the target)", cell(runs("wa", .all))],
        ]
        return ReportTable(title: "Table 7 — fixed wide network vs grown network (target, depth All)", note: seeds, header: ["Model", "Target accuracy"], rows: rows)
    }
}
