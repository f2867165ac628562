import Engine
import NN

/// Stochastic gradient descent with momentum and weight decay, Caffe semantics (as the paper used):
///
///     v ← μ·v + lr·m_lr·(g + wd·m_wd·w)
///     w ← w − v
///
/// where m_lr and m_wd are the parameter's learning-rate and decay multipliers. For a constant
/// learning rate this equals PyTorch's SGD. Momentum slots are keyed by parameter name so that
/// growth can carry them over (old slots kept, new ones start at zero); the state's one slot is
/// `velocity`.
public final class SGD: Optimizer {
    public var kind: OptimizerKind { .sgd }
    public var learningRate: Float
    public let momentum: Float
    public let weightDecay: Float
    /// The parameters being optimised: exactly the trainable ones at the last `collect`.
    public private(set) var parameters: [(name: String, parameter: Parameter)] = []
    /// Momentum buffers by parameter name (the state's `velocity` slot, without copying).
    public private(set) var velocity: [String: Tensor] = [:]

    public init(model: Layer, learningRate: Float, momentum: Float = 0.9, weightDecay: Float = 0) {
        self.learningRate = learningRate; self.momentum = momentum; self.weightDecay = weightDecay
        collect(from: model)
    }

    /// Re-reads the model's trainable parameters (after freezing, unfreezing or growth). Momentum of
    /// parameters that remain, by name and shape, is kept; others start at zero.
    public func collect(from model: Layer) {
        parameters = model.namedParameters().filter { $0.parameter.trainable }
        var kept: [String: Tensor] = [:]
        for (name, p) in parameters {
            if let v = velocity[name], v.shape == p.shape { kept[name] = v } else { kept[name] = Tensor(zeros: p.shape) }
        }
        velocity = kept
    }

    public var state: OptimizerState {
        OptimizerState(kind: kind.rawValue, slots: ["velocity": velocity.mapValues { $0.copy() }])
    }

    public func setState(_ state: OptimizerState) throws {
        let given = try state.validated(for: kind, slots: ["velocity"], parameters: parameters)["velocity"] ?? [:]
        for (name, p) in parameters { velocity[name] = given[name] ?? Tensor(zeros: p.shape) }
    }

    /// Sets momentum slots from a map (e.g. carried through growth or restored from a checkpoint);
    /// optimised parameters missing from the map keep their momentum. A wrong shape is a programmer
    /// error here; `setState` throws instead.
    public func setVelocity(_ map: [String: Tensor]) {
        for (name, p) in parameters {
            if let v = map[name] {
                precondition(v.shape == p.shape, "SGD: momentum for \(name) has shape \(v.shape), parameter has \(p.shape)")
                velocity[name] = v.copy()
            }
        }
    }

    /// Applies one update to every trainable parameter and zeroes its gradient.
    public func step() {
        for (name, p) in parameters {
            guard let v = velocity[name] else { continue }
            let lr = learningRate * p.lrMultiplier, wd = weightDecay * p.decayMultiplier, mu = momentum
            let (w, g, vp) = (p.value.pointer, p.grad.pointer, v.pointer)
            parallelFor(p.value.count, minPerThread: 1 << 18) { r in
                for i in r {
                    let nv = mu * vp[i] + lr * (g[i] + wd * w[i])
                    vp[i] = nv
                    w[i] -= nv
                    g[i] = 0
                }
            }
        }
    }
}
