import Dispatch
import Foundation

/// Convolution: the seam every convolution goes through, and its im2col + GEMM path.
///
/// `path(for:)` picks a kernel per geometry: depthwise convolutions run the direct `DepthwiseConv`,
/// unpadded 1×1 convolutions run `PointwiseConv` (GEMM on x itself), the 3×3 layers `OneDNNConv.prefersWinograd`
/// names run Winograd — oneDNN's where the CPU has its kernels (AVX-512), the own `WinogradConv` elsewhere —, other
/// ungrouped ones with ≥ 8 input channels oneDNN's direct JIT kernels (`OneDNNConv`: strided RGB stems forward
/// only), everything else im2col + GEMM below.
/// `fastPaths = false` forces im2col for every geometry, `oneDNN = false` (or `GROW_ONEDNN=0`) only turns oneDNN
/// off, `winograd = false` (`GROW_WINOGRAD=0`) only Winograd.
///
/// Layout: x: [N, C, H, W], w: [O, C/groups, kH, kW], bias: [O], y: [N, O, OH, OW].
/// The batch is split into one contiguous slice per worker (GEMMs inside a slice run unsplit), and within
/// a slice small images share one GEMM so late, tiny feature maps still give the GEMM wide matrices;
/// weight-heavy geometries go back through the whole batch at once instead (`isWeightHeavy`).
/// Per-image GEMMs keep each image's columns in cache; measured here, that beat one whole-batch GEMM
/// per layer (CIFAR CNN: 267 vs 255 img/s at 1 thread, 435 vs 363 at 2).
/// Optionally the forward's im2col matrices are kept in `columns` (`columnBufferSize` floats)
/// so backward need not recompute them. Per-worker weight gradients are summed in worker order,
/// so every run is bit-identical for a given thread count.
public enum ConvKernels {
    /// The kernel family that runs a convolution.
    public enum Path: Sendable, Equatable { case im2col, depthwise, pointwise, onednn, winograd }

    /// When false, every convolution takes the im2col path (to test or time it against the fast paths).
    nonisolated(unsafe) public static var fastPaths = true

    /// When false, geometries oneDNN would run take im2col (benchmarks compare the two).
    nonisolated(unsafe) public static var oneDNN = ProcessInfo.processInfo.environment["GROW_ONEDNN"] != "0"

    /// When false, no convolution runs Winograd (oneDNN's or `WinogradConv`; see `OneDNNConv.prefersWinograd`).
    nonisolated(unsafe) public static var winograd = ProcessInfo.processInfo.environment["GROW_WINOGRAD"] != "0"

    /// The kernel `forward` uses for `g`.
    public static func path(for g: ConvGeometry) -> Path {
        if !fastPaths { return .im2col }
        if DepthwiseConv.supports(g) { return .depthwise }
        if PointwiseConv.supports(g) { return .pointwise }
        if winograd && WinogradConv.isChosen(g) { return .winograd }
        if oneDNN && OneDNNConv.use(for: g) != nil { return .onednn }
        return .im2col
    }

    /// The kernel `backward` uses for `g`: `path(for:)`'s, except that weight-heavy geometries go back through
    /// whole-batch im2col (ResNet-18's last stage at 64 px, 2 threads: oneDNN's forward is faster, 8.7 vs 10.2 ms
    /// a block at inference, its backward much slower, 37 vs 16 ms), and so do first layers oneDNN runs forward only.
    public static func backwardPath(for g: ConvGeometry) -> Path {
        let forward = path(for: g)
        guard forward == .onednn else { return forward }
        return isWeightHeavy(g) || OneDNNConv.use(for: g) == .forwardOnly ? .im2col : .onednn
    }

    /// Floats of the column cache: N·groups·Cg·kH·kW·OH·OW when both directions take im2col, 0 otherwise
    /// (the other paths keep none; a backward on im2col after another forward recomputes its columns).
    public static func columnBufferSize(_ g: ConvGeometry) -> Int {
        path(for: g) == .im2col && backwardPath(for: g) == .im2col ? g.groups * g.patchSize * g.batch * g.outHeight * g.outWidth : 0
    }

    /// Where a chunk's [patch, count·OHW] column block for one group lives in the cache. Chunks are
    /// contiguous blocks (not one N·OHW-wide matrix) so GEMMs read them with a short row stride;
    /// with one N·OHW-wide matrix the CIFAR CNN trained at 267 img/s (1 thread), with blocks at 285. Chunking depends only on N and the thread count, which
    /// are the same in the matching forward and backward.
    static func cacheOffset(_ g: ConvGeometry, firstImage: Int, count: Int, group: Int) -> Int {
        (firstImage * g.groups + group * count) * g.patchSize * g.outHeight * g.outWidth
    }

    /// Multiply-adds of one forward pass (each of backward's input and weight gradients costs the same).
    public static func multiplyAdds(_ g: ConvGeometry) -> Int { g.batch * g.outChannels * g.outHeight * g.outWidth * g.patchSize }

    /// y = relu(conv(x, w) + bias) (no activation without `relu`): the depthwise and 1×1 kernels apply it as they
    /// store, the others in one pass after.
    public static func forward(x: UnsafePointer<Float>, w: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                               y: UnsafeMutablePointer<Float>, _ g: ConvGeometry, columns: UnsafeMutablePointer<Float>? = nil,
                               relu: FusedReLU? = nil) {
        FLOPCounter.add(multiplyAdds: multiplyAdds(g))
        switch path(for: g) {
        case .depthwise: return DepthwiseConv.forward(x: x, w: w, bias: bias, y: y, g, relu: relu)
        case .pointwise: return PointwiseConv.forward(x: x, w: w, bias: bias, y: y, g, relu: relu)
        case .onednn: OneDNNConv.forward(x: x, w: w, bias: bias, y: y, g)
        case .winograd: WinogradConv.forward(x: x, w: w, bias: bias, y: y, g)
        case .im2col: slicedForward(x: x, w: w, bias: bias, y: y, g, columns: columns)
        }
        if let relu { FusedReLU.apply(relu, to: y, rows: g.batch * g.outChannels, cols: g.outHeight * g.outWidth) }
    }

    /// Gradients of `forward`: dx is overwritten (skip with nil), dw and dbias are accumulated (skip with
    /// nil, e.g. for a frozen layer). `columns` must be the buffer the matching forward filled, or nil
    /// (the fast paths ignore it).
    public static func backward(x: UnsafePointer<Float>, w: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                                dx: UnsafeMutablePointer<Float>?, dw: UnsafeMutablePointer<Float>?,
                                dbias: UnsafeMutablePointer<Float>?, _ g: ConvGeometry, columns: UnsafeMutablePointer<Float>? = nil) {
        FLOPCounter.add(multiplyAdds: multiplyAdds(g) * ((dx == nil ? 0 : 1) + (dw == nil ? 0 : 1)))
        switch backwardPath(for: g) {
        case .depthwise:
            if dx != nil || dw != nil || dbias != nil { DepthwiseConv.backward(x: x, w: w, dy: dy, dx: dx, dw: dw, dbias: dbias, g) }
            return
        case .pointwise:
            if dx != nil || dw != nil { PointwiseConv.backward(x: x, w: w, dy: dy, dx: dx, dw: dw, g) }
        case .onednn:
            if dx != nil || dw != nil { OneDNNConv.backward(x: x, w: w, dy: dy, dx: dx, dw: dw, g) }
        case .winograd:
            if let dx { WinogradConv.backwardData(w: w, dy: dy, dx: dx, g) }
            if let dw {
                if oneDNN && OneDNNConv.use(for: g) == .forwardAndBackward {
                    OneDNNConv.backward(x: x, w: w, dy: dy, dx: nil, dw: dw, g)
                } else {
                    slicedBackward(x: x, w: w, dy: dy, dx: nil, dw: dw, g, columns: nil)
                }
            }
        case .im2col:   // columns were filled only by an im2col forward
            if dx != nil || dw != nil { slicedBackward(x: x, w: w, dy: dy, dx: dx, dw: dw, g, columns: path(for: g) == .im2col ? columns : nil) }
        }
        if let dbias { biasGradient(dy: dy, dbias: dbias, g) }
    }

    static func biasGradient(dy: UnsafePointer<Float>, dbias: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        let (O, OHW) = (g.outChannels, g.outHeight * g.outWidth)
        for b in 0..<g.batch {
            for o in 0..<O {
                dbias[o] += Reductions.sum(dy + (b * O + o) * OHW, OHW)
            }
        }
    }

    /// Columns per GEMM we aim for when batching small images together in the sliced strategy.
    static let targetColumns = 1024

    /// Floats that fit one core's L2 cache (`sysconf`; 1 MiB where the system does not say).
    static let l2Floats: Int = {
        let bytes = sysconf(Int32(_SC_LEVEL2_CACHE_SIZE))
        return (bytes > 0 ? bytes : 1 << 20) / MemoryLayout<Float>.stride
    }()

    static func chunkSize(_ g: ConvGeometry, slice: Int) -> Int {
        let ohw = g.outHeight * g.outWidth
        return Swift.max(1, Swift.min(slice, (targetColumns + ohw - 1) / ohw))
    }

    /// Runs `body(worker, imageRange)` over slices of the batch, each marked as a worker (so GEMMs and loops
    /// inside it run on that thread alone).
    static func forEachSlice(_ n: Int, _ body: (Int, Range<Int>) -> Void) {
        let workers = Swift.min(Threads.available, n)
        if workers <= 1 { body(0, 0..<n); return }
        withoutActuallyEscaping(body) { body in
            let box = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: workers) { wi in
                Threads.asWorker { box.value(wi, (n * wi / workers)..<(n * (wi + 1) / workers)) }
            }
        }
    }

    /// More weights than output pixels in the whole batch (O > N·OH·OW, ungrouped): ResNet's last stage at 64 px.
    /// Their backward runs as one whole-batch im2col with the GEMMs split across workers: batch slices would each
    /// stream all the weights and keep a private weight gradient (3×3 512→512 at 2×2, batch 16: oneDNN 14.97 ms and
    /// im2col 13.85 ms forward + backward at 1 thread; sliced, 2 threads were no faster). Their forward is oneDNN's.
    public static func isWeightHeavy(_ g: ConvGeometry) -> Bool {
        g.groups == 1 && g.outChannels > g.batch * g.outHeight * g.outWidth
    }

    /// `forEachSlice`, or the whole batch at once on the calling thread for weight-heavy geometries.
    static func eachSlice(_ g: ConvGeometry, _ body: (Int, Range<Int>) -> Void) {
        if isWeightHeavy(g) { body(0, 0..<g.batch) } else { forEachSlice(g.batch, body) }
    }

    static func slicedForward(x: UnsafePointer<Float>, w: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                              y: UnsafeMutablePointer<Float>, _ g: ConvGeometry, columns: UnsafeMutablePointer<Float>?) {
        let (C, HW, O, OHW) = (g.inChannels, g.height * g.width, g.outChannels, g.outHeight * g.outWidth)
        let (Cg, Og, patch) = (g.groupInChannels, g.groupOutChannels, g.patchSize)
        eachSlice(g) { _, slice in
            let chunk = chunkSize(g, slice: slice.count)
            let col = columns == nil ? Tensor(uninitialized: [patch, chunk * OHW]) : nil
            let tmp = chunk > 1 ? Tensor(uninitialized: [Og, chunk * OHW]) : nil
            var b0 = slice.lowerBound
            while b0 < slice.upperBound {
                let cnt = Swift.min(chunk, slice.upperBound - b0)
                let ld = cnt * OHW
                for gi in 0..<g.groups {
                    // This chunk's columns, [patch, cnt·OHW]: in the cache or in the scratch.
                    let colPtr = columns.map { $0 + cacheOffset(g, firstImage: b0, count: cnt, group: gi) } ?? col!.pointer
                    let ldcol = ld
                    for b in 0..<cnt {
                        Im2Col.im2col(x + (b0 + b) * C * HW, g, channelStart: gi * Cg, col: colPtr + b * OHW, ldcol: ldcol)
                    }
                    let wg = w + gi * Og * patch
                    if cnt == 1 {
                        GEMM.sgemm(m: Og, n: OHW, k: patch, a: wg, lda: patch, b: colPtr, ldb: ldcol,
                                   c: y + (b0 * O + gi * Og) * OHW, ldc: OHW)
                    } else {
                        GEMM.sgemm(m: Og, n: ld, k: patch, a: wg, lda: patch, b: colPtr, ldb: ldcol, c: tmp!.pointer, ldc: ld)
                        for b in 0..<cnt {
                            for o in 0..<Og {
                                (y + ((b0 + b) * O + gi * Og + o) * OHW).update(from: tmp!.pointer + o * ld + b * OHW, count: OHW)
                            }
                        }
                    }
                }
                if let bias {
                    for b in b0..<(b0 + cnt) {
                        for o in 0..<O {
                            let yo = y + (b * O + o) * OHW, bv = bias[o]
                            for i in 0..<OHW { yo[i] += bv }
                        }
                    }
                }
                b0 += cnt
            }
        }
    }

    static func slicedBackward(x: UnsafePointer<Float>, w: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                               dx: UnsafeMutablePointer<Float>?, dw: UnsafeMutablePointer<Float>?, _ g: ConvGeometry,
                               columns: UnsafeMutablePointer<Float>?) {
        let (C, HW, O, OHW) = (g.inChannels, g.height * g.width, g.outChannels, g.outHeight * g.outWidth)
        let (Cg, Og, patch) = (g.groupInChannels, g.groupOutChannels, g.patchSize)
        let workers = isWeightHeavy(g) ? 1 : Swift.min(Threads.available, g.batch)
        // Worker 0 accumulates into dw itself; the others into private buffers summed afterwards.
        let privateDW: [Tensor?] = (0..<workers).map { $0 == 0 || dw == nil ? nil : Tensor(zeros: [O * patch]) }
        eachSlice(g) { worker, slice in
            let chunk = chunkSize(g, slice: slice.count)
            let col = Tensor(uninitialized: [patch, chunk * OHW])
            let dyBlock = chunk > 1 ? Tensor(uninitialized: [Og, chunk * OHW]) : nil
            let dwTarget = worker == 0 ? dw : privateDW[worker]?.pointer
            if let dx { (dx + slice.lowerBound * C * HW).update(repeating: 0, count: slice.count * C * HW) }
            var b0 = slice.lowerBound
            while b0 < slice.upperBound {
                let cnt = Swift.min(chunk, slice.upperBound - b0)
                let ld = cnt * OHW
                for gi in 0..<g.groups {
                    let dyPtr: UnsafePointer<Float>
                    if cnt == 1 {
                        dyPtr = dy + (b0 * O + gi * Og) * OHW
                    } else {
                        for b in 0..<cnt {
                            for o in 0..<Og {
                                (dyBlock!.pointer + o * ld + b * OHW).update(from: dy + ((b0 + b) * O + gi * Og + o) * OHW, count: OHW)
                            }
                        }
                        dyPtr = UnsafePointer(dyBlock!.pointer)
                    }
                    if let dwTarget {
                        let colPtr: UnsafePointer<Float>, ldcol: Int
                        if let columns {
                            (colPtr, ldcol) = (UnsafePointer(columns + cacheOffset(g, firstImage: b0, count: cnt, group: gi)), ld)
                        } else {
                            for b in 0..<cnt {
                                Im2Col.im2col(x + (b0 + b) * C * HW, g, channelStart: gi * Cg, col: col.pointer + b * OHW, ldcol: ld)
                            }
                            (colPtr, ldcol) = (UnsafePointer(col.pointer), ld)
                        }
                        GEMM.sgemm(transB: true, m: Og, n: patch, k: ld, a: dyPtr, lda: ld, b: colPtr, ldb: ldcol,
                                   beta: 1, c: dwTarget + gi * Og * patch, ldc: patch)
                    }
                    if let dx {
                        GEMM.sgemm(transA: true, m: patch, n: ld, k: Og, a: w + gi * Og * patch, lda: patch,
                                   b: dyPtr, ldb: ld, c: col.pointer, ldc: ld)
                        for b in 0..<cnt {
                            Im2Col.col2im(col.pointer + b * OHW, ldcol: ld, g, channelStart: gi * Cg, dx: dx + (b0 + b) * C * HW)
                        }
                    }
                }
                b0 += cnt
            }
        }
        if let dw {
            for wi in 1..<Swift.max(workers, 1) { if let p = privateDW[wi] { axpy(O * patch, 1, p.pointer, dw) } }
        }
    }
}
