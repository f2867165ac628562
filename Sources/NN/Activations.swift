import Engine

/// Elementwise clamp activations: ReLU (max(x, 0)) and ReLU6 (min(max(x, 0), 6)).
/// Shapes: any → same. Backward passes the gradient where the input was inside (0, cap).
public final class ReLU: ModeIndependentLayer {
    /// Upper clamp (nil for plain ReLU, 6 for ReLU6).
    public let cap: Float?
    public var isTraining = true
    public var needsInputGradient = true
    private var output: Tensor?

    public init(cap: Float? = nil) { self.cap = cap }
    /// ReLU6, as in MobileNet.
    public static func six() -> ReLU { ReLU(cap: 6) }
    public var summary: String { cap.map { "ReLU\(Int($0))" } ?? "ReLU" }

    /// The activation of one value: max(0, min(v, cap)), with NaN becoming 0.
    @inline(__always)
    static func clamp(_ v: Float, cap hi: Float) -> Float { v > 0 ? (v < hi ? v : hi) : 0 }

    public func forward(_ x: Tensor) -> Tensor {
        let y = Tensor(uninitialized: x.shape)
        let (xp, yp) = (x.pointer, y.pointer)
        let hi = cap ?? .infinity
        parallelFor(x.count, minPerThread: 1 << 20) { r in
            for i in r { yp[i] = Self.clamp(xp[i], cap: hi) }
        }
        if isTraining { output = y }
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let y = output else { preconditionFailure("\(summary): backward without a training forward") }
        checkShape(dy.shape == y.shape, summary + " backward", expected: "\(y.shape)", actual: dy.shape)
        output = nil
        let dx = Tensor(uninitialized: y.shape)
        let (yp, dp, xp) = (y.pointer, dy.pointer, dx.pointer)
        let hi = cap ?? .infinity
        // Load dy unconditionally and select (no `&&`, no conditional load): branch-free, so it
        // vectorises; a branch here mispredicts on half the elements and runs 10× slower.
        parallelFor(y.count, minPerThread: 1 << 20) { r in
            for i in r { let v = yp[i], d = dp[i]; let kept = v > 0 ? d : 0; xp[i] = v < hi ? kept : 0 }
        }
        return dx
    }
}

/// Inverted dropout: in training, zero each unit with probability p and scale survivors by 1/(1−p);
/// identity in evaluation. The mask comes from the layer's own seeded generator.
public final class Dropout: Layer {
    public let probability: Float
    public var rng: RNG
    public var isTraining = true
    public var needsInputGradient = true
    /// Under data parallelism: this process's batch is rows `offset ..< offset + N` of a global batch of `total`.
    /// The generator then draws the masks of the whole global batch and applies this slice, so the masks are
    /// those a single process would draw.
    public var slice: (offset: Int, total: Int)?
    private var mask: Tensor?

    public init(_ probability: Float, seed: UInt64) {
        precondition(probability >= 0 && probability < 1, "Dropout: probability must be in [0, 1), got \(probability)")
        self.probability = probability; self.rng = RNG(seed: seed)
    }
    public var summary: String { "Dropout(\(probability))" }

    public func forward(_ x: Tensor) -> Tensor {
        guard isTraining && probability > 0 else { mask = nil; return x }
        let m = Tensor(uninitialized: x.shape), y = Tensor(uninitialized: x.shape)
        let keep = 1 / (1 - probability)
        let (mp, xp, yp) = (m.pointer, x.pointer, y.pointer)
        let perExample = x.count / Swift.max(x.shape[0], 1)
        let (offset, total) = slice ?? (0, x.shape[0])
        rng.discard(offset * perExample)
        rng.fillUniform(mp, count: x.count)
        rng.discard((total - offset - x.shape[0]) * perExample)
        let p = probability
        for i in 0..<x.count { let m = mp[i] < p ? 0 : keep; mp[i] = m; yp[i] = xp[i] * m }
        mask = m
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let m = mask else { return dy }
        checkShape(dy.shape == m.shape, summary + " backward", expected: "\(m.shape)", actual: dy.shape)
        let dx = Tensor(uninitialized: dy.shape)
        for i in 0..<dy.count { dx.pointer[i] = dy.pointer[i] * m.pointer[i] }
        mask = nil
        return dx
    }
}

extension Layer {
    /// Gives every `Dropout` in this layer's tree its own stream derived from `seed` and its path, so each
    /// training run draws its own masks (runs with the same seed draw the same ones).
    public func reseedDropout(_ seed: UInt64) {
        for (path, layer) in namedLayers() {
            guard let dropout = layer as? Dropout else { continue }
            dropout.rng = RNG(seed: seed).derived("dropout " + path)
        }
    }
}

/// [N, d1, d2, …] → [N, d1·d2·…] (a view, no copy).
public final class Flatten: ModeIndependentLayer {
    public var isTraining = true
    public var needsInputGradient = true
    private var inputShape: [Int] = []
    public init() {}
    public var summary: String { "Flatten" }
    public func forward(_ x: Tensor) -> Tensor {
        checkShape(x.shape.count >= 1, summary, expected: "[N, …]", actual: x.shape)
        inputShape = x.shape
        return x.reshaped([x.shape[0], x.count / Swift.max(x.shape[0], 1)])
    }
    public func backward(_ dy: Tensor) -> Tensor { dy.reshaped(inputShape) }
}
