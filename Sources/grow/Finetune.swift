import ArgumentParser
import Foundation
import Engine
import Datasets
import Training
import Growth
import Experiments
import Distributed

/// `grow finetune`: grow a pre-trained network for a few-shot target and fine-tune it.
struct Finetune: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Grow a pre-trained network for a target data set (few-shot) and fine-tune it.",
        discussion: """
        Methods: ft (new classifier only), da (new layer FC_a after FC7), wa (S new units beside FC7),
        dwa (wa, then FC_a), wwa (FC6 widened by S/2 and FC7 by S).
        Example: grow finetune --from runs/source.safetensors --target animal-mnist --shots 20 --method wa --units 256 --depth all
        """)

    @OptionGroup var common: FineTuneOptions

    @Option(help: "Test examples per class (held out; default: every image not drawn for training, up to 500 per class).")
    var testPerClass: Int?

    @Option(help: "ft, ft+norm (FT with FC7 normalised and scaled, the control), da, wa, dwa or wwa.")
    var method: GrowthMethod = .wa

    @Option(help: "The layer WA widens, by name (default: the architecture's top layer, FC7 in the paper); e.g. fc6 or trunk.conv3 in MiniAlexNet. `grow inspect` lists the names.")
    var layer: String?

    @Flag(help: "For a widened layer followed by pooling: normalise each block per location, before the pooling (default: the pooled features).")
    var normalizePerLocation = false

    @Flag(help: "Do not L2-normalise and scale the blocks (the paper's ablation).")
    var noNorm = false

    @Option(name: .customLong("init"), help: "New-unit initialisation: random, copy+rand or net2net.")
    var initialization: NewUnitInit = .random

    @Option(help: "Fine-tuning depth: new, fc7, fc6 or all.")
    var depth: FineTuneDepth = .all

    @Option(help: "Seed of the few-shot draw, the new units and the training order.")
    var seed: UInt64 = 1

    @Option(help: "The checkpoint to write.")
    var out = "runs/finetuned.safetensors"

    @OptionGroup var checkpoints: CheckpointOptions

    @OptionGroup var runtime: RuntimeOptions

    func validate() throws {
        if layer != nil && method != .wa {
            throw ValidationError("--layer chooses what WA widens; use it with --method wa (the other methods grow fixed layers).")
        }
        if method == .ftNorm && noNorm {
            throw ValidationError("--method ft+norm is FT with FC7 normalised; --no-norm makes it plain ft, so use --method ft.")
        }
        if initialization == .copyRand && (method == .da) {
            throw ValidationError("--init copy+rand copies old units into a widened layer; use it with wa, dwa or wwa (da adds a fresh layer).")
        }
    }

    var config: FineTuneConfig {
        var c = FineTuneConfig()
        common.apply(to: &c)
        c.method = method; c.normalize = !noNorm; c.initialization = initialization; c.depth = depth; c.seed = seed
        c.widen = layer.map(GrowthTarget.layer) ?? .top
        c.normalizePerLocation = normalizePerLocation
        return c
    }

    /// What determines the run: a resume with other values is refused.
    func runOptions() throws -> [String: String] {
        try fields(config).merging(["from": common.from, "arch": common.arch ?? "", "size": common.size.map(String.init) ?? "",
                                    "target": common.target, "shots": String(common.shots),
                                    "test-per-class": testPerClass.map(String.init) ?? ""]) { a, _ in a }
    }

    func run() throws {
        runtime.apply()
        Interrupt.install()
        try prepareOutputFile(out)
        let checkpoint = try common.source(dataDir: runtime.resolvedDataDir)
        let series = checkpoints.series(output: out)
        let options = try runOptions()
        let resume = try checkpoints.resumePoint(series, options: options)
        let task = try FewShotTask(target: common.target, shots: common.shots, testPerClass: testPerClass, seed: seed,
                                   network: checkpoint.network, dataDir: runtime.resolvedDataDir, augment: !common.noAugment,
                                   batchSize: common.batchSize)
        say("target " + task.summary)
        say("growing: \(config.steps(classes: task.classes).map(\.summary).joined(separator: "; ")); depth \(depth.label)")
        let outcome: FineTuneOutcome
        let checkpointing = FineTuneCheckpointing(resume: resume, every: checkpoints.checkpointEvery) { snapshot in
            guard isRootProcess else { return }
            let record = TrainingRecord(command: "finetune (step \(snapshot.trainer.step), unfinished)", dataset: task.name, method: method.rawValue,
                                        depth: depth.rawValue, shots: common.shots, epochs: common.epochs ?? 0, steps: snapshot.trainer.step,
                                        batchSize: common.batchSize, learningRate: Double(common.learningRate), seed: seed, testAccuracy: nil, seconds: 0)
            let saved = try series.save(Checkpoint(network: snapshot.network, history: checkpoint.history + [record], optimizer: snapshot.optimizer,
                                                   newParameters: snapshot.newParameters, classNames: task.classNames,
                                                   resume: ResumeState(run: options, trainer: snapshot.trainer, pace: snapshot.pace,
                                                                      blockCurve: snapshot.blockCurve)),
                                        step: snapshot.trainer.step)
            Log.grow.info("checkpoint \(saved.path)")
        }
        do {
            let views = try task.viewBank(views: common.views)
            say("training views: \(views.viewCount) per image (\(views.viewCount > 1 ? "view 0 unaugmented, the rest augmented" : "no augmentation")); \(config.budget)")
            outcome = try FineTune.run(source: checkpoint.network, config: config, classes: task.classes, train: views,
                                       test: task.test, cacheFrozenFeatures: true, progress: isRootProcess ? ProgressDisplay(label: "finetune") : nil,
                                       sourceOptimizer: checkpoint.optimizer, checkpointing: checkpointing, parallel: MPICommunicator.world)
        } catch let stop as Trainer.Stop {
            switch stop {
            case let .interrupted(step, signal): CheckpointOptions.exitAfterStop(step: step, signal: signal, saved: series.url(step: step))
            case .nonFinite:
                fail("\(stop); " + (series.files().last.map { "the last good checkpoint is \($0.url.path)" } ?? "nothing was written"))
            }
        }
        say(EvaluationText.summary(outcome.evaluation, classNames: task.classNames))
        say(String(format: "%d steps in %.1f s", outcome.steps, outcome.seconds))
        let record = TrainingRecord(command: "finetune", dataset: task.name, method: method.rawValue, depth: depth.rawValue, shots: common.shots,
                                    epochs: common.epochs ?? 0, steps: outcome.steps, batchSize: common.batchSize, learningRate: Double(common.learningRate), seed: seed,
                                    testAccuracy: outcome.evaluation.top1, seconds: outcome.seconds)
        guard isRootProcess else { return }
        try Checkpoint(network: outcome.network, history: checkpoint.history + [record], optimizer: outcome.optimizerState,
                       newParameters: outcome.map.newParameters, classNames: task.classNames).save(to: URL(fileURLWithPath: out))
        say("wrote \(out)")
        Log.grow.debug("new parameters: \(outcome.map.newParameters.sorted().joined(separator: ", "))")
    }
}

/// Prints a line to standard output at once (so it interleaves correctly with the progress bar on stderr).
/// Under MPI only rank 0 speaks.
func say(_ text: String) {
    guard isRootProcess else { return }
    FileHandle.standardOutput.write((text + "\n").data(using: .utf8)!)
}
