import Engine

/// Inference of Conv2d → BatchNorm (running statistics) → optional ReLU/ReLU6 as one convolution and at most one
/// pass over its output, instead of three layers each writing a new tensor. `Sequential` uses it in evaluation mode.
///
/// Shapes: x [N, C, H, W] → y [N, O, OH, OW]. Batch norm at inference is y·scale[o] + shift[o]; where the output is
/// at least as large as the weights, that affine map is folded into a scaled copy of the weights and the bias (one pass
/// over the weights instead of one over the output) and the convolution applies the clamp as it stores (`FusedReLU`);
/// otherwise both are applied in place after the convolution. Results match the three layers run one by one up to
/// float rounding of the folded weights.
enum ConvBatchNormInference {
    /// Whether `conv`, `bn` (and `relu`) can run fused: all in evaluation mode, channels matching.
    static func applies(_ conv: Conv2d, _ bn: BatchNorm, _ relu: ReLU?) -> Bool {
        !conv.isTraining && !bn.isTraining && !(relu?.isTraining ?? false) && bn.channels == conv.outChannels
    }

    static func forward(_ conv: Conv2d, _ bn: BatchNorm, _ relu: ReLU?, _ x: Tensor) -> Tensor {
        let g = conv.geometry(for: x.shape)
        let O = conv.outChannels
        let affine = bn.inferenceScaleShift()
        let y = Tensor(uninitialized: [g.batch, O, g.outHeight, g.outWidth])
        let weights = conv.weight.value
        let convBias = conv.bias?.value.pointer
        if y.count >= weights.count {
            let folded = Tensor(uninitialized: weights.shape), bias = Tensor(uninitialized: [O])
            let perChannel = weights.count / O
            for o in 0..<O {
                let (src, dst, s) = (weights.pointer + o * perChannel, folded.pointer + o * perChannel, affine.scale[o])
                for i in 0..<perChannel { dst[i] = src[i] * s }
                bias.pointer[o] = (convBias?[o] ?? 0) * s + affine.shift[o]
            }
            ConvKernels.forward(x: x.pointer, w: folded.pointer, bias: bias.pointer, y: y.pointer, g,
                                relu: relu.map { FusedReLU(cap: $0.cap ?? .infinity) })
        } else {
            ConvKernels.forward(x: x.pointer, w: weights.pointer, bias: convBias, y: y.pointer, g)
            inPlace(y, affine: affine, relu: relu)
        }
        return y
    }

    /// In place over y [N, O, OH, OW]: v·scale[o] + shift[o], then `relu`'s clamp (when given).
    static func inPlace(_ y: Tensor, affine: (scale: [Float], shift: [Float]), relu: ReLU?) {
        let (channels, plane) = (y.shape[1], y.shape[2] * y.shape[3])
        let hi = relu?.cap ?? .infinity, clamps = relu != nil
        let yp = UncheckedSendable(y.pointer), map = UncheckedSendable(affine)
        parallelFor(y.count / Swift.max(plane, 1), minPerThread: Swift.max(1, 65_536 / Swift.max(plane, 1))) { rows in
            for row in rows {
                let p = yp.value + row * plane
                let (a, b) = (map.value.scale[row % channels], map.value.shift[row % channels])
                if clamps {
                    for i in 0..<plane { p[i] = ReLU.clamp(p[i] * a + b, cap: hi) }
                } else {
                    for i in 0..<plane { p[i] = p[i] * a + b }
                }
            }
        }
    }
}
