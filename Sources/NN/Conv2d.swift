import Engine

/// 2-D convolution over NCHW input (`ConvKernels`: direct depthwise, 1×1 straight on GEMM, else im2col + GEMM).
///
/// Shapes: x [N, C, H, W] → y [N, O, OH, OW]; weight [O, C/groups, kH, kW]; bias [O].
/// Padding may be asymmetric (`Padding.same` gives TensorFlow's "SAME"); groups == C is depthwise.
public final class Conv2d: Layer {
    /// How the input is padded.
    public enum Padding: Equatable, Sendable {
        /// Explicit (top, bottom, left, right).
        case explicit(top: Int, bottom: Int, left: Int, right: Int)
        /// TensorFlow "SAME": out = ceil(in / stride), extra padding at the bottom/right.
        case same
        public static func symmetric(_ p: Int) -> Padding { .explicit(top: p, bottom: p, left: p, right: p) }
    }

    public let inChannels: Int, outChannels: Int
    public let kernel: (Int, Int), stride: (Int, Int), dilation: (Int, Int)
    public let padding: Padding
    public let groups: Int
    public let weight: Parameter
    public let bias: Parameter?
    public var isTraining = true
    public var needsInputGradient = true
    private var input: Tensor?
    private var geometry: ConvGeometry?
    private var columns: Tensor?
    /// Largest im2col cache (floats) a layer keeps from forward for backward; above it, backward recomputes.
    nonisolated(unsafe) public static var columnCacheLimit = 48 * 1024 * 1024

    public init(_ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, padding: Padding = .symmetric(0),
                dilation: Int = 1, groups: Int = 1, bias: Bool = true, weightInit: Init = .kaimingUniformDefault, rng: inout RNG) {
        precondition(inChannels % groups == 0 && outChannels % groups == 0,
                     "Conv2d: channels \(inChannels)→\(outChannels) not divisible by groups \(groups)")
        self.inChannels = inChannels; self.outChannels = outChannels
        self.kernel = (kernel, kernel); self.stride = (stride, stride); self.dilation = (dilation, dilation)
        self.padding = padding; self.groups = groups
        let w = Tensor(uninitialized: [outChannels, inChannels / groups, kernel, kernel])
        weightInit.fill(w, rng: &rng)
        weight = Parameter(w)
        if bias {
            let b = Tensor(uninitialized: [outChannels])
            let bound = 1 / Float(Init.fans(w.shape).0).squareRoot()
            for i in 0..<outChannels { b.pointer[i] = (2 * rng.uniform() - 1) * bound }
            self.bias = Parameter(b)
        } else { self.bias = nil }
    }

    /// A convolution with the given weight [O, C/groups, kH, kW] and optional bias [O] (square kernels).
    public init(weight: Tensor, bias: Tensor?, stride: Int = 1, padding: Padding = .symmetric(0), dilation: Int = 1, groups: Int = 1) {
        precondition(weight.shape.count == 4 && weight.shape[2] == weight.shape[3], "Conv2d: weight must be [O, C/groups, k, k], got \(weight.shape)")
        outChannels = weight.shape[0]; inChannels = weight.shape[1] * groups
        if let bias { precondition(bias.shape == [outChannels], "Conv2d: bias must be [\(outChannels)], got \(bias.shape)") }
        kernel = (weight.shape[2], weight.shape[3]); self.stride = (stride, stride); self.dilation = (dilation, dilation)
        self.padding = padding; self.groups = groups
        self.weight = Parameter(weight)
        self.bias = bias.map(Parameter.init)
    }

    public var localParameters: [(String, Parameter)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    public var summary: String {
        var s = "Conv2d(\(inChannels)→\(outChannels), k\(kernel.0)"
        if stride.0 != 1 { s += ", s\(stride.0)" }
        switch padding {
        case .same: s += ", SAME"
        case let .explicit(t, b, l, r): if t == b && l == r && t == l { if t > 0 { s += ", p\(t)" } } else { s += ", p(\(t),\(b),\(l),\(r))" }
        }
        if dilation.0 != 1 { s += ", d\(dilation.0)" }
        if groups != 1 { s += ", g\(groups)" }
        return s + (bias == nil ? ", no bias)" : ")")
    }

    /// The geometry for an input of shape [N, C, H, W].
    public func geometry(for shape: [Int]) -> ConvGeometry {
        checkShape(shape.count == 4 && shape[1] == inChannels, summary, expected: "[N, \(inChannels), H, W]", actual: shape)
        let pad: (top: Int, bottom: Int, left: Int, right: Int)
        switch padding {
        case let .explicit(t, b, l, r): pad = (t, b, l, r)
        case .same:
            let (t, b) = ConvGeometry.samePadding(input: shape[2], kernel: kernel.0, stride: stride.0, dilation: dilation.0)
            let (l, r) = ConvGeometry.samePadding(input: shape[3], kernel: kernel.1, stride: stride.1, dilation: dilation.1)
            pad = (t, b, l, r)
        }
        let g = ConvGeometry(batch: shape[0], inChannels: inChannels, height: shape[2], width: shape[3], outChannels: outChannels,
                             kernel: kernel, stride: stride, padding: pad, dilation: dilation, groups: groups)
        checkShape(g.outHeight > 0 && g.outWidth > 0, summary, expected: "spatial size large enough for the kernel", actual: shape)
        return g
    }

    public func forward(_ x: Tensor) -> Tensor {
        let g = geometry(for: x.shape)
        let y = Tensor(uninitialized: [g.batch, outChannels, g.outHeight, g.outWidth])
        // In training, keep the im2col matrices for backward when they fit the budget (the fast paths need none).
        let size = ConvKernels.columnBufferSize(g)
        columns = isTraining && weight.trainable && size > 0 && size <= Self.columnCacheLimit ? Tensor(uninitialized: [size]) : nil
        ConvKernels.forward(x: x.pointer, w: weight.value.pointer, bias: bias?.value.pointer, y: y.pointer, g, columns: columns?.pointer)
        if isTraining { input = x; geometry = g }
        return y
    }

    /// The channel block of `forwardBlocked`'s output for an input of this shape, or nil where that path does not apply
    /// (not on oneDNN in both directions, or oneDNN keeps the output plain).
    public func channelBlock(for shape: [Int]) -> Int? {
        guard shape.count == 4, shape[1] == inChannels else { return nil }
        return ConvKernels.channelBlock(geometry(for: shape))
    }

    /// `forward` with the output as oneDNN's kernels wrote it, channel-blocked, for a max pool that reads it so
    /// (`Sequential`'s conv → ReLU → pool stage); nil, having run nothing, where `channelBlock(for:)` is nil.
    public func forwardBlocked(_ x: Tensor) -> ChannelBlocked? {
        let g = geometry(for: x.shape)
        guard let y = ConvKernels.forwardBlocked(x: x.pointer, w: weight.value.pointer, bias: bias?.value.pointer, g) else { return nil }
        columns = nil
        if isTraining { input = x; geometry = g }
        return y
    }

    /// `backward` from a gradient in the layout of `forwardBlocked`'s output.
    public func backward(blocked dy: ChannelBlocked) -> Tensor {
        guard let x = input, let g = geometry else { preconditionFailure("\(summary): backward without a training forward") }
        let dx = needsInputGradient ? Tensor(uninitialized: x.shape) : nil
        ConvKernels.backwardBlocked(x: x.pointer, w: weight.value.pointer, dy: dy, dx: dx?.pointer,
                                    dw: weight.trainable ? weight.grad.pointer : nil,
                                    dbias: (bias?.trainable ?? false) ? bias!.grad.pointer : nil, g)
        input = nil
        return dx ?? Tensor(zeros: [0])
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let x = input, let g = geometry else { preconditionFailure("\(summary): backward without a training forward") }
        checkShape(dy.shape == [g.batch, outChannels, g.outHeight, g.outWidth], summary + " backward",
                   expected: "\([g.batch, outChannels, g.outHeight, g.outWidth])", actual: dy.shape)
        let dx = needsInputGradient ? Tensor(uninitialized: x.shape) : nil
        ConvKernels.backward(x: x.pointer, w: weight.value.pointer, dy: dy.pointer, dx: dx?.pointer,
                             dw: weight.trainable ? weight.grad.pointer : nil,
                             dbias: (bias?.trainable ?? false) ? bias!.grad.pointer : nil, g, columns: columns?.pointer)
        input = nil
        columns = nil
        return dx ?? Tensor(zeros: [0])
    }
}
