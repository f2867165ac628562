import Foundation
import Engine
import NN
import Training
import Growth

/// The paper's fine-tuning protocol (section 4): grow (or just replace the classifier), freeze to a
/// depth, train new parameters at 10× the base learning rate with SGD (momentum 0.9, weight decay 5e-4)
/// and a step decay ×0.1, then evaluate.
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
    public var epochs: Int = 30
    public var batchSize: Int = 32
    /// Base rate for pre-trained layers (new ones get ×10). With γ = 20 the classifier after a normalised
    /// block sees inputs of norm 20, so larger rates diverge; 0.001 is the rate CNN-DM used with the paper.
    public var learningRate: Float = 0.001
    /// SGD (Caffe semantics, the paper's) or AdamW (decoupled weight decay), both with the 10× multiplier for new parameters.
    public var optimizer: OptimizerKind = .sgd
    public var momentum: Float = 0.9
    public var weightDecay: Float = 5e-4
    /// The learning rate drops ×`decay` after this fraction of the training steps.
    public var decayAt: Double = 0.7
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
}

/// Frozen-layer outputs of one few-shot draw, shared by every run on that draw: the frozen layers are
/// unchanged copies of the source network, so outputs at the same split point are the same.
public final class FeatureCache {
    var entries: [Int: (train: (Tensor, [Int]), test: (Tensor, [Int]))] = [:]
    public init() {}
    func features(headStart: Int, compute: () throws -> ((Tensor, [Int]), (Tensor, [Int]))) rethrows -> ((Tensor, [Int]), (Tensor, [Int])) {
        if let hit = entries[headStart] { return (hit.train, hit.test) }
        let value = try compute()
        entries[headStart] = (value.0, value.1)
        return value
    }
}

public enum FineTune {
    /// Grows `source` for the target and trains it. `train`/`test` yield target images; when the
    /// depth leaves a frozen bottom and `cacheFrozenFeatures` is set (no augmentation in `train`),
    /// the frozen layers run once per image (shared through `featureCache`) and the head trains on
    /// their outputs. `sourceOptimizer`, the source's optimizer state, is carried through growth when it is of the configured kind.
    public static func run(source: GrownNetwork, config: FineTuneConfig, classes: Int, train: BatchSource, test: BatchSource,
                           cacheFrozenFeatures: Bool, featureCache: FeatureCache? = nil, progress: ProgressDisplay? = nil,
                           evaluations: Int = 20, sourceOptimizer: OptimizerState? = nil) throws -> FineTuneOutcome {
        let started = Date()
        let (network, map) = try source.grow(config.steps(classes: classes))
        // Training runs on the flattened view (same layers, same names), so depth can split inside nested stages.
        let flat = network.model.flattened()
        try config.depth.apply(to: flat, roles: network.roles, newParameters: map.newParameters,
                               newLearningRateMultiplier: config.newLearningRateMultiplier)

        // Either the whole model on images, or the head on cached features.
        var trainable: Sequential = flat
        var trainData = train, testData = test
        if cacheFrozenFeatures, let split = FrozenPrefix(flat) {
            let compute = { (try split.features(of: train), try split.features(of: test)) }
            let ((trainX, trainY), (testX, testY)) = try featureCache.map { try $0.features(headStart: split.headStart, compute: compute) } ?? compute()
            trainable = split.head
            trainData = TensorBatches(inputs: trainX, labels: trainY, batchSize: config.batchSize, shuffleSeed: config.seed)
            testData = TensorBatches(inputs: testX, labels: testY, batchSize: 256, shuffleSeed: nil)
        }
        let optimizer = makeOptimizer(kind: config.optimizer, model: trainable, learningRate: config.learningRate,
                                      momentum: config.momentum, weightDecay: config.weightDecay)
        // Optimizer state carried through growth: old parameters keep theirs, new ones start at zero.
        if let state = sourceOptimizer, state.kind == config.optimizer.rawValue {
            try optimizer.setState(state.carried(by: { map.carry($0, into: trainable) }, sources: map.sources))
        }
        let totalSteps = config.epochs * trainData.batchCount
        let schedule = StepSchedule(base: config.learningRate, stepSize: max(1, Int(Double(totalSteps) * config.decayAt)), gamma: config.decay)
        let trainer = Trainer(model: trainable, optimizer: optimizer,
                              options: .init(epochs: config.epochs, schedule: schedule, evaluateEvery: max(1, totalSteps / max(evaluations, 1))))
        trainer.progress = progress
        let every = max(1, totalSteps / max(evaluations, 1))
        let pace = try trainData.orderedBatches().next().flatMap { LearningPaceProbe(model: trainable, probe: $0.inputs) }
        trainer.onGradients = { step in if step % every == 0 || step == 1 { pace?.recordGradients() } }
        trainer.afterStep = { step in if step % every == 0 || step == 1 { pace?.record(step: step) } }
        let evalData = testData
        try trainer.fit(trainData) { try Evaluator.evaluate(trainable, on: evalData, classes: classes).top1 }
        let evaluation = try Evaluator.evaluate(trainable, on: testData, classes: classes)
        return FineTuneOutcome(network: network, map: map, evaluation: evaluation, curve: trainer.curve,
                               seconds: Date().timeIntervalSince(started), steps: trainer.step, optimizerState: optimizer.state,
                               pace: pace?.points ?? [])
    }
}
