import Engine

/// Keeps features `range` of [N, F] input: y = x[:, range]. Backward scatters into zeros.
///
/// Growth uses it so an old layer keeps reading only its original inputs when the layer below
/// was widened (WWA: old FC7 reads FC6, not FC6+).
public final class SelectFeatures: Layer {
    public let range: Range<Int>
    public var isTraining = true
    public var needsInputGradient = true
    private var inputShape: [Int] = []

    public init(_ range: Range<Int>) { self.range = range }
    public var summary: String { "SelectFeatures(\(range.lowerBound)..<\(range.upperBound))" }

    public func forward(_ x: Tensor) -> Tensor {
        checkShape(x.shape.count == 2 && x.shape[1] >= range.upperBound, summary,
                   expected: "[N, ≥\(range.upperBound)]", actual: x.shape)
        let (n, f, k) = (x.shape[0], x.shape[1], range.count)
        let y = Tensor(uninitialized: [n, k])
        for i in 0..<n { (y.pointer + i * k).update(from: x.pointer + i * f + range.lowerBound, count: k) }
        inputShape = x.shape
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor {
        let (n, f, k) = (inputShape[0], inputShape[1], range.count)
        checkShape(dy.shape == [n, k], summary + " backward", expected: "[\(n), \(k)]", actual: dy.shape)
        let dx = Tensor(zeros: inputShape)
        for i in 0..<n { (dx.pointer + i * f + range.lowerBound).update(from: dy.pointer + i * k, count: k) }
        return dx
    }
}
