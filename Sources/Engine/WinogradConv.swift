import CKernels

/// Winograd F(4×4, 3×3) convolution for the 3×3 stride-1 layers `OneDNNConv.prefersWinograd` names, on CPUs where
/// oneDNN has no Winograd kernel (oneDNN 2.6 has them for AVX-512 only): 36 multiplies per 4×4 output tile instead of
/// 144, in 36 GEMMs through the GEMM seam, with the transforms in C (`winograd_f43.c`, built per instruction set).
///
/// Shapes: x [N, C, H, W], w [O, C, 3, 3], bias [O], y [N, O, OH, OW]; tiles of 4×4 outputs, tilesH = ⌈OH/4⌉ by
/// tilesW = ⌈OW/4⌉ an image, T of them in a chunk of images. U [36, C, O] = G w Gᵀ (once a call), V [36, T, C] =
/// Bᵀ d B over each tile's 6×6 input window, M_ξ = V_ξ · U_ξ ([T, C]·[C, O], ξ < 36), y = Aᵀ M A per tile. Channels
/// are the innermost index of V and M, so the transforms work on eight channels a vector.
/// The input gradient is the same algorithm on dy with the kernel rotated 180° and its channels swapped (padding
/// 2 − p on each side); the weight gradient is oneDNN's direct kernel (im2col without oneDNN). Batch slices per
/// worker as in `ConvKernels`. Rounding: ~1e-6 of the outputs' magnitude more than a direct sum (the transforms
/// scale by up to 8 and divide by 24), and an image's rounding depends on which images share its GEMMs (oneDNN's and
/// OpenBLAS's sums both change with the matrix sizes): a given thread count repeats its bits, another batch split
/// agrees to rounding. The naive reference is `ConvReference`.
public enum WinogradConv {
    /// Whether this kernel runs the layers `OneDNNConv.prefersWinograd` names (by default where oneDNN runs none).
    nonisolated(unsafe) public static var replacesOneDNN = !OneDNNRuntime.usesAVX512

    /// 3×3, stride 1, undilated, ungrouped, padding ≤ 2 on each side (so the input gradient is a padded 3×3
    /// convolution too), at least 8 channels in and out (fewer make 36 GEMMs too thin to pay).
    public static func supports(_ g: ConvGeometry) -> Bool {
        g.kernelH == 3 && g.kernelW == 3 && g.strideH == 1 && g.strideW == 1 && g.dilationH == 1 && g.dilationW == 1
            && g.groups == 1 && g.inChannels >= 8 && g.outChannels >= 8
            && [g.padTop, g.padBottom, g.padLeft, g.padRight].allSatisfy { (0...2).contains($0) }
    }

    /// Whether the seam takes this kernel for `g`.
    static func isChosen(_ g: ConvGeometry) -> Bool {
        replacesOneDNN && supports(g) && OneDNNConv.prefersWinograd(g)
    }

    /// Tiles of a chunk of images aimed for: V and M stay a few MB (ResNet-18 at 224 px: 2 images of 14×14 tiles).
    static let chunkTiles = 512

    /// y = conv(x, w) + bias.
    public static func forward(x: UnsafePointer<Float>, w: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                               y: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        precondition(supports(g), "WinogradConv: unsupported geometry \(g)")
        let u = transformedWeights(w, in: g.inChannels, out: g.outChannels, flip: false)
        run(x: x, u: u.pointer, bias: bias, y: y, g)
    }

    /// dx = the gradient of `forward` with respect to x (overwritten).
    public static func backwardData(w: UnsafePointer<Float>, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>,
                                    _ g: ConvGeometry) {
        precondition(supports(g), "WinogradConv: unsupported geometry \(g)")
        let u = transformedWeights(w, in: g.outChannels, out: g.inChannels, flip: true)
        run(x: dy, u: u.pointer, bias: nil, y: dx, dataGeometry(g))
    }

    /// The convolution whose output is dx: dy [N, O, OH, OW] → [N, C, H, W] with padding 2 − p.
    static func dataGeometry(_ g: ConvGeometry) -> ConvGeometry {
        ConvGeometry(batch: g.batch, inChannels: g.outChannels, height: g.outHeight, width: g.outWidth,
                     outChannels: g.inChannels, kernel: (3, 3),
                     padding: (2 - g.padTop, 2 - g.padBottom, 2 - g.padLeft, 2 - g.padRight))
    }

    /// U [36, in, out] for the convolution from `in` to `out` channels: from w [out, in, 3, 3], or with `flip` from
    /// w [in, out, 3, 3] rotated 180° (the input gradient's view of a layer's weights). Input channels split across workers.
    static func transformedWeights(_ w: UnsafePointer<Float>, in inC: Int, out outC: Int, flip: Bool) -> Tensor {
        let u = Tensor(uninitialized: [36, inC, outC])
        let (wp, up) = (UncheckedSendable(w), UncheckedSendable(u.pointer))
        parallelFor(inC, minPerThread: Swift.max(1, 4096 / Swift.max(outC, 1))) { r in
            gb_winograd_weights(wp.value, inC, outC, flip ? 1 : 0, r.lowerBound, r.count, up.value)
        }
        return u
    }

    /// y = conv(x, U) + bias for geometry `g` (whose weights U holds, transformed).
    static func run(x: UnsafePointer<Float>, u: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                    y: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        let (C, O, inImage, outImage) = (g.inChannels, g.outChannels, g.inChannels * g.height * g.width,
                                         g.outChannels * g.outHeight * g.outWidth)
        let (tilesH, tilesW) = ((g.outHeight + 3) / 4, (g.outWidth + 3) / 4)
        let tiles = tilesH * tilesW
        ConvKernels.forEachSlice(g.batch) { _, slice in
            let chunk = Swift.max(1, Swift.min(slice.count, chunkTiles / tiles))
            let v = Tensor(uninitialized: [36, chunk * tiles, C]), m = Tensor(uninitialized: [36, chunk * tiles, O])
            let scratch = Tensor(uninitialized: [gb_winograd_scratch(chunk, tilesH, tilesW)])
            var first = slice.lowerBound
            while first < slice.upperBound {
                let count = Swift.min(chunk, slice.upperBound - first), t = count * tiles
                gb_winograd_input(x + first * inImage, count, C, g.height, g.width, g.padTop, g.padLeft, tilesH, tilesW,
                                  v.pointer, scratch.pointer)
                for xi in 0..<36 {
                    GEMM.sgemm(m: t, n: O, k: C, a: v.pointer + xi * t * C, lda: C, b: u + xi * C * O, ldb: O,
                               c: m.pointer + xi * t * O, ldc: O)
                }
                gb_winograd_output(m.pointer, count, O, tilesH, tilesW, bias, y + first * outImage, g.outHeight, g.outWidth)
                first += count
            }
        }
    }
}
