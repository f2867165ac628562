import Engine

/// Max pooling over NCHW windows. Shapes: x [N, C, H, W] → y [N, C, OH, OW].
/// Padding positions never win (as PyTorch's implicit −∞ padding). Backward routes each
/// gradient to the arg-max recorded in forward (first maximum on ties).
public final class MaxPool2d: ModeIndependentLayer {
    public let kernel: Int, stride: Int, padding: Int
    public var isTraining = true
    public var needsInputGradient = true
    private var argmax: [Int32] = []
    private var inputShape: [Int] = []
    /// The channel block of the last training forward's input when it was channel-blocked (its arg-max is in that order).
    private var inputBlock: Int?

    public init(kernel: Int, stride: Int? = nil, padding: Int = 0) {
        self.kernel = kernel; self.stride = stride ?? kernel; self.padding = padding
    }
    public var summary: String { "MaxPool2d(k\(kernel), s\(stride)\(padding > 0 ? ", p\(padding)" : ""))" }

    func geometry(_ s: [Int]) -> ConvGeometry {
        checkShape(s.count == 4, summary, expected: "[N, C, H, W]", actual: s)
        let g = ConvGeometry(batch: s[0], inChannels: s[1], height: s[2], width: s[3], outChannels: s[1],
                             kernel: (kernel, kernel), stride: (stride, stride), padding: (padding, padding, padding, padding))
        checkShape(g.outHeight > 0 && g.outWidth > 0, summary, expected: "spatial size ≥ kernel", actual: s)
        return g
    }

    public func forward(_ x: Tensor) -> Tensor { forward(x, relu: nil) }

    /// With `relu`: the pool of relu(x), for a ReLU just before this layer that then runs neither its forward nor its
    /// backward (`Sequential` fuses the pair); this layer's backward gives the gradient at the ReLU's input.
    public func forward(_ x: Tensor, relu: FusedReLU?) -> Tensor {
        pooled(x.shape, block: nil) { g, y, argmax in PoolKernels.maxForward(x: x.pointer, y: y, argmax: argmax, g, relu: relu) }
    }

    /// 2×2 windows at stride 2 without padding: the windows `forward(_:relu:)` also takes from a channel-blocked input.
    public var isPlain2x2: Bool { kernel == 2 && stride == 2 && padding == 0 }

    /// `forward(_:relu:)` of a channel-blocked input (a convolution's output as oneDNN wrote it), the output plain;
    /// its gradient comes back blocked from `backwardBlocked`. Needs `isPlain2x2`.
    public func forward(_ x: ChannelBlocked, relu: FusedReLU?) -> Tensor {
        precondition(isPlain2x2, "\(summary): a channel-blocked input needs 2×2 windows at stride 2 without padding")
        return pooled(x.shape, block: x.block) { _, y, argmax in PoolKernels.maxForwardBlocked(x, y: y, argmax: argmax, relu: relu) }
    }

    /// The output for an input of `shape`, written by `kernel` with an arg-max buffer in training (kept for backward,
    /// with the input's shape and channel block) and none at inference.
    private func pooled(_ shape: [Int], block: Int?,
                        _ kernel: (ConvGeometry, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Int32>?) -> Void) -> Tensor {
        let g = geometry(shape)
        let y = Tensor(uninitialized: [g.batch, g.inChannels, g.outHeight, g.outWidth])
        guard isTraining else {
            kernel(g, y.pointer, nil)
            return y
        }
        // Every entry is written by the kernel: no zero fill first.
        argmax = [Int32](unsafeUninitializedCapacity: y.count) { a, initialized in
            kernel(g, y.pointer, a.baseAddress!)
            initialized = y.count
        }
        (inputShape, inputBlock) = (shape, block)
        return y
    }

    /// The gradient of a `forward` of a channel-blocked input, in the input's layout.
    public func backwardBlocked(_ dy: Tensor) -> ChannelBlocked {
        guard let block = inputBlock else { preconditionFailure("\(summary): blocked backward after a plain forward") }
        checkShape(dy.count == argmax.count, summary + " backward", expected: "\(argmax.count) elements", actual: dy.shape)
        let dx = argmax.withUnsafeBufferPointer { a in
            PoolKernels.maxBackwardBlocked(dy: dy.pointer, argmax: a.baseAddress!, shape: inputShape, block: block)
        }
        argmax = []
        inputBlock = nil
        return dx
    }

    public func backward(_ dy: Tensor) -> Tensor {
        precondition(inputBlock == nil, "\(summary): plain backward after a channel-blocked forward")
        checkShape(dy.count == argmax.count, summary + " backward", expected: "\(argmax.count) elements", actual: dy.shape)
        let dx = Tensor(uninitialized: inputShape)
        argmax.withUnsafeBufferPointer { a in
            PoolKernels.maxBackward(dy: dy.pointer, argmax: a.baseAddress!, dx: dx.pointer, geometry(inputShape))
        }
        argmax = []
        return dx
    }
}

/// Average pooling (padding counted in the divisor, PyTorch's default). x [N, C, H, W] → [N, C, OH, OW].
public final class AvgPool2d: ModeIndependentLayer {
    public let kernel: Int, stride: Int, padding: Int
    public var isTraining = true
    public var needsInputGradient = true
    private var geometryCache: ConvGeometry?

    public init(kernel: Int, stride: Int? = nil, padding: Int = 0) {
        self.kernel = kernel; self.stride = stride ?? kernel; self.padding = padding
    }
    public var summary: String { "AvgPool2d(k\(kernel), s\(stride)\(padding > 0 ? ", p\(padding)" : ""))" }

    public func forward(_ x: Tensor) -> Tensor {
        checkShape(x.shape.count == 4, summary, expected: "[N, C, H, W]", actual: x.shape)
        let s = x.shape
        let g = ConvGeometry(batch: s[0], inChannels: s[1], height: s[2], width: s[3], outChannels: s[1],
                             kernel: (kernel, kernel), stride: (stride, stride), padding: (padding, padding, padding, padding))
        checkShape(g.outHeight > 0 && g.outWidth > 0, summary, expected: "spatial size ≥ kernel", actual: s)
        let y = Tensor(uninitialized: [g.batch, g.inChannels, g.outHeight, g.outWidth])
        PoolKernels.avgForward(x: x.pointer, y: y.pointer, g)
        geometryCache = g
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let g = geometryCache else { preconditionFailure("\(summary): backward without forward") }
        let dx = Tensor(zeros: [g.batch, g.inChannels, g.height, g.width])
        PoolKernels.avgBackward(dy: dy.pointer, dx: dx.pointer, g)
        return dx
    }
}

/// Global average pooling: x [N, C, H, W] → y [N, C].
public final class GlobalAvgPool: ModeIndependentLayer {
    public var isTraining = true
    public var needsInputGradient = true
    private var inputShape: [Int] = []
    public init() {}
    public var summary: String { "GlobalAvgPool" }

    public func forward(_ x: Tensor) -> Tensor {
        checkShape(x.shape.count == 4, summary, expected: "[N, C, H, W]", actual: x.shape)
        let planes = x.shape[0] * x.shape[1], hw = x.shape[2] * x.shape[3]
        let y = Tensor(uninitialized: [x.shape[0], x.shape[1]])
        let inv = 1 / Float(hw)
        for p in 0..<planes {
            y.pointer[p] = Reductions.sum(x.pointer + p * hw, hw) * inv
        }
        inputShape = x.shape
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor {
        let dx = Tensor(uninitialized: inputShape)
        let planes = inputShape[0] * inputShape[1], hw = inputShape[2] * inputShape[3]
        checkShape(dy.count == planes, summary + " backward", expected: "[\(inputShape[0]), \(inputShape[1])]", actual: dy.shape)
        let inv = 1 / Float(hw)
        for p in 0..<planes { (dx.pointer + p * hw).update(repeating: dy.pointer[p] * inv, count: hw) }
        return dx
    }
}
