import Foundation
import Engine
import NN

/// Adam with decoupled weight decay, exactly as PyTorch's `torch.optim.AdamW` (amsgrad and maximize off,
/// the single-tensor code path). For each parameter p with gradient g, its own step count t and
/// lr_p = lr·m_lr, wd_p = wd·m_wd (the parameter's multipliers, as PyTorch parameter groups):
///
///     t ← t + 1
///     p ← p·(1 − lr_p·wd_p)                               decay with the parameter's own rate
///     m ← m + (1−β1)·(g − m)                              = β1·m + (1−β1)·g  (PyTorch's lerp)
///     v ← β2·v + (1−β2)·g²
///     p ← p − (lr_p / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + ε)
///
/// in PyTorch's order of operations: scalars (bias corrections, step size) in Double, then rounded to
/// Float; the two multiply-adds that PyTorch's CPU kernels fuse round once here too. State slots:
/// `exp_avg` (m), `exp_avg_sq` (v), `step` (t, a [1] tensor), keyed by parameter name.
public final class AdamW: Optimizer {
    public var kind: OptimizerKind { .adamw }
    public var learningRate: Float
    /// Decay rates of the first and second moment estimates (Double, as PyTorch holds them, so that
    /// 1 − β and βᵗ are the same numbers).
    public let beta1: Double, beta2: Double
    /// Added to the denominator: √v̂ + ε.
    public let epsilon: Double
    /// Decoupled weight decay coefficient (PyTorch's default 0.01).
    public let weightDecay: Float
    public private(set) var parameters: [(name: String, parameter: Parameter)] = []
    private var expAvg: [String: Tensor] = [:]
    private var expAvgSq: [String: Tensor] = [:]
    private var steps: [String: Int] = [:]

    public init(model: Layer, learningRate: Float, betas: (Double, Double) = (0.9, 0.999), epsilon: Double = 1e-8,
                weightDecay: Float = 0.01) {
        precondition((0..<1).contains(betas.0) && (0..<1).contains(betas.1), "AdamW: betas must be in [0, 1), got \(betas)")
        precondition(epsilon >= 0, "AdamW: epsilon must be ≥ 0, got \(epsilon)")
        self.learningRate = learningRate; beta1 = betas.0; beta2 = betas.1
        self.epsilon = epsilon; self.weightDecay = weightDecay
        collect(from: model)
    }

    public func collect(from model: Layer) {
        parameters = model.namedParameters().filter { $0.parameter.trainable }
        var (m, v, t): ([String: Tensor], [String: Tensor], [String: Int]) = ([:], [:], [:])
        for (name, p) in parameters {
            if let old = expAvg[name], old.shape == p.shape, let oldSq = expAvgSq[name] {
                m[name] = old; v[name] = oldSq; t[name] = steps[name] ?? 0
            } else {
                m[name] = Tensor(zeros: p.shape); v[name] = Tensor(zeros: p.shape); t[name] = 0
            }
        }
        (expAvg, expAvgSq, steps) = (m, v, t)
    }

    public func step() {
        for (name, p) in parameters {
            guard let m = expAvg[name], let v = expAvgSq[name] else { continue }
            let t = (steps[name] ?? 0) + 1
            steps[name] = t
            let lr = Double(learningRate) * Double(p.lrMultiplier)
            let wd = Double(weightDecay) * Double(p.decayMultiplier)
            update(p, m: m, v: v, t: t, lr: lr, wd: wd)
        }
    }

    /// One AdamW update of `p` at step `t`. p, g, m, v: [count] (any shape, viewed flat).
    private func update(_ p: Parameter, m: Tensor, v: Tensor, t: Int, lr: Double, wd: Double) {
        let decay = Float(1 - lr * wd), decays = wd != 0
        // m.lerp_(g, w) with w = 1 − β1 is m + w·(g − m) for w < 0.5, else g + (w − 1)·(g − m)
        let lerpWeight = Float(1 - beta1), lerpFromM = lerpWeight < 0.5
        let lerpCoefficient = lerpFromM ? lerpWeight : lerpWeight - 1
        let b2 = Float(beta2), oneMinusB2 = Float(1 - beta2)
        let correction2Root = Float((1 - pow(beta2, Double(t))).squareRoot())
        let negativeStep = Float(-(lr / (1 - pow(beta1, Double(t)))))
        let eps = Float(epsilon)
        let (w, g, mp, vp) = (p.value.pointer, p.grad.pointer, m.pointer, v.pointer)
        parallelFor(p.value.count, minPerThread: 1 << 17) { r in
            for i in r {
                let gi = g[i]
                var wi = w[i]
                if decays { wi *= decay }
                // fused in PyTorch (fma(w, g − m, m) and fma((1−β2)·g, g, β2·v)): a float product is
                // exact in Double, so rounding the Double sum once gives the same float as the FMA.
                let mi = Float(Double(lerpFromM ? mp[i] : gi) + Double(lerpCoefficient) * Double(gi - mp[i]))
                let vi = Float(Double(vp[i] * b2) + Double(oneMinusB2 * gi) * Double(gi))
                let denominator = vi.squareRoot() / correction2Root + eps
                wi += negativeStep * mi / denominator
                mp[i] = mi; vp[i] = vi; w[i] = wi; g[i] = 0
            }
        }
    }

    public var state: OptimizerState {
        OptimizerState(kind: kind.rawValue, slots: [
            "exp_avg": expAvg.mapValues { $0.copy() },
            "exp_avg_sq": expAvgSq.mapValues { $0.copy() },
            "step": steps.mapValues { Tensor(shape: [1], values: [Float($0)]) },
        ])
    }

    public func setState(_ state: OptimizerState) throws {
        let given = try state.validated(for: kind, slots: ["exp_avg", "exp_avg_sq", "step"], parameters: parameters)
        for (name, p) in parameters {
            expAvg[name] = given["exp_avg"]?[name] ?? Tensor(zeros: p.shape)
            expAvgSq[name] = given["exp_avg_sq"]?[name] ?? Tensor(zeros: p.shape)
            steps[name] = given["step"]?[name].map { Int($0.pointer[0]) } ?? 0
        }
    }
}
