import Engine
import NN

/// What the trainer needs from an optimizer: a learning rate the schedule sets every step, the set of
/// parameters it updates (exactly the model's trainable ones at the last `collect`), one update step,
/// and its state as a named map that growth and checkpoints can carry (see `OptimizerState`).
///
/// Per-parameter knobs come from the parameter itself: the effective learning rate is
/// `learningRate × parameter.lrMultiplier` and the effective weight decay
/// `weightDecay × parameter.decayMultiplier`.
public protocol Optimizer: AnyObject {
    /// Which algorithm this is; `state.kind` is its raw value.
    var kind: OptimizerKind { get }
    /// The base learning rate (the schedule sets it before every step).
    var learningRate: Float { get set }
    /// The parameters being optimised, in the model's order: exactly the trainable ones at the last `collect`.
    var parameters: [(name: String, parameter: Parameter)] { get }
    /// Re-reads the model's trainable parameters (after freezing, unfreezing or growth). State of
    /// parameters that remain, by name and shape, is kept; other parameters start fresh.
    func collect(from model: Layer)
    /// Applies one update to every optimised parameter and zeroes its gradient.
    func step()
    /// Zeroes the gradients of the optimised parameters.
    func zeroGradients()
    /// A copy of the per-parameter state, by slot and parameter name.
    var state: OptimizerState { get }
    /// Replaces the per-parameter state. Throws `OptimizerStateError` (naming the parameter, expected and
    /// actual shape) on a wrong kind, an unknown slot or a wrong shape, leaving the state unchanged.
    /// Entries for parameters this optimizer does not hold (frozen or gone) are ignored; optimised
    /// parameters without an entry in a slot start that slot fresh (zero).
    func setState(_ state: OptimizerState) throws
}

extension Optimizer {
    public func zeroGradients() { for (_, p) in parameters { p.grad.zero() } }
}

/// The optimizers the toolkit provides.
public enum OptimizerKind: String, CaseIterable, Codable, Sendable {
    /// Momentum SGD, Caffe semantics (`SGD`).
    case sgd
    /// Adam with decoupled weight decay, as `torch.optim.AdamW` (`AdamW`).
    case adamw

    /// The default weight decay of each kind (SGD: none; AdamW: PyTorch's 0.01).
    public var defaultWeightDecay: Float {
        switch self {
        case .sgd: return 0
        case .adamw: return 0.01
        }
    }
}

/// Builds an optimizer of `kind` over `model`'s trainable parameters. `momentum` is read by SGD only,
/// `betas` and `epsilon` by AdamW only; `weightDecay` nil means the kind's default.
public func makeOptimizer(kind: OptimizerKind, model: Layer, learningRate: Float, momentum: Float = 0.9,
                          weightDecay: Float? = nil, betas: (Double, Double) = (0.9, 0.999),
                          epsilon: Double = 1e-8) -> any Optimizer {
    let decay = weightDecay ?? kind.defaultWeightDecay
    switch kind {
    case .sgd:
        return SGD(model: model, learningRate: learningRate, momentum: momentum, weightDecay: decay)
    case .adamw:
        return AdamW(model: model, learningRate: learningRate, betas: betas, epsilon: epsilon, weightDecay: decay)
    }
}
