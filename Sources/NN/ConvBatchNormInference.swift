import Engine

/// Inference of Conv2d → BatchNorm (running statistics) → optional ReLU/ReLU6 as one convolution and at most one
/// pass over its output, instead of three layers each writing a new tensor. `Sequential` uses it in evaluation mode.
///
/// Shapes: x [N, C, H, W] → y [N, O, OH, OW]. Batch norm at inference is y·scale[o] + shift[o]; where the output is
/// at least as large as the weights, that affine map is folded into a scaled copy of the weights and the bias (one pass
/// over the weights instead of one over the output), otherwise applied in place after the convolution, together
/// with the clamp. Results match the three layers run one by one up to float rounding of the folded weights.
enum ConvBatchNormInference {
    /// Whether `conv`, `bn` (and `relu`) can run fused: all in evaluation mode, channels matching.
    static func applies(_ conv: Conv2d, _ bn: BatchNorm, _ relu: ReLU?) -> Bool {
        !conv.isTraining && !bn.isTraining && !(relu?.isTraining ?? false) && bn.channels == conv.outChannels
    }

    static func forward(_ conv: Conv2d, _ bn: BatchNorm, _ relu: ReLU?, _ x: Tensor) -> Tensor {
        let g = conv.geometry(for: x.shape)
        let O = conv.outChannels, plane = g.outHeight * g.outWidth
        let (scale, shift) = bn.inferenceScaleShift()
        let y = Tensor(uninitialized: [g.batch, O, g.outHeight, g.outWidth])
        let weights = conv.weight.value
        let convBias = conv.bias?.value.pointer
        if y.count >= weights.count {
            let folded = Tensor(uninitialized: weights.shape), bias = Tensor(uninitialized: [O])
            let perChannel = weights.count / O
            for o in 0..<O {
                let (src, dst, s) = (weights.pointer + o * perChannel, folded.pointer + o * perChannel, scale[o])
                for i in 0..<perChannel { dst[i] = src[i] * s }
                bias.pointer[o] = (convBias?[o] ?? 0) * s + shift[o]
            }
            ConvKernels.forward(x: x.pointer, w: folded.pointer, bias: bias.pointer, y: y.pointer, g)
            if let relu { affineClamp(y, channels: O, plane: plane, scale: nil, shift: nil, cap: relu.cap) }
        } else {
            ConvKernels.forward(x: x.pointer, w: weights.pointer, bias: convBias, y: y.pointer, g)
            affineClamp(y, channels: O, plane: plane, scale: scale, shift: shift, clamps: relu != nil, cap: relu?.cap)
        }
        return y
    }

    /// In place over y [N, O, plane]: v·scale[o] + shift[o] (when given), then ReLU's clamp (when `clamps`),
    /// the same expression as `ReLU.forward` (NaN becomes 0).
    static func affineClamp(_ y: Tensor, channels: Int, plane: Int, scale: [Float]?, shift: [Float]?,
                            clamps: Bool = true, cap: Float?) {
        let hi = cap ?? .infinity
        let yp = UncheckedSendable(y.pointer)
        let affine = scale.map { s in UncheckedSendable((s, shift!)) }
        parallelFor(y.count / Swift.max(plane, 1), minPerThread: Swift.max(1, 65_536 / Swift.max(plane, 1))) { rows in
            for row in rows {
                let p = yp.value + row * plane
                if let affine {
                    let (a, b) = (affine.value.0[row % channels], affine.value.1[row % channels])
                    if clamps {
                        for i in 0..<plane { let v = p[i] * a + b; p[i] = v > 0 ? (v < hi ? v : hi) : 0 }
                    } else {
                        for i in 0..<plane { p[i] = p[i] * a + b }
                    }
                } else {
                    for i in 0..<plane { let v = p[i]; p[i] = v > 0 ? (v < hi ? v : hi) : 0 }
                }
            }
        }
    }
}
