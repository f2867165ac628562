import CDNNL
import Foundation

/// oneDNN's convolution primitives for one geometry (one worker's slice of a batch), built once and reused.
///
/// Layouts: the engine's tensors are plain (x, y: NCHW; w: OIHW). Each primitive is created with
/// `format_tag_any`, so oneDNN picks the blocked layouts its JIT kernels are fastest on for this CPU
/// (AVX2 or AVX-512, chosen by oneDNN at run time), and the plan holds the reorders between plain and
/// blocked buffers. Scratch memory is user-managed, so one plan may run on several threads at once.
/// Every primitive runs single-threaded: the engine's own workers split the batch (`OneDNNConv`).
final class OneDNNPlan: @unchecked Sendable {
    /// A memory descriptor and, where it differs from the plain one, the reorders to and from it.
    struct Operand {
        var desc: dnnl_memory_desc_t
        var plain: dnnl_memory_desc_t
        var fromPlain: dnnl_primitive_t?
        var toPlain: dnnl_primitive_t?
        /// Floats of a buffer in `desc`'s layout (blocked layouts pad channels).
        var floats: Int
        var isPlain: Bool { fromPlain == nil }
    }

    let forward: dnnl_primitive_t, backwardData: dnnl_primitive_t, backwardWeights: dnnl_primitive_t
    let src, weights, dst: Operand                               // forward
    /// The bias, always plain.
    let bias: dnnl_memory_desc_t
    let dataDiffDst, dataWeights, dataDiffSrc: Operand           // backward data
    let weightsSrc, weightsDiffDst, weightsDiffWeights: Operand  // backward weights
    /// Whether both backward primitives read dy in one layout, so a backward computing both reorders it once.
    let diffDstShared: Bool
    /// B when y is in oneDNN's channel-blocked layout [N, C/B, OH, OW, B] (B = 8 or 16, dividing C) and both backward
    /// primitives read dy in that same layout: then a max pool can read y and write dy as they are (`ChannelBlocked`).
    let channelBlock: Int?
    /// Floats of the largest scratch buffer any of the three primitives asks for.
    let scratchFloats: Int
    let scratch: dnnl_memory_desc_t
    /// The kernels oneDNN chose, e.g. "jit:avx2" (shown by benchmarks).
    let implementations: [String]

    /// `winograd`: try oneDNN's Winograd F(4,3) kernels first (3×3, stride 1; AVX-512 only in oneDNN 2.6), direct otherwise.
    /// `outputTensorChannels` (at least `g.outChannels`): the channels of the plain tensor y and dy are views of, when
    /// the plan computes a share of a layer's output channels (`OneDNNConv.forwardByOutputChannels`).
    init(_ g: ConvGeometry, winograd: Bool = false, outputTensorChannels: Int? = nil) throws(OneDNNError) {
        // oneDNN sizes a primitive's work split for the OpenMP threads of the thread that creates it: held to 1 here
        // as when it runs, so a plan is the same whichever thread made it first (and a run's results do not depend
        // on which runs came before it).
        OneDNNRuntime.singleThreaded()
        let engine = try OneDNNRuntime.engine()
        let (xPlain, wPlain, yPlain, bPlain) = (try Self.desc([g.batch, g.inChannels, g.height, g.width], dnnl_nchw),
                                                try Self.desc([g.outChannels, g.inChannels, g.kernelH, g.kernelW], dnnl_oihw),
                                                try Self.outputDesc(g, tensorChannels: outputTensorChannels ?? g.outChannels),
                                                try Self.desc([g.outChannels], dnnl_x))
        var (xAny, wAny, yAny) = (try Self.desc(Self.dims(xPlain), dnnl_format_tag_any), try Self.desc(Self.dims(wPlain), dnnl_format_tag_any),
                                  try Self.desc(Self.dims(yPlain), dnnl_format_tag_any))
        var biasDesc = bPlain
        let strides: [Int64] = [Int64(g.strideH), Int64(g.strideW)]
        let dilation: [Int64] = [Int64(g.dilationH - 1), Int64(g.dilationW - 1)]   // oneDNN counts extra gaps
        let padL: [Int64] = [Int64(g.padTop), Int64(g.padLeft)], padR: [Int64] = [Int64(g.padBottom), Int64(g.padRight)]

        var attr: dnnl_primitive_attr_t?
        try check(dnnl_primitive_attr_create(&attr), "attributes")
        defer { dnnl_primitive_attr_destroy(attr) }
        try check(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user), "scratchpad mode")

        // Each primitive tries the algorithms in order; oneDNN refuses Winograd where it has no kernel for this CPU.
        let algorithms = winograd ? [dnnl_convolution_winograd, dnnl_convolution_direct] : [dnnl_convolution_direct]
        func create(_ what: String, _ hint: dnnl_primitive_desc_t?,
                    _ describe: (inout dnnl_convolution_desc_t, dnnl_alg_kind_t) -> dnnl_status_t) throws(OneDNNError) -> dnnl_primitive_desc_t {
            for algorithm in algorithms {
                var desc = dnnl_convolution_desc_t(), pd: dnnl_primitive_desc_t?
                if describe(&desc, algorithm) == dnnl_success, dnnl_primitive_desc_create(&pd, &desc, attr, engine, hint) == dnnl_success,
                   let pd { return pd }
            }
            throw OneDNNError("\(what) \(g)")
        }
        let forwardPD = try create("forward", nil) {
            dnnl_dilated_convolution_forward_desc_init(&$0, dnnl_forward_training, $1, &xAny, &wAny, &biasDesc, &yAny,
                                                       strides, dilation, padL, padR)
        }
        defer { dnnl_primitive_desc_destroy(forwardPD) }
        let dataPD = try create("backward data", forwardPD) {
            dnnl_dilated_convolution_backward_data_desc_init(&$0, $1, &xAny, &wAny, &yAny, strides, dilation, padL, padR)
        }
        defer { dnnl_primitive_desc_destroy(dataPD) }
        let weightsPD = try create("backward weights", forwardPD) {
            dnnl_dilated_convolution_backward_weights_desc_init(&$0, $1, &xAny, &wAny, nil, &yAny, strides, dilation, padL, padR)
        }
        defer { dnnl_primitive_desc_destroy(weightsPD) }

        func operand(_ pd: dnnl_primitive_desc_t?, _ what: dnnl_query_t, plain: dnnl_memory_desc_t) throws(OneDNNError) -> Operand {
            guard let md = dnnl_primitive_desc_query_md(pd, what, 0)?.pointee else { throw OneDNNError("query of \(what) for \(g)") }
            var operand = Operand(desc: md, plain: plain, floats: dnnl_memory_desc_get_size([md]) / MemoryLayout<Float>.size)
            if dnnl_memory_desc_equal([md], [plain]) == 0 {
                operand.fromPlain = try Self.reorder(from: plain, to: md, engine)
                operand.toPlain = try Self.reorder(from: md, to: plain, engine)
            }
            return operand
        }
        src = try operand(forwardPD, dnnl_query_src_md, plain: xPlain)
        weights = try operand(forwardPD, dnnl_query_weights_md, plain: wPlain)
        dst = try operand(forwardPD, dnnl_query_dst_md, plain: yPlain)
        bias = bPlain
        dataDiffDst = try operand(dataPD, dnnl_query_diff_dst_md, plain: yPlain)
        dataWeights = try operand(dataPD, dnnl_query_weights_md, plain: wPlain)
        dataDiffSrc = try operand(dataPD, dnnl_query_diff_src_md, plain: xPlain)
        weightsSrc = try operand(weightsPD, dnnl_query_src_md, plain: xPlain)
        weightsDiffDst = try operand(weightsPD, dnnl_query_diff_dst_md, plain: yPlain)
        weightsDiffWeights = try operand(weightsPD, dnnl_query_diff_weights_md, plain: wPlain)
        var (dataDy, weightsDy) = (dataDiffDst.desc, weightsDiffDst.desc)
        diffDstShared = dnnl_memory_desc_equal(&dataDy, &weightsDy) != 0
        var y = dst.desc, block: Int?
        for (b, tag) in [(16, dnnl_nChw16c), (8, dnnl_nChw8c)] where g.outChannels % b == 0 {
            var blocked = try Self.desc(Self.dims(yPlain), tag)
            if dnnl_memory_desc_equal(&y, &blocked) != 0 && dnnl_memory_desc_equal(&y, &dataDy) != 0
                && dnnl_memory_desc_equal(&y, &weightsDy) != 0 { block = b }
        }
        channelBlock = block

        var largest = dnnl_memory_desc_t(), floats = 0
        for pd in [forwardPD, dataPD, weightsPD] {
            guard let md = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0)?.pointee else { continue }
            let n = (dnnl_memory_desc_get_size([md]) + 3) / 4
            if n > floats { (largest, floats) = (md, n) }
        }
        (scratch, scratchFloats) = (largest, floats)
        implementations = [forwardPD, dataPD, weightsPD].map { pd in
            var info: UnsafePointer<CChar>?
            _ = withUnsafeMutablePointer(to: &info) { dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, $0) }
            return info.map { String(cString: $0) } ?? "?"
        }
        var (f, d, w): (dnnl_primitive_t?, dnnl_primitive_t?, dnnl_primitive_t?)
        try check(dnnl_primitive_create(&f, forwardPD), "forward primitive")
        try check(dnnl_primitive_create(&d, dataPD), "backward data primitive")
        try check(dnnl_primitive_create(&w, weightsPD), "backward weights primitive")
        (forward, backwardData, backwardWeights) = (f!, d!, w!)
    }

    deinit {
        for p in [forward, backwardData, backwardWeights] { dnnl_primitive_destroy(p) }
        for o in [src, weights, dst, dataDiffDst, dataWeights, dataDiffSrc, weightsSrc, weightsDiffDst, weightsDiffWeights] {
            if let p = o.fromPlain { dnnl_primitive_destroy(p) }
            if let p = o.toPlain { dnnl_primitive_destroy(p) }
        }
    }

    static func desc(_ dims: [Int], _ tag: dnnl_format_tag_t) throws(OneDNNError) -> dnnl_memory_desc_t {
        var md = dnnl_memory_desc_t()
        try check(dnnl_memory_desc_init_by_tag(&md, Int32(dims.count), dims.map(Int64.init), dnnl_f32, tag), "memory descriptor \(dims)")
        return md
    }

    /// Plain [N, O, OH, OW] whose images lie `tensorChannels`·OH·OW floats apart (a channel share of a larger tensor).
    static func outputDesc(_ g: ConvGeometry, tensorChannels: Int) throws(OneDNNError) -> dnnl_memory_desc_t {
        if tensorChannels == g.outChannels { return try desc([g.batch, g.outChannels, g.outHeight, g.outWidth], dnnl_nchw) }
        let plane = Int64(g.outHeight * g.outWidth)
        let dims = [g.batch, g.outChannels, g.outHeight, g.outWidth].map(Int64.init)
        let strides = [Int64(tensorChannels) * plane, plane, Int64(g.outWidth), 1]
        var md = dnnl_memory_desc_t()
        try check(dnnl_memory_desc_init_by_strides(&md, 4, dims, dnnl_f32, strides), "memory descriptor \(dims) strides \(strides)")
        return md
    }

    static func dims(_ md: dnnl_memory_desc_t) -> [Int] {
        withUnsafeBytes(of: md.dims) { raw in (0..<Int(md.ndims)).map { Int(raw.load(fromByteOffset: $0 * 8, as: Int64.self)) } }
    }

    static func reorder(from: dnnl_memory_desc_t, to: dnnl_memory_desc_t, _ engine: dnnl_engine_t) throws(OneDNNError) -> dnnl_primitive_t {
        var pd: dnnl_primitive_desc_t?, primitive: dnnl_primitive_t?
        try check(dnnl_reorder_primitive_desc_create(&pd, [from], engine, [to], engine, nil), "reorder")
        defer { dnnl_primitive_desc_destroy(pd) }
        try check(dnnl_primitive_create(&primitive, pd), "reorder primitive")
        return primitive!
    }
}

/// A oneDNN call that failed, with what was being done.
struct OneDNNError: Error, CustomStringConvertible {
    let description: String
    init(_ what: String, status: dnnl_status_t? = nil) {
        description = "oneDNN: \(what)" + (status.map { " failed (status \($0.rawValue))" } ?? "")
    }
}

@inline(__always)
func check(_ status: dnnl_status_t, _ what: @autoclosure () -> String) throws(OneDNNError) {
    if status != dnnl_success { throw OneDNNError(what(), status: status) }
}
