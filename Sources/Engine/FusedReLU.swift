import CKernels

/// A ReLU (ReLU6, …) that a convolution applies to each output as it stores it: min(max(v, 0), cap), NaN becoming 0 —
/// the values NN's `ReLU` gives — without the activation's own pass over the output (evaluation-mode fusion).
public struct FusedReLU: Sendable, Equatable {
    /// The upper clamp; +∞ for a plain ReLU.
    public let cap: Float

    public init(cap: Float = .infinity) { self.cap = cap }

    /// Runs `body` with the C kernels' form of `relu` (nil for none).
    static func withKernelForm<R>(_ relu: FusedReLU?, _ body: (UnsafePointer<GBReLU>?) -> R) -> R {
        guard let relu else { return body(nil) }
        return withUnsafePointer(to: GBReLU(cap: relu.cap)) { body($0) }
    }

    /// In place over y [rows, cols] (rows·cols floats), in parallel: the activation's own pass, for the kernels that
    /// cannot apply it as they store.
    static func apply(_ relu: FusedReLU, to y: UnsafeMutablePointer<Float>, rows: Int, cols: Int) {
        let yp = UncheckedSendable(y)
        parallelFor(rows, minPerThread: Swift.max(1, 65_536 / Swift.max(cols, 1))) { band in
            withKernelForm(relu) { r in
                let p = yp.value + band.lowerBound * cols
                gb_rows_bias_relu(p, cols, p, cols, band.count, cols, nil, r)
            }
        }
    }
}
