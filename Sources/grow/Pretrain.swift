import ArgumentParser
import Foundation
import Engine
import Datasets
import Training
import Growth
import Zoo
import Experiments
import Distributed

/// `grow pretrain`: train the source network on a full data set and write a checkpoint.
struct Pretrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a source network (MiniAlexNet) on a data set and write a checkpoint.",
        discussion: "Example: grow pretrain --dataset fashion-mnist --epochs 4 --out runs/fashion-mnist.safetensors")

    @Option(help: "Training data: fashion-mnist, animal-mnist, mnist-5k, idx:IMAGES,LABELS, csv:PATH or folder:PATH.")
    var dataset = "fashion-mnist"

    @Option(help: "Architecture from the zoo (see `grow zoo`); mini-alexnet is the one made to be trained here.")
    var model = MiniAlexNet.id

    @Option(help: "Passes over the training set.")
    var epochs = 4

    @Option(help: "Examples per step.")
    var batchSize = 128

    @Option(help: "Peak learning rate (linear warm-up, then cosine decay).")
    var lr: Float = 0.05

    @Option(help: "sgd (momentum 0.9, weight decay 5e-4) or adamw (weight decay 0.01).")
    var optimizer: OptimizerKind = .sgd

    @Option(help: "Seed for initialisation, shuffling and dropout.")
    var seed: UInt64 = 1

    @Option(help: "Input side in pixels (default: the images' own size, or the architecture's).")
    var size: Int?

    @Flag(help: "Augment: random 2-pixel shifts for small images, random crops and flips for ImageNet-style networks.")
    var augment = false

    @Option(help: "The checkpoint to write.")
    var out = "runs/source.safetensors"

    @OptionGroup var checkpoints: CheckpointOptions

    @OptionGroup var runtime: RuntimeOptions

    /// What determines the run: a resume with other values is refused.
    var runOptions: [String: String] {
        ["dataset": dataset, "model": model, "epochs": String(epochs), "batch-size": String(batchSize), "lr": String(lr),
         "optimizer": optimizer.rawValue, "seed": String(seed), "size": size.map(String.init) ?? "", "augment": String(augment)]
    }

    func validate() throws {
        do { _ = try Zoo.architecture(model) } catch { throw ValidationError("--model: \(error)") }
        guard epochs > 0, batchSize > 0, lr > 0 else { throw ValidationError("--epochs, --batch-size and --lr must be positive.") }
        _ = try parseDataset(dataset, option: "--dataset")
    }

    func run() throws {
        runtime.apply()
        Interrupt.install()
        try prepareOutputFile(out)
        let series = checkpoints.series(output: out)
        let resume = try checkpoints.resumePoint(series, options: runOptions)
        let source = try DatasetSource(parsing: dataset)
        let dataDir = runtime.resolvedDataDir
        let (train, test, testIndices) = try SourceData.trainAndTest(source, dataDir: dataDir, seed: seed)
        let architecture = try Zoo.architecture(model)
        // The images' own shape when it suits the architecture (MiniAlexNet takes any size ≥ 8), else its default input.
        let imageShape = fixedInputShape(train) ?? fixedInputShape(test)
        let side = size ?? imageShape.map { $0[1] } ?? architecture.defaultInputShape[1]
        guard side >= architecture.minimumInputSide else {
            throw DatasetError(train.name, "the images are \(side)×\(side) pixels, smaller than \(model)'s minimum side \(architecture.minimumInputSide); "
                               + "resize them with --size \(architecture.minimumInputSide) (or more), or use larger images")
        }
        let inputShape = [architecture.defaultInputShape[0], side, side]
        let classes = train.classNames.count
        guard classes >= 2 else {
            throw DatasetError(train.name, "\(classes) class\(classes == 1 ? " (\(train.classNames[0]))" : "es"); a classifier needs at least 2: add a folder (or label) for each other class")
        }
        let network = try GrownNetwork.base(architecture, inputShape: inputShape, classes: classes, seed: seed)
        let eval = EvalTransform(network.preprocessing(imageSize: imageShape?[1]))
        let trainLoader = DataLoader(train, batchSize: batchSize,
                                     transform: augment ? TrainTransform(network.preprocessing(augment: true, imageSize: imageShape?[1])) : eval,
                                     evaluationTransform: eval, shuffle: true, seed: seed)
        let testLoader = DataLoader(test, indices: testIndices, batchSize: 256, transform: eval, shuffle: false, seed: seed)
        say("pretraining \(model) on \(train.name): \(trainLoader.exampleCount) train / \(testLoader.exampleCount) test images, "
              + "\(classes) classes, input \(inputShape.map(String.init).joined(separator: "×")), \(Threads.count) threads")

        let optimizer = makeOptimizer(kind: self.optimizer, model: network.model, learningRate: lr, momentum: 0.9,
                                      weightDecay: self.optimizer == .sgd ? 5e-4 : nil)
        let steps = epochs * trainLoader.batchCount
        let schedule = WarmupSchedule(CosineSchedule(base: lr, totalSteps: steps), warmupSteps: min(200, steps / 10))
        let trainer = Trainer(model: network.model, optimizer: optimizer, options: .init(epochs: epochs, schedule: schedule))
        trainer.progress = isRootProcess ? ProgressDisplay(label: "pretrain") : nil
        trainer.parallel = MPICommunicator.world
        if let resume {
            try resume.loadWeights(into: network)
            guard let state = resume.optimizer else { throw CheckpointError("the checkpoint holds no optimizer state, so it cannot be resumed") }
            try optimizer.setState(state)
            try trainer.restore(resume.resume!.trainer)
        }
        let started = Date()
        let testSource = LoaderSource(testLoader)
        func checkpoint(_ note: String, resumable: Bool) -> Checkpoint {
            let record = TrainingRecord(command: "pretrain" + note, dataset: train.name, epochs: epochs, steps: trainer.step,
                                        batchSize: batchSize, learningRate: Double(lr), seed: seed, testAccuracy: trainer.curve.last?.testAccuracy,
                                        seconds: Date().timeIntervalSince(started))
            return Checkpoint(network: network, history: [record], optimizer: optimizer.state, classNames: train.classNames,
                              resume: resumable ? ResumeState(run: runOptions, trainer: trainer.state()) : nil)
        }
        trainer.afterStep = { step in
            if isRootProcess && checkpoints.checkpointEvery > 0 && step % checkpoints.checkpointEvery == 0 && step < steps {
                let saved = try series.save(checkpoint(" (step \(step) of \(steps), unfinished)", resumable: true), step: step)
                Log.grow.info("checkpoint \(saved.path)")
            }
        }
        trainer.afterEpoch = { epoch in
            trainer.progress?.note(String(format: "epoch %d/%d: test accuracy %.2f%%", epoch, epochs, 100 * (trainer.curve.last?.testAccuracy ?? 0)))
            guard isRootProcess else { return }
            try checkpoint(epoch < epochs ? " (epoch \(epoch) of \(epochs))" : "", resumable: false).save(to: URL(fileURLWithPath: out))
        }
        do {
            // Under MPI each rank decodes and augments only its rows of every batch.
            try trainer.fit(LoaderSource(trainLoader, share: MPICommunicator.world.map { ($0.rank, $0.size) })) {
                try Evaluator.evaluate(network.model, on: testSource, classes: classes, parallel: MPICommunicator.world).top1
            }
        } catch let stop as Trainer.Stop {
            switch stop {
            case let .interrupted(step, signal):
                guard isRootProcess else { Foundation.exit(Interrupt.exitCode(signal)) }
                let saved = try series.save(checkpoint(" (step \(step) of \(steps), interrupted)", resumable: true), step: step)
                CheckpointOptions.exitAfterStop(step: step, signal: signal, saved: saved)
            case .nonFinite:
                let last = series.files().last.map { "; the last good checkpoint is \($0.url.path)" } ?? ""
                fail("\(stop)" + (trainer.curve.isEmpty ? last : "; \(out) holds the last completed epoch" + last))
            }
        }
        let result = try Evaluator.evaluate(network.model, on: testSource, classes: classes, parallel: MPICommunicator.world)
        say(String(format: "done in %.0f s: test top-1 %.2f%%, mean per-class %.2f%%; wrote %@",
                     Date().timeIntervalSince(started), 100 * result.top1, 100 * result.meanPerClass, out))
    }
}
