import Foundation
import Engine
import NN
import Training
import Growth

/// How long a fine-tuning run trains: a number of iterations (full batches), or of passes over the training examples.
public enum TrainingBudget: Codable, Sendable, Equatable, CustomStringConvertible {
    case iterations(Int)
    case epochs(Int)

    /// Batches of `batchSize` for `examples` training examples.
    public func steps(examples: Int, batchSize: Int) -> Int {
        switch self {
        case .iterations(let n): return n
        case .epochs(let e): return Swift.max(1, (e * examples + batchSize - 1) / batchSize)
        }
    }

    public var description: String {
        switch self { case .iterations(let n): "\(n) iterations"; case .epochs(let e): "\(e) epochs" }
    }
}

/// The paper's fine-tuning protocol (section 4): grow (or just replace the classifier), freeze to a
/// depth, train new parameters at 10× the base learning rate with SGD (momentum 0.9, weight decay 5e-4)
/// and a step decay ×0.1, then evaluate. Identical for every method: the same budget, schedule,
/// augmentation and seeds.
public struct FineTuneConfig: Codable, Sendable, Equatable {
    public var method: GrowthMethod = .wa
    /// What WA widens: the top layer (FC7, the paper), or any layer by name (e.g. fc6 or trunk.conv3 in MiniAlexNet).
    public var widen: GrowthTarget = .top
    /// For widened layers followed by pooling: normalise per location instead of the pooled features.
    public var normalizePerLocation = false
    public var units: Int = 256
    public var normalize: Bool = true
    public var initialScale: Float = 20
    public var initialization: NewUnitInit = .random
    public var depth: FineTuneDepth = .all
    /// The default budget: full batches of 32 (144 passes over 20 shots × 10 classes). Chosen by measurement on
    /// Animal-MNIST 20-shot at the default rate (README, "The method as implemented"): going from 900 to 1800
    /// iterations moves no method's mean by more than 2.3 points and WA − FT by under 1, while 300 iterations
    /// at the old rate 0.001 left FT at depth All 16 points short.
    public static let defaultIterations = 900
    public var budget: TrainingBudget = .iterations(defaultIterations)
    public var batchSize: Int = 32
    /// Random shifts (28×28 sets) or random crops and flips (photos): `views` prepared views per training image
    /// (view 0 unaugmented), so frozen layers still run once per view.
    public var augment = true
    public var views = 16
    /// Base rate for pre-trained layers (new ones get ×10). Measured on Animal-MNIST (README, "Protocol"): at
    /// 0.001 FT at depth All is far from converged within 900 iterations; at 0.01 DA diverges (the classifier after
    /// a normalised block sees inputs of norm γ = 20); 0.003 serves every method.
    public var learningRate: Float = 0.003
    /// SGD (Caffe semantics, the paper's) or AdamW (decoupled weight decay), both with the 10× multiplier for new parameters.
    public var optimizer: OptimizerKind = .sgd
    public var momentum: Float = 0.9
    public var weightDecay: Float = 5e-4
    /// The learning rate drops ×`decay` after this fraction of the training steps.
    public var decayAt: Double = 2.0 / 3
    public var decay: Float = 0.1
    public var newLearningRateMultiplier: Float = 10
    public var seed: UInt64 = 1

    public init() {}

    /// The growth steps for `classes` target classes.
    public func steps(classes: Int) -> [GrowthStep] {
        method.steps(units: units, classes: classes, initialization: initialization, normalize: normalize,
                     initialScale: initialScale, seed: seed &* 7919, widen: widen, normalizePerLocation: normalizePerLocation)
    }
}

/// What one fine-tuning run produced.
public struct FineTuneOutcome {
    public let network: GrownNetwork
    public let map: GrowthMap
    public let evaluation: EvaluationResult
    public let curve: [Trainer.CurvePoint]
    public let seconds: Double
    public let steps: Int
    public let optimizerState: OptimizerState
    /// Learning pace of old vs new units (widened networks only).
    public let pace: [PacePoint]
    /// Old-block, new-block and combined accuracy at each point of the learning curve (widened networks only).
    public let blockCurve: [BlockAccuracyPoint]
}

/// Frozen-layer outputs of one few-shot draw (every training view and the test set), shared by every run on
/// that draw: the frozen layers are unchanged copies of the source network, so outputs at the same split point are the same.
/// Safe to share between concurrent runs: one computes a split point's features while the others wait.
public final class FeatureCache: @unchecked Sendable {
    typealias Features = (train: ViewBank, test: (Tensor, [Int]))
    private let memo = SharedMemo<Features>()
    public init() {}
    func features(headStart: Int, compute: () throws -> Features) rethrows -> Features {
        try memo.value(for: headStart, compute: compute)
    }
}

/// A fine-tuning run's state at a step: what a checkpoint written there holds.
public struct FineTuneSnapshot {
    public let network: GrownNetwork
    public let newParameters: Set<String>
    public let optimizer: OptimizerState
    public let trainer: TrainerState
    public let pace: [PacePoint]
    public let blockCurve: [BlockAccuracyPoint]
}

/// Saving and continuing a fine-tuning run.
public struct FineTuneCheckpointing {
    /// Continue from this checkpoint, written by an interrupted run of the same configuration.
    public var resume: Checkpoint?
    /// Hand a snapshot to `save` every this many steps (0: never on a schedule).
    public var every: Int
    /// Writes a snapshot; called every `every` steps and when a stop signal ends training early.
    public var save: (FineTuneSnapshot) throws -> Void

    public init(resume: Checkpoint? = nil, every: Int = 0, save: @escaping (FineTuneSnapshot) throws -> Void) {
        self.resume = resume; self.every = every; self.save = save
    }
}

public enum FineTune {
    /// Grows `source` for the target and trains it on `train`'s views for the configured budget. When the depth
    /// leaves a frozen bottom and `cacheFrozenFeatures` is set, the frozen layers run once per view and per
    /// test image (shared through `featureCache`) and the head trains on their outputs — the same samples,
    /// masks and steps as full training. Dropout masks and the view stream are seeded by `config.seed`.
    /// The learning curve is measured on at most `curveExamples` test examples (evenly spaced, when the test set is in memory),
    /// the final evaluation on all of `test`.
    /// `sourceOptimizer`, the source's optimizer state, is carried through growth when it is of the configured kind.
    /// With `checkpointing`, snapshots are saved on its schedule and when a signal stops training (`Trainer.Stop.interrupted`
    /// is rethrown after the save), and a run resumed from one of them ends bit-identical to an uninterrupted run.
    public static func run(source: GrownNetwork, config: FineTuneConfig, classes: Int, train: ViewBank, test: BatchSource,
                           curveExamples: Int = 1000, cacheFrozenFeatures: Bool, featureCache: FeatureCache? = nil,
                           progress: ProgressDisplay? = nil, evaluations: Int = 20, sourceOptimizer: OptimizerState? = nil,
                           checkpointing: FineTuneCheckpointing? = nil, parallel: (any DataParallelism)? = nil) throws -> FineTuneOutcome {
        let started = Date()
        // Growth is deterministic: a resumed run grows the same network and then takes the checkpoint's weights.
        let (network, map) = try source.grow(config.steps(classes: classes))
        let resume = checkpointing?.resume
        try resume?.loadWeights(into: network)
        // Training runs on the flattened view (same layers, same names), so depth can split inside nested stages.
        let flat = network.model.flattened()
        try config.depth.apply(to: flat, roles: network.roles, newParameters: map.newParameters,
                               newLearningRateMultiplier: config.newLearningRateMultiplier)
        flat.reseedDropout(mix(config.seed, 0x4452_4F50))   // "DROP"

        // Either the whole model on images, or the head on cached features.
        var trainable: Sequential = flat
        var bank = train, testData = test
        if cacheFrozenFeatures, let split = FrozenPrefix(flat) {
            let compute = { (train: try split.features(of: train), test: try split.features(of: test)) }
            let cached = try featureCache.map { try $0.features(headStart: split.headStart, compute: compute) } ?? compute()
            trainable = split.head
            bank = cached.train
            testData = TensorBatches(inputs: cached.test.0, labels: cached.test.1, batchSize: 256, shuffleSeed: nil)
        }
        let totalSteps = config.budget.steps(examples: train.exampleCount, batchSize: config.batchSize)
        let trainData = AugmentedViews(bank, batchSize: config.batchSize, steps: totalSteps, seed: mix(config.seed, 0x5649_4557))   // "VIEW"
        let optimizer = makeOptimizer(kind: config.optimizer, model: trainable, learningRate: config.learningRate,
                                      momentum: config.momentum, weightDecay: config.weightDecay)
        if let resume {
            guard let state = resume.optimizer, resume.resume != nil else {
                throw CheckpointError("the checkpoint holds no optimizer state or training position, so it cannot be resumed")
            }
            try optimizer.setState(state)
        } else if let state = sourceOptimizer, state.kind == config.optimizer.rawValue {
            // Optimizer state carried through growth: old parameters keep theirs, new ones start at zero.
            try optimizer.setState(state.carried(by: { map.carry($0, into: trainable) }, sources: map.sources))
        }
        let schedule = StepSchedule(base: config.learningRate, stepSize: max(1, Int(Double(totalSteps) * config.decayAt)), gamma: config.decay)
        let every = max(1, totalSteps / max(evaluations, 1))
        let trainer = Trainer(model: trainable, optimizer: optimizer, options: .init(epochs: 1, schedule: schedule, evaluateEvery: every))
        trainer.progress = progress
        trainer.parallel = parallel
        let pace = try trainData.orderedBatches().next().flatMap { LearningPaceProbe(model: trainable, probe: $0.inputs) }
        var blockCurve: [BlockAccuracyPoint] = []
        if let position = resume?.resume {
            try trainer.restore(position.trainer)
            pace?.restore(position.pace)
            blockCurve = position.blockCurve ?? []
        }
        func snapshot() -> FineTuneSnapshot {
            FineTuneSnapshot(network: network, newParameters: map.newParameters, optimizer: optimizer.state, trainer: trainer.state(),
                             pace: pace?.points ?? [], blockCurve: blockCurve)
        }
        trainer.onGradients = { step in if step % every == 0 || step == 1 { pace?.recordGradients() } }
        trainer.afterStep = { step in
            if step % every == 0 || step == 1 { pace?.record(step: step) }
            if let c = checkpointing, c.every > 0, step % c.every == 0, step < totalSteps { try c.save(snapshot()) }
        }
        let evalData: BatchSource = (testData as? TensorBatches)?.evenlySpaced(curveExamples) ?? testData
        do {
            try trainer.fit(trainData) {
                // The evaluation scores each block alone anyway: keeping those numbers gives Fig. 6's curves for free.
                let evaluation = try Evaluator.evaluate(trainable, on: evalData, classes: classes, parallel: parallel)
                if let point = BlockAccuracyPoint(step: trainer.step, evaluation) { blockCurve.append(point) }
                return evaluation.top1
            }
        } catch let stop as Trainer.Stop {
            if case .interrupted = stop { try checkpointing?.save(snapshot()) }
            throw stop
        }
        let evaluation = try Evaluator.evaluate(trainable, on: testData, classes: classes, parallel: parallel)
        return FineTuneOutcome(network: network, map: map, evaluation: evaluation, curve: trainer.curve,
                               seconds: Date().timeIntervalSince(started), steps: trainer.step, optimizerState: optimizer.state,
                               pace: pace?.points ?? [], blockCurve: blockCurve)
    }
}
