import Foundation
import Engine
import Datasets
import Training
import Growth
import NN

/// Runs a `ComparisonConfig` against a source checkpoint.
public final class ComparisonRunner {
    public let source: Checkpoint
    public let config: ComparisonConfig
    /// Receives one line per finished run (with overall progress and ETA) and other news.
    public var log: (String) -> Void = { _ in }
    private var done = 0
    /// Work finished so far and in all, in `cost(_:)` units.
    private var doneCost = 0.0
    private var totalCost = 1.0
    private let progressLock = NSLock()
    private var mainTargetName = ""
    private var started = Date()
    /// Where each finished unit of work is kept (e.g. `OUT/finished`), so a stopped comparison continues where it stopped.
    public var finishedRunsDirectory: URL?
    /// Spreads the grid's runs over processes (MPI ranks); every process ends with all the results.
    public var distribution: GridDistribution?
    /// Where the networks the analyses read are kept (nil: none kept).
    public var analysisNetworks: AnalysisNetworks?

    public init(source: Checkpoint, config: ComparisonConfig) { self.source = source; self.config = config }

    public func run() throws -> ComparisonResults {
        started = Date()
        let inputShape = source.network.spec.inputShape
        var results = ComparisonResults(config: config, sourceDescription: Self.describe(source), targetDescription: config.target)
        results.environment = Self.environment()
        if let distribution, distribution.size > 1 { results.environment["processes"] = "\(distribution.size) (MPI ranks)" }
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

    /// One unit of work of the grid: one run, or a few that depend on each other; `cost` (in `cost(_:)` units)
    /// orders the work, heaviest first, and drives the ETA.
    struct Job {
        let cost: Double
        /// Names the work uniquely within the grid (its file among the finished runs).
        let key: String
        /// The network file the work keeps for the analyses, if any: without it the work is not finished.
        var kept: URL? = nil
        let work: () throws -> [RunResult]
    }

    /// Relative cost of one run at `depth`: a run at depth All trains the whole network.
    static func cost(_ depth: FineTuneDepth) -> Double { depth == .all ? 10 : 1 }

    func runSeeds(into results: inout ComparisonResults, inputShape: [Int], probe: RetentionProbe?) throws {
        var jobs: [Job] = []
        var studied: [String: GrownNetwork] = [:]
        if let studyConfig = config.sourceStudy {
            let study = SourceStudy(base: source, config: studyConfig, directory: URL(fileURLWithPath: config.sourceStudyDirectory),
                                    dataDirectory: config.dataDirectory)
            study.log = log
            let (models, result) = try study.run()
            studied = models
            results.sourceStudy = result
        }
        for seed in config.seeds {
            let task = try fewShot(config.target, shots: config.shots, seed: seed, inputShape: inputShape)
            mainTargetName = task.name
            results.targetDescription = task.summary.replacingOccurrences(of: ", draw seed \(seed)", with: "")
            results.draws[seed] = task.draw.trainByClass
            results.viewsPerImage = task.train.viewCount
            results.testImages = task.test.exampleCount
            jobs += try jobsOfSeed(seed, task: task, inputShape: inputShape, probe: probe)
            for (key, study) in [("scratch", "source-scratch"), ("grown", "source-grown")] {
                guard let network = studied[key] else { continue }
                jobs.append(Job(cost: 10, key: "\(study)-ft-all-seed\(seed)") { [self] in
                    let outcome = try fineTune(.ft, depth: .all, seed: seed, task: task, cache: nil, from: network)
                    return [try record(outcome, .ft, .all, seed, units: config.training.units, shots: config.shots, study: study, probe: nil)]
                })
            }
        }
        if let keep = analysisNetworks, distribution.map({ $0.rank == 0 }) ?? true {
            try FileManager.default.createDirectory(at: keep.directory, withIntermediateDirectories: true)
            try source.save(to: keep.sourceURL)
        }
        if let dir = finishedRunsDirectory {
            if let (rank, seconds) = FaultInjection.slowStoreRead, rank == distribution?.rank { Thread.sleep(forTimeInterval: seconds) }
            let store = try FinishedRuns(directory: dir, config: config, source: results.sourceDescription)
            var reused = 0
            jobs = jobs.map { job in
                if let runs = store.load(job.key), job.kept.map({ FileManager.default.fileExists(atPath: $0.path) }) ?? true {
                    reused += runs.count
                    return Job(cost: 0, key: job.key) { runs }
                }
                return Job(cost: job.cost, key: job.key, kept: job.kept) {
                    let runs = try job.work()
                    try store.save(runs, key: job.key)
                    return runs
                }
            }
            if reused > 0 { log("reusing \(reused) runs finished earlier with this configuration (\(dir.path); delete it to run them again)") }
            done = reused
            // No process saves a run before every process has read the store: they must agree on which jobs are left,
            // since each derives who runs what from the jobs' costs. (Without this wait, a rank that read the store
            // after another had saved its first run saw other costs, and that grid lost a run: seen once under load.)
            _ = distribution?.allGather(Data())
        }
        totalCost = max(1, jobs.reduce(0) { $0 + $1.cost })
        let (runs, failure) = distribution.map { $0.size > 1 ? executeDistributed(jobs, on: $0) : execute(jobs) } ?? execute(jobs)
        results.runs += runs
        // Direct transfer of the cumulative study is the grid's own run where the grid has it.
        if config.cumulativeFirstTarget != nil {
            results.runs += runs.filter { $0.study == "grid" && $0.depth == .all && ["ft", "wa"].contains($0.variant) }
                .map { $0.relabeled(study: "cumulative-direct") }
        }
        if let failure { throw failure }
    }

    /// The runs of one seed's draw, in report order. Depth All trains the whole network, so it weighs most.
    func jobsOfSeed(_ seed: UInt64, task: MaterialisedTask, inputShape: [Int], probe: RetentionProbe?) throws -> [Job] {
        let cache = FeatureCache(), selectionCache = FeatureCache()
        let units = config.training.units, shots = config.shots
        var jobs: [Job] = []
        for variant in config.variants {
            for depth in config.depths(for: variant) {
                let kept = analysisNetworks?.kept(variant, depth: depth, seed: seed)
                jobs.append(Job(cost: Self.cost(depth) * Double(1 + (config.learningRateCandidates?.count ?? 0)),
                                key: "grid-\(variant.key)-\(depth.rawValue)-seed\(seed)", kept: kept) { [self] in
                    let selected = try selectRate(variant, depth: depth, seed: seed, task: task, cache: selectionCache)
                    let outcome = try fineTune(variant, depth: depth, seed: seed, task: task, cache: cache, learningRate: selected?.rate)
                    if let kept { try keep(outcome, variant, depth: depth, seed: seed, task: task, learningRate: selected?.rate, to: kept) }
                    return [try record(outcome, variant, depth, seed, units: units, shots: shots, study: "grid", probe: probe, selection: selected)]
                })
            }
        }
        for u in config.unitSweep {
            for variant in [MethodVariant.wa, .da] {
                jobs.append(Job(cost: 10, key: "units\(u)-\(variant.key)-all-seed\(seed)") { [self] in
                    let outcome = try fineTune(variant, depth: .all, seed: seed, task: task, cache: cache, units: u)
                    return [try record(outcome, variant, .all, seed, units: u, shots: shots, study: "units", probe: nil)]
                })
            }
        }
        for k in config.shotSweep {
            let other = try fewShot(config.target, shots: k, seed: seed, inputShape: inputShape)
            for variant in [MethodVariant.ft, .wa] {
                jobs.append(Job(cost: 10, key: "shots\(k)-\(variant.key)-all-seed\(seed)") { [self] in
                    let outcome = try fineTune(variant, depth: .all, seed: seed, task: other, cache: nil)
                    return [try record(outcome, variant, .all, seed, units: units, shots: k, study: "shots", probe: nil)]
                })
            }
        }
        if let first = config.cumulativeFirstTarget {
            let firstTask = try fewShot(first, shots: shots, seed: seed, inputShape: inputShape)
            for variant in [MethodVariant.ft, .wa] {
                let inGrid = config.variants.contains(variant) && config.depths(for: variant).contains(.all)
                jobs.append(Job(cost: inGrid ? 20 : 30, key: "cumulative-\(variant.key)-all-seed\(seed)") { [self] in
                    let direct = inGrid ? nil : try fineTune(variant, depth: .all, seed: seed, task: task, cache: cache)
                    let step1 = try fineTune(variant, depth: .all, seed: seed, task: firstTask, cache: nil)
                    let step2 = try fineTune(variant, depth: .all, seed: seed, task: task, cache: nil, from: step1.network)
                    return try direct.map { [try record($0, variant, .all, seed, units: units, shots: shots, study: "cumulative-direct", probe: nil)] } ?? []
                        + [record(step2, variant, .all, seed, units: units, shots: shots, study: "cumulative-chained", probe: nil)]
                })
            }
        }
        return jobs
    }

    /// Runs the jobs on `config.workers` threads (each job single-threaded when there are several), heaviest first,
    /// and returns their runs in job order — the same runs, in the same order, as one worker on one thread gives —
    /// with the first failure (e.g. Ctrl-C); after a failure no job starts, and finished runs are kept.
    func execute(_ jobs: [Job]) -> (runs: [RunResult], failure: Error?) {
        let (each, failure) = executeEach(jobs)
        return (each.compactMap { $0 }.flatMap { $0 }, failure)
    }

    /// `execute` with each job's runs apart (nil: the job did not finish, after a failure).
    func executeEach(_ jobs: [Job]) -> (runs: [[RunResult]?], failure: Error?) {
        let workers = min(max(1, config.workers), jobs.count)
        guard workers > 1 else {
            var runs = [[RunResult]?](repeating: nil, count: jobs.count)
            for (i, job) in jobs.enumerated() { do { runs[i] = try job.work() } catch { return (runs, error) } }
            return (runs, nil)
        }
        let threads = Threads.count
        Threads.set(1)
        defer { Threads.set(threads) }
        let order = jobs.indices.sorted { jobs[$0].cost > jobs[$1].cost || (jobs[$0].cost == jobs[$1].cost && $0 < $1) }
        let state = JobQueue(order: order, count: jobs.count)
        let box = UncheckedSendable(jobs)
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while let i = state.next() {
                do { state.finish(i, .success(try box.value[i].work())) } catch { state.finish(i, .failure(error)) }
            }
        }
        return state.results()
    }
    func fewShot(_ target: String, shots: Int, seed: UInt64, inputShape: [Int]) throws -> MaterialisedTask {
        let task = try FewShotTask(target: target, shots: shots, testPerClass: config.testPerClass, seed: seed, network: source.network,
                                   dataDir: config.dataDirectory, augment: config.training.augment, batchSize: config.training.batchSize)
        return try MaterialisedTask(task, views: config.training.views)
    }

    /// With `--select-lr`: the grid run's base rate, chosen on a validation split of the training shots.
    func selectRate(_ variant: MethodVariant, depth: FineTuneDepth, seed: UInt64, task: MaterialisedTask,
                    cache: FeatureCache) throws -> (rate: Float, validation: [String: Double])? {
        guard let candidates = config.learningRateCandidates, !candidates.isEmpty else { return nil }
        let choice = try LearningRateSelection.choose(candidates, bank: task.train) { rate, bank, validation in
            var c = runConfig(variant, depth: depth, seed: seed)
            c.learningRate = rate
            defer { progressLock.lock(); done += 1; doneCost += Self.cost(depth); progressLock.unlock() }
            do {
                return try FineTune.run(source: source.network, config: c, classes: task.classes, train: bank, test: validation,
                                        cacheFrozenFeatures: true, featureCache: cache, evaluations: 1, sourceOptimizer: source.optimizer).evaluation.top1
            } catch Trainer.Stop.nonFinite {
                return -1   // a rate that diverges is never picked over one that trains
            }
        }
        progressLock.lock(); defer { progressLock.unlock() }
        log(String(format: "      %@ · %@ · seed %llu: learning rate %@ picked on %d validation images (%@)", variant.label, depth.label, seed,
                   LearningRateSelection.key(choice.rate), LearningRateSelection.split(task.train).validation.count,
                   choice.validation.keys.sorted().map { k in choice.validation[k]! < 0 ? "\(k): diverged" : String(format: "%@: %.1f%%", k, 100 * choice.validation[k]!) }.joined(separator: ", ")))
        return choice
    }

    func runConfig(_ variant: MethodVariant, depth: FineTuneDepth, seed: UInt64) -> FineTuneConfig {
        ComparisonAnalysis.runConfig(config, variant, depth: depth, seed: seed)
    }

    func fineTune(_ variant: MethodVariant, depth: FineTuneDepth, seed: UInt64, task: MaterialisedTask, cache: FeatureCache?,
                  units: Int? = nil, from: GrownNetwork? = nil, learningRate: Float? = nil) throws -> FineTuneOutcome {
        var c = runConfig(variant, depth: depth, seed: seed)
        if let units { c.units = units }
        if let learningRate { c.learningRate = learningRate }
        let outcome = try FineTune.run(source: from ?? source.network, config: c, classes: task.classes, train: task.train, test: task.test,
                                       curveExamples: 500, cacheFrozenFeatures: true, featureCache: cache, evaluations: 8,
                                       sourceOptimizer: from == nil ? source.optimizer : nil)
        progressLock.lock(); defer { progressLock.unlock() }
        done += 1
        doneCost += Self.cost(depth)
        let elapsed = Date().timeIntervalSince(started)
        let eta = elapsed / doneCost * max(totalCost - doneCost, 0)
        let detail = (units.map { ", \($0) units" } ?? "") + (task.name == mainTargetName ? "" : ", on \(task.name)") + (from == nil ? "" : ", from a grown or re-trained source")
        log(String(format: "[%3d/%d] %@ · %@ · seed %llu%@: %.2f%% (%.1f s)   elapsed %@, ETA %@", done, config.totalRunCount,
                   variant.label, depth.label, seed, detail, 100 * outcome.evaluation.top1, outcome.seconds,
                   ProgressDisplay.clock(elapsed), ProgressDisplay.clock(eta)))
        return outcome
    }

    /// Saves a grid run's network for the analyses, with its training in the history.
    func keep(_ o: FineTuneOutcome, _ v: MethodVariant, depth: FineTuneDepth, seed: UInt64, task: MaterialisedTask, learningRate: Float?,
              to url: URL) throws {
        let record = TrainingRecord(command: "compare", dataset: task.name, method: v.key, depth: depth.rawValue, shots: config.shots, epochs: 0,
                                    steps: o.steps, batchSize: config.training.batchSize,
                                    learningRate: Double(learningRate ?? config.training.learningRate), seed: seed,
                                    testAccuracy: o.evaluation.top1, seconds: o.seconds)
        try Checkpoint(network: o.network, history: source.history + [record], newParameters: o.map.newParameters,
                       classNames: task.classNames).save(to: url)
    }

    func record(_ o: FineTuneOutcome, _ v: MethodVariant, _ depth: FineTuneDepth, _ seed: UInt64, units: Int, shots: Int, study: String,
                probe: RetentionProbe?, selection: (rate: Float, validation: [String: Double])? = nil) throws -> RunResult {
        RunResult(variant: v.key, depth: depth, seed: seed, units: units, shots: shots, study: study, top1: o.evaluation.top1,
                  meanPerClass: o.evaluation.meanPerClass, perBlock: o.evaluation.perBlock, retention: try probe?.accuracy(of: o.network, map: o.map),
                  seconds: o.seconds, steps: o.steps, curve: o.curve, pace: o.pace, blockCurve: o.blockCurve.isEmpty ? nil : o.blockCurve,
                  learningRate: Double(selection?.rate ?? config.training.learningRate), validation: selection?.validation)
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
        return ["grow": GrowingBrainVersion.current, "threads": String(Threads.count), "blas": GEMM.libraryName,
                "kernels": CPUKernels.current.description, "os": p.operatingSystemVersionString, "cores": String(p.activeProcessorCount),
                "date": ISO8601DateFormatter().string(from: Date())]
    }
}

/// The shared state of `ComparisonRunner.execute`: which job comes next, and what each produced.
/// After a failure no new job starts; the runs of finished jobs are kept, with the first failure in job order.
final class JobQueue: @unchecked Sendable {
    private let lock = NSLock()
    private var order: [Int]
    private var outcomes: [Result<[RunResult], Error>?]
    private var failed = false

    init(order: [Int], count: Int) { self.order = Array(order.reversed()); outcomes = Array(repeating: nil, count: count) }

    func next() -> Int? {
        lock.lock(); defer { lock.unlock() }
        return failed ? nil : order.popLast()
    }

    func finish(_ i: Int, _ outcome: Result<[RunResult], Error>) {
        lock.lock(); defer { lock.unlock() }
        outcomes[i] = outcome
        if case .failure = outcome { failed = true }
    }

    /// Each job's runs (nil: failed, or not started after a failure) and the first failure.
    func results() -> (runs: [[RunResult]?], failure: Error?) {
        var failure: Error?
        let runs = outcomes.map { outcome -> [RunResult]? in
            if case .failure(let e) = outcome { failure = failure ?? e }
            if case .success(let r) = outcome { return r }
            return nil
        }
        return (runs, failure)
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

