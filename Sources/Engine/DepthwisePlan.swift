import CKernels

/// The layout arithmetic of `DepthwiseConv` for one geometry, worked out once per call, and the plane copies.
///
/// Forward side: an input plane is zero-padded (padTop/Bottom/Left/Right) and split into its sH·sW
/// stride phases, phase (a, b)[i, j] = padded[i·sH + a, j·sW + b], each [Hq, Wq] in a block of
/// `phaseSize` floats. Kernel position (ki, kj) then reads phase (ki·dH mod sH, kj·dW mod sW) at the
/// constant offset ⌊ki·dH/sH⌋·Wq + ⌊kj·dW/sW⌋ from output (oy, ox) = (0, 0): every tap is contiguous
/// in ox and never falls outside the buffer, so the inner loops need no padding checks.
/// Backward-data side: dx's padded plane, phase by phase, is a sum of shifted dy planes; dy is padded
/// by A = ⌊(kH−1)·dH/sH⌋ rows above and B = ⌊(kW−1)·dW/sW⌋ columns left into [Hd, Wd] so those shifts
/// are non-negative offsets too. Small maps (rows narrower than `flatBelow`) run as one flat grid
/// of width Wq (or Wd) whose extra columns are discarded, instead of many short rows.
struct DepthwisePlan {
    let g: ConvGeometry
    /// Filters per input channel (O / C) and kernel positions (kH·kW).
    let m: Int, kk: Int
    let hq: Int, wq: Int, phaseSize: Int
    /// Per kernel position t = ki·kW + kj: its input phase a·sW + b, and where its reads start in the phase blocks
    /// (phase·phaseSize + offset within the phase).
    let tapPhase: [Int], tapSource: [Int]
    /// Output rows shorter than this are computed on the flat [OH, Wq] grid and cropped.
    static let flatBelow = 32
    let flat: Bool
    let hd: Int, wd: Int, dyPadSize: Int, dyTop: Int, dyLeft: Int
    /// Per kernel position: offset of its dy read within a padded dy plane, from dx phase position (0, 0).
    let dataOffset: [Int]
    /// Stride 1 with wide rows: backward-data writes dx rows directly (no phase grid).
    let dxDirect: Bool

    init(_ g: ConvGeometry) {
        self.g = g
        m = g.outChannels / g.inChannels
        kk = g.kernelH * g.kernelW
        let (sH, sW) = (g.strideH, g.strideW)
        hq = (g.height + g.padTop + g.padBottom + sH - 1) / sH
        wq = (g.width + g.padLeft + g.padRight + sW - 1) / sW
        var phase: [Int] = [], offset: [Int] = [], data: [Int] = []
        let top = (g.kernelH - 1) * g.dilationH / sH, left = (g.kernelW - 1) * g.dilationW / sW
        dyTop = top; dyLeft = left
        wd = wq + left; hd = hq + top
        for ki in 0..<g.kernelH {
            for kj in 0..<g.kernelW {
                let (alpha, beta) = (ki * g.dilationH / sH, kj * g.dilationW / sW)
                phase.append((ki * g.dilationH % sH) * sW + kj * g.dilationW % sW)
                offset.append(alpha * wq + beta)
                data.append((top - alpha) * wd + left - beta)
            }
        }
        tapPhase = phase; dataOffset = data
        // Flat runs read up to (last output + largest offset); keep that inside the (zeroed) block.
        let phaseSize = Swift.max(hq * wq, g.outHeight * wq + (offset.max() ?? 0)) + 8
        self.phaseSize = phaseSize
        tapSource = zip(phase, offset).map { $0 * phaseSize + $1 }
        dyPadSize = hd * wd + left + 8
        flat = g.outWidth < Self.flatBelow
        dxDirect = sH == 1 && sW == 1 && g.width >= Self.flatBelow
    }

    /// Runs `body` with this plan in the C kernels' form (valid only inside `body`).
    func withKernelPlan<R>(_ body: (UnsafePointer<GBDepthwisePlan>) -> R) -> R {
        tapSource.withUnsafeBufferPointer { sources in
            var plan = GBDepthwisePlan(height: g.height, width: g.width, strideH: g.strideH, strideW: g.strideW,
                                       padTop: g.padTop, padLeft: g.padLeft, wq: wq, phaseSize: phaseSize,
                                       outHeight: g.outHeight, outWidth: g.outWidth, channels: g.inChannels, multiplier: m,
                                       taps: kk, flat: flat ? 1 : 0, tapSource: sources.baseAddress)
            return withUnsafePointer(to: &plan) { body($0) }
        }
    }

    /// Copies dy plane [OH, OW] into a padded dy block [Hd, Wd] at (dyTop, dyLeft); the rest stays zero.
    func padOutputGradient(_ dy: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>) {
        copyRows(dy, ld: g.outWidth, into: out + dyTop * wd + dyLeft, ld: wd, rows: g.outHeight, cols: g.outWidth)
    }

    /// The inverse placement of the dx phase grids `phases` (sH·sW blocks of Hq·Wd, rows of Wd) into dx [H, W].
    func mergeInputGradient(_ phases: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>) {
        let (H, W, sH, sW) = (g.height, g.width, g.strideH, g.strideW)
        for iy in 0..<H {
            let row = iy + g.padTop, dst = dx + iy * W
            let rowBase = phases + (row % sH) * sW * hq * wd + (row / sH) * wd
            if sW == 1 { dst.update(from: rowBase + g.padLeft, count: W); continue }
            for b in 0..<sW {
                let ix0 = ((b - g.padLeft) % sW + sW) % sW
                let src = rowBase + b * hq * wd + (ix0 + g.padLeft) / sW
                var ix = ix0, j = 0
                while ix < W { dst[ix] = src[j]; ix += sW; j += 1 }
            }
        }
    }

    /// dst[r·ldd + j] = src[r·lds + j] for r < rows, j < cols.
    func copyRows(_ src: UnsafePointer<Float>, ld lds: Int, into dst: UnsafeMutablePointer<Float>, ld ldd: Int, rows: Int, cols: Int) {
        for r in 0..<rows { (dst + r * ldd).update(from: src + r * lds, count: cols) }
    }

    /// A zero-filled scratch buffer (freed by the caller with `deallocate`).
    static func zeroed(_ count: Int) -> UnsafeMutablePointer<Float> {
        let p = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(count, 1))
        p.initialize(repeating: 0, count: Swift.max(count, 1))
        return p
    }
}
