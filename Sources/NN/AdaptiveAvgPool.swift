import Engine

/// Adaptive average pooling to a fixed output size, with PyTorch's bins (`nn.AdaptiveAvgPool2d`).
///
/// Shapes: x [N, C, H, W] → y [N, C, OH, OW]. Output row i averages input rows
/// floor(i·H/OH) ..< ceil((i+1)·H/OH), and columns likewise, so bins may overlap when H is not a
/// multiple of OH, and an input smaller than the output is replicated (1×1 → 7×7 copies the value,
/// what VGG's `avgpool` does on small images). Backward spreads each output gradient evenly over
/// its bin and sums where bins overlap.
public final class AdaptiveAvgPool2d: ModeIndependentLayer {
    public let outHeight: Int, outWidth: Int
    public var isTraining = true
    public var needsInputGradient = true
    private var inputShape: [Int] = []

    public init(outHeight: Int, outWidth: Int) {
        precondition(outHeight > 0 && outWidth > 0, "AdaptiveAvgPool2d: output size must be positive, got \(outHeight)×\(outWidth)")
        self.outHeight = outHeight; self.outWidth = outWidth
    }
    /// A square output (torchvision's `AdaptiveAvgPool2d((s, s))`).
    public convenience init(_ size: Int) { self.init(outHeight: size, outWidth: size) }
    public var summary: String { "AdaptiveAvgPool2d(\(outHeight)×\(outWidth))" }

    /// The input range of output index `i` when `size` inputs map to `count` outputs (PyTorch's rule).
    @inline(__always)
    static func bin(_ i: Int, size: Int, count: Int) -> Range<Int> {
        (i * size) / count ..< ((i + 1) * size + count - 1) / count
    }

    public func forward(_ x: Tensor) -> Tensor {
        checkShape(x.shape.count == 4 && x.shape[2] > 0 && x.shape[3] > 0, summary,
                   expected: "[N, C, H, W] with H, W ≥ 1", actual: x.shape)
        let (h, w) = (x.shape[2], x.shape[3])
        let y = Tensor(uninitialized: [x.shape[0], x.shape[1], outHeight, outWidth])
        let planes = x.shape[0] * x.shape[1]
        // x: [planes, H, W] → y: [planes, OH, OW]
        for p in 0..<planes {
            let xp = x.pointer + p * h * w, yp = y.pointer + p * outHeight * outWidth
            for i in 0..<outHeight {
                let rows = Self.bin(i, size: h, count: outHeight)
                for j in 0..<outWidth {
                    let cols = Self.bin(j, size: w, count: outWidth)
                    var s: Float = 0
                    for r in rows { for c in cols { s += xp[r * w + c] } }
                    yp[i * outWidth + j] = s / Float(rows.count * cols.count)
                }
            }
        }
        if isTraining { inputShape = x.shape }
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor {
        precondition(inputShape.count == 4, "\(summary): backward without a training forward")
        let (n, ch, h, w) = (inputShape[0], inputShape[1], inputShape[2], inputShape[3])
        checkShape(dy.shape == [n, ch, outHeight, outWidth], summary + " backward",
                   expected: "\([n, ch, outHeight, outWidth])", actual: dy.shape)
        guard needsInputGradient else { return Tensor(zeros: [0]) }
        let dx = Tensor(zeros: inputShape)
        // dy: [planes, OH, OW] → dx: [planes, H, W]
        for p in 0..<(n * ch) {
            let dxp = dx.pointer + p * h * w, dyp = dy.pointer + p * outHeight * outWidth
            for i in 0..<outHeight {
                let rows = Self.bin(i, size: h, count: outHeight)
                for j in 0..<outWidth {
                    let cols = Self.bin(j, size: w, count: outWidth)
                    let g = dyp[i * outWidth + j] / Float(rows.count * cols.count)
                    for r in rows { for c in cols { dxp[r * w + c] += g } }
                }
            }
        }
        return dx
    }
}
