import CKernels

/// 1×1 convolution straight on GEMM: no im2col, no column cache.
///
/// x: [N, C, H, W], w: [O, C/groups, 1, 1] (per group a [Og, Cg] matrix), bias: [O], y: [N, O, OH, OW];
/// no padding. At stride 1 an image's channels already are the GEMM operand [C, H·W]:
/// y[n] = W·x[n], dx[n] = Wᵀ·dy[n], dw += dy[n]·x[n]ᵀ. A strided 1×1 (ResNet downsample) first
/// subsamples x into a contiguous [C, OH·OW] block (and scatters dx back). Small images (below
/// `ownGEMMColumns` pixels) share one GEMM through gathered [C, cnt·OH·OW] blocks. Batch slicing as in
/// `ConvKernels`: one slice per worker, OpenBLAS at 1 thread inside, private weight gradients summed in worker order.
/// The naive reference is `ConvReference`.
public enum PointwiseConv {
    /// Whether `g` is a 1×1 convolution without padding (any stride, dilation or groups).
    public static func supports(_ g: ConvGeometry) -> Bool {
        g.kernelH == 1 && g.kernelW == 1 && g.padTop == 0 && g.padBottom == 0 && g.padLeft == 0 && g.padRight == 0
    }

    /// Images with at least this many output pixels get a GEMM of their own, on x itself; smaller ones are
    /// gathered side by side up to `ConvKernels.targetColumns`. Measured here (EfficientNet 1×1 layers, batch 16,
    /// 1 thread): per-image GEMMs won at 28² (forward 2.5 vs 3.8 ms for 24→144), tied at 14², lost at 7² and 4².
    static let ownGEMMColumns = 256

    /// Images per GEMM: 1 from `ownGEMMColumns` pixels; below, as many as fill `ConvKernels.targetColumns` while the
    /// gathered input block [C, cnt·OH·OW] and the output block [O, cnt·OH·OW] each fit one core's L2, so the copy out
    /// of the output block reads it from cache. EfficientNet-Lite0 112 px, batch 32, 1 thread, inference: its 4×4 layers
    /// of 1152 channels had 2.4 MB output blocks against a 1 MiB L2 (AMD EPYC; +4 % capped at AVX2, +2.6 % uncapped).
    static func chunkSize(_ g: ConvGeometry, slice: Int) -> Int {
        let pixels = g.outHeight * g.outWidth
        guard pixels < ownGEMMColumns else { return 1 }
        let fitting = ConvKernels.l2Floats / Swift.max(1, Swift.max(g.inChannels, g.outChannels) * pixels)
        return Swift.max(1, Swift.min(ConvKernels.chunkSize(g, slice: slice), fitting))
    }

    static func isStrided(_ g: ConvGeometry) -> Bool { g.strideH != 1 || g.strideW != 1 }

    /// y = relu(conv1×1(x, w) + bias): bias, activation (none without `relu`) and, for gathered images, the copy out of
    /// the shared block in one pass per image.
    // x: [N,C,H,W], w: [O,C/groups,1,1], bias: [O], y: [N,O,OH,OW]
    public static func forward(x: UnsafePointer<Float>, w: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                               y: UnsafeMutablePointer<Float>, _ g: ConvGeometry, relu: FusedReLU? = nil) {
        let (C, HW, O, OHW) = (g.inChannels, g.height * g.width, g.outChannels, g.outHeight * g.outWidth)
        ConvKernels.forEachSlice(g.batch) { _, slice in
            let chunk = chunkSize(g, slice: slice.count)
            let direct = chunk == 1 && !isStrided(g)
            let xBlock = direct ? nil : Tensor(uninitialized: [C, chunk * OHW])
            let yBlock = chunk > 1 ? Tensor(uninitialized: [O, chunk * OHW]) : nil
            var b0 = slice.lowerBound
            while b0 < slice.upperBound {
                let cnt = Swift.min(chunk, slice.upperBound - b0)
                let ld = cnt * OHW
                let (xp, ldx) = direct ? (x + b0 * C * HW, HW) : (UnsafePointer(xBlock!.pointer), ld)
                if !direct { for b in 0..<cnt { gather(x + (b0 + b) * C * HW, g, into: xBlock!.pointer + b * OHW, ld: ld) } }
                let (yp, ldy) = cnt == 1 ? (y + b0 * O * OHW, OHW) : (yBlock!.pointer, ld)
                multiply(w: w, xp, ldx, yp, ldy, columns: ld, g)
                if cnt > 1 || bias != nil || relu != nil {
                    FusedReLU.withKernelForm(relu) { relu in
                        for b in 0..<cnt {
                            gb_rows_bias_relu(yp + b * OHW, ldy, y + (b0 + b) * O * OHW, OHW, O, OHW, bias, relu)
                        }
                    }
                }
                b0 += cnt
            }
        }
    }

    /// Gradients of `forward`: dx overwritten (skip with nil), dw accumulated (skip with nil).
    /// The bias gradient is `ConvKernels.biasGradient`'s.
    // x: [N,C,H,W], w: [O,C/groups,1,1], dy: [N,O,OH,OW], dx: [N,C,H,W], dw: [O,C/groups,1,1]
    public static func backward(x: UnsafePointer<Float>, w: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                                dx: UnsafeMutablePointer<Float>?, dw: UnsafeMutablePointer<Float>?, _ g: ConvGeometry) {
        let (C, HW, O, OHW) = (g.inChannels, g.height * g.width, g.outChannels, g.outHeight * g.outWidth)
        let (Cg, Og) = (g.groupInChannels, g.groupOutChannels)
        let workers = Swift.min(Threads.available, g.batch)
        let privateDW: [Tensor?] = (0..<workers).map { $0 == 0 || dw == nil ? nil : Tensor(zeros: [O * Cg]) }
        ConvKernels.forEachSlice(g.batch) { worker, slice in
            let chunk = chunkSize(g, slice: slice.count)
            let direct = chunk == 1 && !isStrided(g)
            let dwTarget = worker == 0 ? dw : privateDW[worker]?.pointer
            let xBlock = direct || dwTarget == nil ? nil : Tensor(uninitialized: [C, chunk * OHW])
            let dyBlock = chunk > 1 ? Tensor(uninitialized: [O, chunk * OHW]) : nil
            let dxBlock = direct || dx == nil ? nil : Tensor(uninitialized: [C, chunk * OHW])
            var b0 = slice.lowerBound
            while b0 < slice.upperBound {
                let cnt = Swift.min(chunk, slice.upperBound - b0)
                let ld = cnt * OHW
                let (dyp, lddy) = cnt == 1 ? (dy + b0 * O * OHW, OHW) : (UnsafePointer(dyBlock!.pointer), ld)
                if cnt > 1 {
                    for b in 0..<cnt {
                        for o in 0..<O { (dyBlock!.pointer + o * ld + b * OHW).update(from: dy + ((b0 + b) * O + o) * OHW, count: OHW) }
                    }
                }
                if let dwTarget {
                    let (xp, ldx) = direct ? (x + b0 * C * HW, HW) : (UnsafePointer(xBlock!.pointer), ld)
                    if !direct { for b in 0..<cnt { gather(x + (b0 + b) * C * HW, g, into: xBlock!.pointer + b * OHW, ld: ld) } }
                    for gi in 0..<g.groups {   // dw_g += dy_g · x_gᵀ
                        GEMM.sgemm(transB: true, m: Og, n: Cg, k: ld, a: dyp + gi * Og * lddy, lda: lddy,
                                   b: xp + gi * Cg * ldx, ldb: ldx, beta: 1, c: dwTarget + gi * Og * Cg, ldc: Cg)
                    }
                }
                if let dx {
                    let (dxp, lddx) = direct ? (dx + b0 * C * HW, HW) : (dxBlock!.pointer, ld)
                    for gi in 0..<g.groups {   // dx_g = W_gᵀ · dy_g
                        GEMM.sgemm(transA: true, m: Cg, n: ld, k: Og, a: w + gi * Og * Cg, lda: Cg,
                                   b: dyp + gi * Og * lddy, ldb: lddy, c: dxp + gi * Cg * lddx, ldc: lddx)
                    }
                    if !direct { for b in 0..<cnt { scatter(UnsafePointer(dxp) + b * OHW, ld: ld, g, into: dx + (b0 + b) * C * HW) } }
                }
                b0 += cnt
            }
        }
        if let dw {
            for wi in 1..<Swift.max(workers, 1) { if let p = privateDW[wi] { axpy(O * Cg, 1, p.pointer, dw) } }
        }
    }

    /// Per group: y_g [Og, columns] = W_g [Og, Cg] · x_g [Cg, columns].
    static func multiply(w: UnsafePointer<Float>, _ xp: UnsafePointer<Float>, _ ldx: Int,
                         _ yp: UnsafeMutablePointer<Float>, _ ldy: Int, columns: Int, _ g: ConvGeometry) {
        let (Cg, Og) = (g.groupInChannels, g.groupOutChannels)
        for gi in 0..<g.groups {
            GEMM.sgemm(m: Og, n: columns, k: Cg, a: w + gi * Og * Cg, lda: Cg, b: xp + gi * Cg * ldx, ldb: ldx,
                       c: yp + gi * Og * ldy, ldc: ldy)
        }
    }

    /// One image's input at the output positions: block[c, oy·OW + ox] = x[c, oy·sH, ox·sW].
    // x: [C,H,W] (one image), block: [C, ld] (this image's OH·OW columns at its start)
    static func gather(_ x: UnsafePointer<Float>, _ g: ConvGeometry, into block: UnsafeMutablePointer<Float>, ld: Int) {
        let (H, W, OH, OW, sH, sW) = (g.height, g.width, g.outHeight, g.outWidth, g.strideH, g.strideW)
        for c in 0..<g.inChannels {
            let src = x + c * H * W, dst = block + c * ld
            if !isStrided(g) { dst.update(from: src, count: H * W); continue }
            for oy in 0..<OH {
                let s = src + oy * sH * W, d = dst + oy * OW
                for ox in 0..<OW { d[ox] = s[ox * sW] }
            }
        }
    }

    /// The adjoint of `gather` for one image: dx = 0 except dx[c, oy·sH, ox·sW] = block[c, oy·OW + ox].
    // block: [C, ld], dx: [C,H,W] (one image, overwritten)
    static func scatter(_ block: UnsafePointer<Float>, ld: Int, _ g: ConvGeometry, into dx: UnsafeMutablePointer<Float>) {
        let (H, W, OH, OW, sH, sW) = (g.height, g.width, g.outHeight, g.outWidth, g.strideH, g.strideW)
        for c in 0..<g.inChannels {
            let src = block + c * ld, dst = dx + c * H * W
            if !isStrided(g) { dst.update(from: src, count: H * W); continue }
            dst.update(repeating: 0, count: H * W)
            for oy in 0..<OH {
                let s = src + oy * OW, d = dst + oy * sH * W
                for ox in 0..<OW { d[ox * sW] = s[ox] }
            }
        }
    }
}
