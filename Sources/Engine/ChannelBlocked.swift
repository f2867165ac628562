/// An activation in oneDNN's channel-blocked layout: `data` holds [N, C/block, H, W, block] floats for the logical
/// NCHW `shape` (block 8 or 16, dividing C), as a convolution's kernels write it.
///
/// It passes between a convolution and the max pool after it (`Sequential`'s conv → ReLU → pool stage) so that
/// neither direction reorders between them: the pool reads the convolution's output as written and writes its
/// gradient in the layout the convolution's backward reads. MiniAlexNet's conv2 and conv3 at batch 32 (AMD EPYC,
/// AVX-512, 1 thread) spent 0.45 ms of a 13 ms training step in those four reorders.
public struct ChannelBlocked {
    public let data: Tensor
    public let shape: [Int]
    public let block: Int

    public init(data: Tensor, shape: [Int], block: Int) {
        precondition(shape.count == 4 && (block == 8 || block == 16) && shape[1] % block == 0 && data.count == shape.reduce(1, *),
                     "ChannelBlocked: \(data.count) floats as \(shape) in blocks of \(block)")
        self.data = data; self.shape = shape; self.block = block
    }

    /// The same values in plain NCHW (tests, and any consumer without a blocked path).
    public func plain() -> Tensor {
        let out = Tensor(uninitialized: shape)
        Self.eachPlane(shape, block: block) { plain, blocked, pixels in
            for p in 0..<pixels { out.pointer[plain + p] = data.pointer[blocked + p * block] }
        }
        return out
    }

    /// Plain NCHW `x` in blocks of `block` (tests).
    public init(blocking x: Tensor, block: Int) {
        let data = Tensor(uninitialized: x.shape)
        Self.eachPlane(x.shape, block: block) { plain, blocked, pixels in
            for p in 0..<pixels { data.pointer[blocked + p * block] = x.pointer[plain + p] }
        }
        self.init(data: data, shape: x.shape, block: block)
    }

    /// `body(plain, blocked, pixels)` for every channel plane of an NCHW `shape`: where the plane starts in the plain
    /// layout and in the blocked one (its pixels `block` floats apart there).
    private static func eachPlane(_ shape: [Int], block: Int, _ body: (Int, Int, Int) -> Void) {
        let (c, hw) = (shape[1], shape[2] * shape[3])
        for b in 0..<shape[0] {
            for ch in 0..<c { body((b * c + ch) * hw, (b * c + ch / block * block) * hw + ch % block, hw) }
        }
    }
}

extension ConvKernels {
    /// The channel block `forwardBlocked` writes for `g`, or nil where the convolution does not run on oneDNN in both
    /// directions with a channel-blocked output (then the plain `forward` and `backward` apply).
    public static func channelBlock(_ g: ConvGeometry) -> Int? {
        path(for: g) == .onednn && backwardPath(for: g) == .onednn ? OneDNNConv.channelBlock(g) : nil
    }

    /// `forward` with y [N, O/B, OH, OW, B] as oneDNN wrote it (B = `channelBlock(g)`), or nil, having run nothing,
    /// where `g` has no such path.
    public static func forwardBlocked(x: UnsafePointer<Float>, w: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                                      _ g: ConvGeometry) -> ChannelBlocked? {
        guard let block = channelBlock(g) else { return nil }
        FLOPCounter.add(multiplyAdds: multiplyAdds(g))
        let y = Tensor(uninitialized: [g.batch, g.outChannels, g.outHeight, g.outWidth])
        OneDNNConv.forward(x: x, w: w, bias: bias, y: y.pointer, g, blocked: true)
        return ChannelBlocked(data: y, shape: y.shape, block: block)
    }

    /// `backward` from dy in the layout `forwardBlocked` wrote y in.
    public static func backwardBlocked(x: UnsafePointer<Float>, w: UnsafePointer<Float>, dy: ChannelBlocked,
                                       dx: UnsafeMutablePointer<Float>?, dw: UnsafeMutablePointer<Float>?,
                                       dbias: UnsafeMutablePointer<Float>?, _ g: ConvGeometry) {
        precondition(dy.shape == [g.batch, g.outChannels, g.outHeight, g.outWidth] && dy.block == channelBlock(g),
                     "ConvKernels.backwardBlocked: dy \(dy.shape) in blocks of \(dy.block) for \(g)")
        FLOPCounter.add(multiplyAdds: multiplyAdds(g) * ((dx == nil ? 0 : 1) + (dw == nil ? 0 : 1)))
        if dx != nil || dw != nil { OneDNNConv.backward(x: x, w: w, dy: dy.data.pointer, dx: dx, dw: dw, g, dyBlocked: true) }
        if let dbias { blockedBiasGradient(dy, dbias: dbias) }
    }

    /// dbias[c] += Σ over images and pixels of dy's channel c: one vector of B channels per pixel, each image's pixels
    /// in four interleaved sums, the images' sums added in double. The gradient of a bias is often a small sum of
    /// large terms of both signs: one long float sum per channel rounded MiniAlexNet's conv3 bias gradient (4×4 maps,
    /// batch 8) far enough from the plain path's per-plane sums to move its momentum by 0.6 % in 16 steps.
    static func blockedBiasGradient(_ dy: ChannelBlocked, dbias: UnsafeMutablePointer<Float>) {
        let (n, blocks, hw) = (dy.shape[0], dy.shape[1] / dy.block, dy.shape[2] * dy.shape[3])
        func sums<V: SIMD>(_: V.Type) where V.Scalar == Float {
            let lanes = V.scalarCount
            var total = [Double](repeating: 0, count: lanes)
            for cb in 0..<blocks {
                for l in 0..<lanes { total[l] = 0 }
                for b in 0..<n {
                    let p = UnsafeRawPointer(dy.data.pointer + (b * blocks + cb) * hw * lanes)
                    func at(_ i: Int) -> V { p.loadUnaligned(fromByteOffset: i * lanes * 4, as: V.self) }
                    var (s0, s1, s2, s3) = (V(), V(), V(), V())
                    var i = 0
                    while i + 4 <= hw { s0 += at(i); s1 += at(i + 1); s2 += at(i + 2); s3 += at(i + 3); i += 4 }
                    while i < hw { s0 += at(i); i += 1 }
                    let image = (s0 + s1) + (s2 + s3)
                    for l in 0..<lanes { total[l] += Double(image[l]) }
                }
                for l in 0..<lanes { dbias[cb * lanes + l] += Float(total[l]) }
            }
        }
        if dy.block == 16 { sums(SIMD16<Float>.self) } else { sums(SIMD8<Float>.self) }
    }
}
