import Engine

/// Batch normalisation over the channel axis, for [N, C] (1d) and [N, C, H, W] (2d) input.
///
/// Training: normalise with batch statistics (biased variance) and update running statistics
/// as PyTorch does: running = (1 − momentum)·running + momentum·batch, with unbiased variance.
/// Evaluation — or `freezeStatistics` — normalises with the running statistics and leaves them alone
/// (the explicit policy for fine-tuning frozen trunks).
public final class BatchNorm: Layer {
    public let channels: Int
    public let momentum: Float, eps: Float
    public let weight: Parameter, bias: Parameter
    public private(set) var runningMean: Tensor, runningVar: Tensor
    /// Use running statistics even in training mode, and never update them.
    public var freezeStatistics = false
    public var isTraining = true
    public var needsInputGradient = true
    private var input: Tensor?
    private var mean: [Float] = [], invStd: [Float] = []
    private var usedBatchStatistics = false

    public init(_ channels: Int, momentum: Float = 0.1, eps: Float = 1e-5) {
        self.channels = channels; self.momentum = momentum; self.eps = eps
        weight = Parameter(Tensor(shape: [channels], repeating: 1))
        bias = Parameter(Tensor(zeros: [channels]))
        runningMean = Tensor(zeros: [channels])
        runningVar = Tensor(shape: [channels], repeating: 1)
    }

    public var localParameters: [(String, Parameter)] { [("weight", weight), ("bias", bias)] }
    public var localBuffers: [(String, Tensor)] { [("running_mean", runningMean), ("running_var", runningVar)] }
    public var summary: String { "BatchNorm(\(channels)\(freezeStatistics ? ", frozen stats" : ""))" }

    /// (N, HW) for an input shape, checking the channel count.
    private func layout(_ shape: [Int]) -> (Int, Int) {
        checkShape((shape.count == 2 || shape.count == 4) && shape[1] == channels, summary,
                   expected: "[N, \(channels)] or [N, \(channels), H, W]", actual: shape)
        return (shape[0], shape.count == 4 ? shape[2] * shape[3] : 1)
    }

    public func forward(_ x: Tensor) -> Tensor {
        let (n, hw) = layout(x.shape)
        let C = channels
        let y = Tensor(uninitialized: x.shape)
        let batchStats = isTraining && !freezeStatistics
        var mean = [Float](repeating: 0, count: C), invStd = [Float](repeating: 0, count: C)
        let count = n * hw
        if batchStats {
            precondition(count > 1, "\(summary): training needs more than one value per channel, got input \(x.shape)")
            mean.withUnsafeMutableBufferPointer { m in
                invStd.withUnsafeMutableBufferPointer { s in
                    let (mp, sp) = (UncheckedSendable(m.baseAddress!), UncheckedSendable(s.baseAddress!))
                    parallelFor(C, minPerThread: Swift.max(1, 65_536 / Swift.max(count, 1))) { range in
                        for c in range {
                            // One pass over shifted values (shift = the channel's first value) keeps
                            // E[(x−k)²] − E[x−k]² free of cancellation when |mean| ≫ std.
                            let shift = x.pointer[c * hw]
                            var sum: Double = 0, sq: Double = 0
                            for b in 0..<n {
                                let (r, r2) = Reductions.shiftedMoments(x.pointer + (b * C + c) * hw, hw, shift: shift)
                                sum += Double(r); sq += Double(r2)
                            }
                            let m = sum / Double(count)
                            mp.value[c] = Float(m + Double(shift))
                            sp.value[c] = Float(Swift.max(sq / Double(count) - m * m, 0))  // biased variance, stored temporarily
                        }
                    }
                }
            }
            let rm = runningMean.pointer, rv = runningVar.pointer
            for c in 0..<C {
                let v = invStd[c]
                rm[c] = (1 - momentum) * rm[c] + momentum * mean[c]
                rv[c] = (1 - momentum) * rv[c] + momentum * v * Float(count) / Float(count - 1)
                invStd[c] = 1 / (v + eps).squareRoot()
            }
        } else {
            for c in 0..<C { mean[c] = runningMean.pointer[c]; invStd[c] = runningInvStd(c) }
        }
        let g = weight.value.pointer, bt = bias.value.pointer
        mean.withUnsafeBufferPointer { m in
            invStd.withUnsafeBufferPointer { s in
                let (mp, sp) = (UncheckedSendable(m.baseAddress!), UncheckedSendable(s.baseAddress!))
                parallelFor(n * C, minPerThread: Swift.max(1, 65_536 / hw)) { rows in
                    for row in rows {
                        let c = row % C
                        let a = g[c] * sp.value[c], b = bt[c] - mp.value[c] * a
                        let xp = x.pointer + row * hw, yp = y.pointer + row * hw
                        for i in 0..<hw { yp[i] = xp[i] * a + b }
                    }
                }
            }
        }
        if isTraining { input = x; self.mean = mean; self.invStd = invStd; usedBatchStatistics = batchStats }
        return y
    }

    private func runningInvStd(_ c: Int) -> Float { 1 / (runningVar.pointer[c] + eps).squareRoot() }

    /// Evaluation as an affine map per channel, y = x·scale[c] + shift[c], from the running statistics (for fusing
    /// into a preceding convolution, `ConvBatchNormInference`).
    public func inferenceScaleShift() -> (scale: [Float], shift: [Float]) {
        let scale = (0..<channels).map { weight.value.pointer[$0] * runningInvStd($0) }
        return (scale, (0..<channels).map { bias.value.pointer[$0] - runningMean.pointer[$0] * scale[$0] })
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("\(summary): backward without a training forward") }
        checkShape(dy.shape == x.shape, summary + " backward", expected: "\(x.shape)", actual: dy.shape)
        let (n, hw) = layout(x.shape)
        let C = channels
        let dx = needsInputGradient ? Tensor(uninitialized: x.shape) : nil
        var sumDy = [Float](repeating: 0, count: C), sumDyXhat = [Float](repeating: 0, count: C)
        let (mean, invStd) = (self.mean, self.invStd)
        sumDy.withUnsafeMutableBufferPointer { a in
            sumDyXhat.withUnsafeMutableBufferPointer { b in
                let (ap, bp) = (UncheckedSendable(a.baseAddress!), UncheckedSendable(b.baseAddress!))
                parallelFor(C, minPerThread: Swift.max(1, 65_536 / Swift.max(n * hw, 1))) { range in
                    for c in range {
                        var s1: Double = 0, s2: Double = 0
                        let mu = mean[c]
                        for bi in 0..<n {
                            let offset = (bi * C + c) * hw
                            let (r1, r2) = Reductions.sumAndCenteredDot(dy.pointer + offset, x.pointer + offset, hw, center: mu)
                            s1 += Double(r1); s2 += Double(r2)
                        }
                        ap.value[c] = Float(s1); bp.value[c] = Float(s2) * invStd[c]
                    }
                }
            }
        }
        if weight.trainable { for c in 0..<C { weight.grad.pointer[c] += sumDyXhat[c] } }
        if bias.trainable { for c in 0..<C { bias.grad.pointer[c] += sumDy[c] } }
        input = nil
        guard let dx else { return Tensor(zeros: [0]) }
        let g = weight.value.pointer
        let m = Float(n * hw)
        let batchStats = usedBatchStatistics
        parallelFor(n * C, minPerThread: Swift.max(1, 65_536 / hw)) { rows in
            for row in rows {
                let c = row % C
                let d = dy.pointer + row * hw, xp = x.pointer + row * hw, o = dx.pointer + row * hw
                let k = g[c] * invStd[c]
                if batchStats {
                    // dx = γ·σ⁻¹·(dy − mean(dy) − x̂·mean(dy·x̂))
                    let mu = mean[c], s = invStd[c], a = sumDy[c] / m, b = sumDyXhat[c] / m
                    for i in 0..<hw { o[i] = k * (d[i] - a - (xp[i] - mu) * s * b) }
                } else {
                    for i in 0..<hw { o[i] = k * d[i] }
                }
            }
        }
        return dx
    }
}
