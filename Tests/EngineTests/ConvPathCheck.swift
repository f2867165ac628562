import XCTest
@testable import Engine

/// Checks one convolution kernel family against the seven-loop `ConvReference` on random data:
/// forward (with and without bias), dx (must overwrite), dw and dbias (must accumulate: each is
/// run twice onto a non-zero start). Failures name the geometry, the first mismatch and max |diff|.
struct ConvPathCheck {
    typealias Forward = (_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                         _ y: UnsafeMutablePointer<Float>, _ g: ConvGeometry) -> Void
    typealias Backward = (_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                          _ dx: UnsafeMutablePointer<Float>, _ dw: UnsafeMutablePointer<Float>,
                          _ dbias: UnsafeMutablePointer<Float>, _ g: ConvGeometry) -> Void
    let forward: Forward
    let backward: Backward
    var atol: Float = 1e-4, rtol: Float = 1e-4

    func check(_ g: ConvGeometry, seed: UInt64, _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        var rng = RNG(seed: seed)
        let x = randomTensor([g.batch, g.inChannels, g.height, g.width], &rng)
        let w = randomTensor([g.outChannels, g.groupInChannels, g.kernelH, g.kernelW], &rng)
        let bias = randomTensor([g.outChannels], &rng)
        let yShape = [g.batch, g.outChannels, g.outHeight, g.outWidth]
        let what = "\(label) \(g) T\(Threads.count)"

        let yFast = Tensor(shape: yShape, repeating: 99), ySlow = Tensor(zeros: yShape)
        forward(x.pointer, w.pointer, bias.pointer, yFast.pointer, g)
        ConvReference.forward(x: x.pointer, w: w.pointer, bias: bias.pointer, y: ySlow.pointer, g)
        assertClose(yFast, ySlow, atol: atol, rtol: rtol, "forward \(what)", file: file, line: line)
        let yNoBias = Tensor(shape: yShape, repeating: 99), yNoBiasSlow = Tensor(zeros: yShape)
        forward(x.pointer, w.pointer, nil, yNoBias.pointer, g)
        ConvReference.forward(x: x.pointer, w: w.pointer, bias: nil, y: yNoBiasSlow.pointer, g)
        assertClose(yNoBias, yNoBiasSlow, atol: atol, rtol: rtol, "forward without bias \(what)", file: file, line: line)

        let dy = randomTensor(yShape, &rng)
        let dxSlow = Tensor(zeros: x.shape), dwSlow = Tensor(zeros: w.shape), dbSlow = Tensor(zeros: [g.outChannels])
        ConvReference.backward(x: x.pointer, w: w.pointer, dy: dy.pointer, dx: dxSlow.pointer, dw: dwSlow.pointer,
                               dbias: dbSlow.pointer, g)
        // Start dw and dbias at 1 and run backward twice: expect 1 + 2·reference.
        let dxFast = Tensor(shape: x.shape, repeating: 99)
        let dwFast = Tensor(shape: w.shape, repeating: 1), dbFast = Tensor(shape: [g.outChannels], repeating: 1)
        for _ in 0..<2 { backward(x.pointer, w.pointer, dy.pointer, dxFast.pointer, dwFast.pointer, dbFast.pointer, g) }
        for t in [dwSlow, dbSlow] { for i in 0..<t.count { t.pointer[i] = 1 + 2 * t.pointer[i] } }
        assertClose(dxFast, dxSlow, atol: atol, rtol: rtol, "dx \(what)", file: file, line: line)
        assertClose(dwFast, dwSlow, atol: 2 * atol, rtol: rtol, "dw (accumulated twice) \(what)", file: file, line: line)
        assertClose(dbFast, dbSlow, atol: 2 * atol, rtol: rtol, "dbias (accumulated twice) \(what)", file: file, line: line)
    }

    /// The geometry with TensorFlow "SAME" padding for its input size, kernel, stride and dilation.
    static func same(batch: Int, channels: Int, height: Int, width: Int, outChannels: Int? = nil, kernel: Int, stride: Int,
                     dilation: Int = 1, groups: Int? = nil) -> ConvGeometry {
        let (t, b) = ConvGeometry.samePadding(input: height, kernel: kernel, stride: stride, dilation: dilation)
        let (l, r) = ConvGeometry.samePadding(input: width, kernel: kernel, stride: stride, dilation: dilation)
        return ConvGeometry(batch: batch, inChannels: channels, height: height, width: width, outChannels: outChannels ?? channels,
                            kernel: (kernel, kernel), stride: (stride, stride), padding: (t, b, l, r),
                            dilation: (dilation, dilation), groups: groups ?? channels)
    }
}
