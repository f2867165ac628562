import CDNNL
import Foundation

/// Convolution on oneDNN's JIT kernels (blocked layouts, the CPU's widest vectors), behind `ConvKernels`.
///
/// Layout: x: [N, C, H, W], w: [O, C, kH, kW], bias: [O], y: [N, O, OH, OW], all plain; the plan reorders
/// to oneDNN's blocked layouts and back on every call (each reorder is one pass over the tensor: measured
/// 0.32 ms of 9.35 for MiniAlexNet's conv2 forward + backward at batch 32), except y and dy of a convolution whose max
/// pool takes them channel-blocked (`ChannelBlocked`). Like the im2col path, the batch is
/// split into one slice per engine worker and each slice runs single-threaded, so OpenBLAS and OpenMP
/// threads never compete and results are the same for a given thread count.
enum OneDNNConv {
    /// Which directions of a convolution run here.
    enum Use { case forwardAndBackward, forwardOnly }

    /// Ungrouped convolutions with at least 8 input channels, both directions. Strided first layers with 3–7 input
    /// channels (RGB stems) forward only: ResNet-18's 7×7/2 stem at 64 px, batch 32, took 15.8 ms on im2col with the
    /// CPU capped at AVX2 (PyTorch on oneDNN: 6.8), and oneDNN lifted that network's inference 269 → 294 img/s (1 thread,
    /// AVX2; level at AVX-512, as was EfficientNet-Lite0's 3×3/2 stem). A stride-1 RGB layer stays on im2col: the CIFAR
    /// CNN's first layer on oneDNN cost it 7 % training and 15 % inference at AVX-512. Backward, and layers with 1–2
    /// channels, stay on im2col: oneDNN 2.6.3's AVX2 backward-weights kernel crashed for one input channel at some sizes
    /// (seen at 28×28). Grouped and depthwise convolutions have their own paths. A geometry oneDNN refuses (none is
    /// known) stays on im2col too: the first query builds a one-image plan.
    static func use(for g: ConvGeometry) -> Use? {
        guard g.groups == 1, g.inChannels >= 8 || (g.inChannels >= 3 && (g.strideH > 1 || g.strideW > 1)),
              OneDNNRuntime.available, PlanCache.shared.accepts(g) else { return nil }
        return g.inChannels >= 8 ? .forwardAndBackward : .forwardOnly
    }

    /// The plan of one slice geometry, built on first use.
    static func plan(_ g: ConvGeometry) -> OneDNNPlan { PlanCache.shared.plan(g, winograd: prefersWinograd(g)) }

    /// 3×3, stride 1, undilated, outputs of at least 7×7, up to 256×256 channels: there Winograd F(4,3) does fewer
    /// multiplies — oneDNN's kernels where it has them (AVX-512), the own `WinogradConv` elsewhere. Measured for oneDNN's,
    /// AMD EPYC AVX-512, 2 threads, forward / backward ms: ResNet-18 64 px layer1 blocks (16×16) 6.3 / 12.4 → 3.6 / 7.3, layer2 (8×8)
    /// 5.3 / 11.3 → 3.8 / 7.9, MiniAlexNet's conv3 (7×7) 2.1 / 5.2 → 2.0 / 3.4; but layer3 (4×4) 4.7 / 12.4 → 6.2 / 14.8
    /// and layer4 (2×2, three quarters of each 4×4 output tile wasted) twice as slow. The kernels' scratch holds the
    /// weights transformed to 6×6 tiles (4× the weights) once forward and twice backward, 88 MB a worker at 512×512,
    /// which lifted ResNet-18 224's peak RSS above PyTorch's for 5 % more speed: hence the channel bound. The choice
    /// depends on the layer alone, not on the batch or its split, so a run takes the same algorithm at any thread or
    /// rank count. Off with `ConvKernels.winograd = false` or `GROW_WINOGRAD=0`.
    static func prefersWinograd(_ g: ConvGeometry) -> Bool {
        ConvKernels.winograd && g.kernelH == 3 && g.kernelW == 3 && g.strideH == 1 && g.strideW == 1
            && g.dilationH == 1 && g.dilationW == 1 && g.outHeight >= 7 && g.outWidth >= 7
            && g.inChannels * g.outChannels <= 256 * 256
    }

    /// For a geometry that runs here in both directions (`ConvKernels.channelBlock` checks the paths): B when every
    /// batch slice's plan writes y, and reads dy, in the channel-blocked layout [N, C/B, OH, OW, B]
    /// (`OneDNNPlan.channelBlock`); then `forward(blocked: true)` and `backward(dyBlocked: true)` skip the reorders of
    /// y and dy.
    static func channelBlock(_ g: ConvGeometry) -> Int? {
        let workers = Swift.min(Threads.available, g.batch)
        let sliceSizes = Set((0..<Swift.max(workers, 1)).map { g.batch * ($0 + 1) / workers - g.batch * $0 / workers })
        let blocks = Set(sliceSizes.map { count -> Int? in
            var sg = g
            sg.batch = count
            return plan(sg).channelBlock
        })
        return blocks.count == 1 ? blocks.first! : nil
    }

    /// y plain, or with `blocked` in the plans' channel-blocked layout (`channelBlock(g)` must have returned one).
    static func forward(x: UnsafePointer<Float>, w: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                        y: UnsafeMutablePointer<Float>, _ g: ConvGeometry, blocked: Bool = false) {
        if !blocked && ConvKernels.isWeightHeavy(g) && Threads.available > 1 && g.outChannels >= 2 * outputChannelBlock {
            return forwardByOutputChannels(x: x, w: w, bias: bias, y: y, g)
        }
        let (inImage, outImage) = (g.inChannels * g.height * g.width, g.outChannels * g.outHeight * g.outWidth)
        ConvKernels.forEachSlice(g.batch) { _, slice in
            var sg = g
            sg.batch = slice.count
            runForward(OneDNNConv.plan(sg), x: x + slice.lowerBound * inImage, w: w, bias: bias,
                       y: y + slice.lowerBound * outImage, outChannels: g.outChannels, blocked: blocked)
        }
    }

    /// One forward primitive call: x, w, bias (zeros when nil) as the plan's plain operands, y plain or, with `blocked`,
    /// in the primitive's own layout.
    private static func runForward(_ plan: OneDNNPlan, x: UnsafePointer<Float>, w: UnsafePointer<Float>,
                                   bias: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>, outChannels: Int, blocked: Bool = false) {
        let zeroBias = bias == nil ? Tensor(zeros: [outChannels]) : nil
        let run = OneDNNRun(plan)
        let src = run.staged(plan.src, x)
        let wts = run.staged(plan.weights, w)
        let dst = blocked ? y : run.output(plan.dst, y)
        run.execute(plan.forward, [(DNNLArg.src, plan.src.desc, src), (DNNLArg.weights, plan.weights.desc, wts),
                                   (DNNLArg.bias, plan.bias, UnsafeMutablePointer(mutating: bias ?? UnsafePointer(zeroBias!.pointer))),
                                   (DNNLArg.dst, plan.dst.desc, dst)])
        if !blocked { run.unstage(plan.dst, dst, to: y) }
    }

    /// Output channels of a worker's share in `forwardByOutputChannels`: a multiple of oneDNN's widest channel block.
    static let outputChannelBlock = 16

    /// The forward of a weight-heavy geometry (`ConvKernels.isWeightHeavy`), split across workers by output channels
    /// instead of by images: each worker reorders and streams only its share of the weights, where batch slices would
    /// each reorder and stream all of them. Each share writes a strided view of y. Measured, ResNet-18 64 px, 2 threads,
    /// capped at AVX2: a 3×3 512→512 conv at 2×2 took 4.15 ms + a 0.79 ms weight reorder per worker as batch halves,
    /// 3.76 + 0.43 ms as channel halves; the network's inference 543 → 558 img/s.
    static func forwardByOutputChannels(x: UnsafePointer<Float>, w: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                                        y: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        let blocks = (g.outChannels + outputChannelBlock - 1) / outputChannelBlock
        let plane = g.outHeight * g.outWidth
        ConvKernels.forEachSlice(blocks) { _, share in
            let first = share.lowerBound * outputChannelBlock
            var sg = g
            sg.outChannels = Swift.min(g.outChannels, share.upperBound * outputChannelBlock) - first
            runForward(PlanCache.shared.plan(sg, winograd: prefersWinograd(g), outputTensorChannels: g.outChannels),
                       x: x, w: w + first * g.patchSize, bias: bias.map { $0 + first }, y: y + first * plane,
                       outChannels: sg.outChannels)
        }
    }

    /// dx is overwritten (skip with nil); dw is accumulated (skip with nil). The bias gradient is the seam's. dy is
    /// plain or, with `dyBlocked`, in the plans' channel-blocked layout (`channelBlock(g)`).
    static func backward(x: UnsafePointer<Float>, w: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                         dx: UnsafeMutablePointer<Float>?, dw: UnsafeMutablePointer<Float>?, _ g: ConvGeometry, dyBlocked: Bool = false) {
        let (inImage, outImage) = (g.inChannels * g.height * g.width, g.outChannels * g.outHeight * g.outWidth)
        let weightCount = g.outChannels * g.patchSize
        let workers = Swift.min(Threads.available, g.batch)
        // One plain weight-gradient buffer per worker, summed into dw in worker order afterwards.
        let sliceDW: [Tensor] = dw == nil ? [] : (0..<workers).map { _ in Tensor(uninitialized: [weightCount]) }
        ConvKernels.forEachSlice(g.batch) { worker, slice in
            var sg = g
            sg.batch = slice.count
            let plan = OneDNNConv.plan(sg)
            let run = OneDNNRun(plan)
            let dySlice = dy + slice.lowerBound * outImage
            var stagedDiffDst: UnsafeMutablePointer<Float>? = dyBlocked ? UnsafeMutablePointer(mutating: dySlice) : nil
            if let dx {
                let diffDst = stagedDiffDst ?? run.staged(plan.dataDiffDst, dySlice)
                stagedDiffDst = diffDst
                let wts = run.staged(plan.dataWeights, w)
                let diffSrc = run.output(plan.dataDiffSrc, dx + slice.lowerBound * inImage)
                run.execute(plan.backwardData, [(DNNLArg.diffDst, plan.dataDiffDst.desc, diffDst),
                                                (DNNLArg.weights, plan.dataWeights.desc, wts),
                                                (DNNLArg.diffSrc, plan.dataDiffSrc.desc, diffSrc)])
                run.unstage(plan.dataDiffSrc, diffSrc, to: dx + slice.lowerBound * inImage)
            }
            if dw != nil {
                let src = run.staged(plan.weightsSrc, x + slice.lowerBound * inImage)
                let diffDst = (plan.diffDstShared || dyBlocked ? stagedDiffDst : nil) ?? run.staged(plan.weightsDiffDst, dySlice)
                let target = sliceDW[worker].pointer
                let diffWeights = run.output(plan.weightsDiffWeights, target)
                run.execute(plan.backwardWeights, [(DNNLArg.src, plan.weightsSrc.desc, src),
                                                   (DNNLArg.diffDst, plan.weightsDiffDst.desc, diffDst),
                                                   (DNNLArg.diffWeights, plan.weightsDiffWeights.desc, diffWeights)])
                run.unstage(plan.weightsDiffWeights, diffWeights, to: target)
            }
        }
        if let dw { for t in sliceDW { axpy(weightCount, 1, t.pointer, dw) } }
    }
}

/// oneDNN's execution-argument numbers (macros in dnnl_types.h, which Swift does not import).
enum DNNLArg {
    static let src: Int32 = 1, dst: Int32 = 17, weights: Int32 = 33, bias: Int32 = 41, scratchpad: Int32 = 80
    static let diffSrc: Int32 = 129, diffDst: Int32 = 145, diffWeights: Int32 = 161
    static let from = src, to = dst
}

/// One call's temporary buffers (blocked copies, scratch) and its stream; buffers live as long as the run.
final class OneDNNRun {
    let plan: OneDNNPlan
    private var buffers: [Tensor] = []
    private let scratch: ScratchArenas.Arena?

    init(_ plan: OneDNNPlan) {
        self.plan = plan
        OneDNNRuntime.singleThreaded()
        scratch = plan.scratchFloats > 0 ? ScratchArenas.shared.take(floats: plan.scratchFloats) : nil
    }

    deinit { if let scratch { ScratchArenas.shared.give(scratch) } }

    /// A plain input in the operand's layout: the pointer itself, or a reordered copy.
    func staged(_ operand: OneDNNPlan.Operand, _ plain: UnsafePointer<Float>) -> UnsafeMutablePointer<Float> {
        let source = UnsafeMutablePointer(mutating: plain)
        guard let reorder = operand.fromPlain else { return source }
        let buffer = Tensor(uninitialized: [operand.floats])
        buffers.append(buffer)
        execute(reorder, [(DNNLArg.from, operand.plain, source), (DNNLArg.to, operand.desc, buffer.pointer)], scratch: false)
        return buffer.pointer
    }

    /// Where the primitive writes an output: the plain destination itself, or a blocked buffer.
    func output(_ operand: OneDNNPlan.Operand, _ plain: UnsafeMutablePointer<Float>) -> UnsafeMutablePointer<Float> {
        if operand.isPlain { return plain }
        let buffer = Tensor(uninitialized: [operand.floats])
        buffers.append(buffer)
        return buffer.pointer
    }

    /// Copies a blocked output back to its plain destination (nothing when it was written in place).
    func unstage(_ operand: OneDNNPlan.Operand, _ written: UnsafeMutablePointer<Float>, to plain: UnsafeMutablePointer<Float>) {
        guard let reorder = operand.toPlain else { return }
        execute(reorder, [(DNNLArg.from, operand.desc, written), (DNNLArg.to, operand.plain, plain)], scratch: false)
    }

    /// Runs `primitive` on memory objects wrapping the given buffers, and waits for it.
    func execute(_ primitive: dnnl_primitive_t, _ operands: [(Int32, dnnl_memory_desc_t, UnsafeMutablePointer<Float>)], scratch useScratch: Bool = true) {
        let engine = OneDNNRuntime.loadedEngine
        var memories: [dnnl_memory_t?] = []
        defer { for m in memories { dnnl_memory_destroy(m) } }
        var args: [dnnl_exec_arg_t] = []
        var all = operands
        if useScratch, let scratch { all.append((DNNLArg.scratchpad, plan.scratch, scratch.pointer)) }
        for (arg, desc, pointer) in all {
            var memory: dnnl_memory_t?
            expect(dnnl_memory_create(&memory, [desc], engine, pointer), "memory")
            memories.append(memory)
            args.append(dnnl_exec_arg_t(arg: arg, memory: memory))
        }
        var stream: dnnl_stream_t?
        expect(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue), "stream")
        defer { dnnl_stream_destroy(stream) }
        expect(dnnl_primitive_execute(primitive, stream, Int32(args.count), args), "execute")
        expect(dnnl_stream_wait(stream), "wait")
    }

    private func expect(_ status: dnnl_status_t, _ what: String) {
        if status != dnnl_success { fatalError("oneDNN: \(what) failed (status \(status.rawValue)) for plan \(plan.implementations)") }
    }
}

/// The process's oneDNN CPU engine, and OpenMP held to one thread per calling thread.
enum OneDNNRuntime {
    nonisolated(unsafe) private static let created: dnnl_engine_t? = {
        var engine: dnnl_engine_t?
        return dnnl_engine_create(&engine, dnnl_cpu, 0) == dnnl_success ? engine : nil
    }()

    /// False when oneDNN has no CPU engine here (then convolutions stay on im2col).
    static var available: Bool { created != nil }
    static var loadedEngine: dnnl_engine_t { created! }
    static func engine() throws(OneDNNError) -> dnnl_engine_t {
        guard let created else { throw OneDNNError("no CPU engine") }
        return created
    }

    /// `omp_set_num_threads` of the OpenMP runtime oneDNN is built on (libgomp, loaded with libdnnl).
    private static let setThreads: (@convention(c) (Int32) -> Void)? = {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "omp_set_num_threads") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32) -> Void).self)
    }()

    /// Whether oneDNN runs AVX-512 kernels here: the CPU has them and `ONEDNN_MAX_CPU_ISA` does not cap below them
    /// (oneDNN 2.6 has Winograd only there).
    static var usesAVX512: Bool {
        let core = dnnl_cpu_isa_avx512_core.rawValue
        return dnnl_get_effective_cpu_isa().rawValue & core == core
    }

    /// OpenMP's thread count is per calling thread: hold it to 1 on this one (engine workers split the batch).
    static func singleThreaded() { setThreads?(1) }
}

/// Plans by slice geometry and algorithm choice, shared by all threads.
final class PlanCache: @unchecked Sendable {
    static let shared = PlanCache()
    private struct Key: Hashable { var geometry: ConvGeometry, winograd: Bool, outputTensorChannels: Int }
    private let lock = NSLock()
    private var plans: [Key: OneDNNPlan] = [:]
    /// Whether oneDNN builds a plan for a geometry, keyed by the geometry at batch 1.
    private var accepted: [ConvGeometry: Bool] = [:]

    func accepts(_ g: ConvGeometry) -> Bool {
        var one = g
        one.batch = 1
        lock.lock()
        defer { lock.unlock() }
        if let known = accepted[one] { return known }
        let plan = try? OneDNNPlan(one)
        if let plan { plans[Key(geometry: one, winograd: false, outputTensorChannels: one.outChannels)] = plan }
        accepted[one] = plan != nil
        return plan != nil
    }

    func plan(_ g: ConvGeometry, winograd: Bool, outputTensorChannels: Int? = nil) -> OneDNNPlan {
        let key = Key(geometry: g, winograd: winograd, outputTensorChannels: outputTensorChannels ?? g.outChannels)
        lock.lock()
        defer { lock.unlock() }
        if let plan = plans[key] { return plan }
        do {
            let plan = try OneDNNPlan(g, winograd: winograd, outputTensorChannels: key.outputTensorChannels)
            plans[key] = plan
            return plan
        } catch {
            fatalError("\(error)")
        }
    }
}
