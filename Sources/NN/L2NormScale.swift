import Engine

/// The paper's normalise-and-scale (Growing a Brain, Eqs. 1–2).
///
/// Per example, a block of units is divided by its L2 norm and multiplied by a learned per-unit
/// scale γ: yᵢ = γᵢ · xᵢ / √(Σⱼ xⱼ² + ε). For [N, F] input the norm runs over F; for [N, C, H, W]
/// it runs over C at each spatial location. ε keeps all-zero vectors (dead ReLU blocks) finite.
/// γ starts at `initialScale` (the paper uses 10 or 20).
public final class L2NormScale: Layer {
    public let units: Int
    public let eps: Float
    public let scale: Parameter
    public var isTraining = true
    public var needsInputGradient = true
    private var normalized: Tensor?
    private var inverseNorms: [Float] = []

    public init(units: Int, initialScale: Float = 20, eps: Float = 1e-10) {
        self.units = units; self.eps = eps
        scale = Parameter(Tensor(shape: [units], repeating: initialScale))
    }

    public var localParameters: [(String, Parameter)] { [("scale", scale)] }
    public var summary: String { "L2NormScale(\(units))" }

    private func layout(_ s: [Int]) -> (n: Int, hw: Int) {
        checkShape((s.count == 2 || s.count == 4) && s[1] == units, summary,
                   expected: "[N, \(units)] or [N, \(units), H, W]", actual: s)
        return (s[0], s.count == 4 ? s[2] * s[3] : 1)
    }

    public func forward(_ x: Tensor) -> Tensor {
        let (n, hw) = layout(x.shape)
        let C = units
        let z = Tensor(uninitialized: x.shape), y = Tensor(uninitialized: x.shape)
        var inv = [Float](repeating: 0, count: n * hw)
        let g = scale.value.pointer
        for b in 0..<n {
            let xb = x.pointer + b * C * hw, zb = z.pointer + b * C * hw, yb = y.pointer + b * C * hw
            for p in 0..<hw {
                var s: Float = 0
                for c in 0..<C { let v = xb[c * hw + p]; s += v * v }
                let r = 1 / (s + eps).squareRoot()
                inv[b * hw + p] = r
                for c in 0..<C { let v = xb[c * hw + p] * r; zb[c * hw + p] = v; yb[c * hw + p] = v * g[c] }
            }
        }
        if isTraining { normalized = z; inverseNorms = inv }
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let z = normalized else { preconditionFailure("\(summary): backward without a training forward") }
        checkShape(dy.shape == z.shape, summary + " backward", expected: "\(z.shape)", actual: dy.shape)
        let (n, hw) = layout(z.shape)
        let C = units
        let g = scale.value.pointer
        if scale.trainable {
            let dg = scale.grad.pointer
            for b in 0..<n {
                for c in 0..<C {
                    let d = dy.pointer + (b * C + c) * hw, zz = z.pointer + (b * C + c) * hw
                    var s: Float = 0
                    for p in 0..<hw { s += d[p] * zz[p] }
                    dg[c] += s
                }
            }
        }
        normalized = nil
        guard needsInputGradient else { return Tensor(zeros: [0]) }
        // dz = γ·dy;  dx = (dz − z·⟨z, dz⟩) / ‖x‖
        let dx = Tensor(uninitialized: z.shape)
        for b in 0..<n {
            let d = dy.pointer + b * C * hw, zb = z.pointer + b * C * hw, o = dx.pointer + b * C * hw
            for p in 0..<hw {
                var dot: Float = 0
                for c in 0..<C { dot += zb[c * hw + p] * g[c] * d[c * hw + p] }
                let r = inverseNorms[b * hw + p]
                for c in 0..<C { o[c * hw + p] = r * (g[c] * d[c * hw + p] - zb[c * hw + p] * dot) }
            }
        }
        return dx
    }
}
