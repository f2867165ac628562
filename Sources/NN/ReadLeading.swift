import Engine

/// Feeds a layer only the first `features` entries of axis 1 of its input (features of [N, F],
/// channels of [N, C, H, W]); the rest of the input is ignored and gets zero gradient.
///
/// The wrapped layer's parameters, buffers and children appear as this layer's own, so wrapping
/// renames nothing: growth wraps an old layer with it when the layer below was widened but the old
/// layer must keep reading only its original inputs (WWA: old FC7 reads FC6, not FC6+).
public final class ReadLeading: Layer {
    public let features: Int
    public let inner: Layer
    public var isTraining = true { didSet { inner.isTraining = isTraining } }
    public var needsInputGradient = true { didSet { inner.needsInputGradient = needsInputGradient } }
    private var inputShape: [Int] = []

    public init(_ features: Int, _ inner: Layer) {
        precondition(features > 0, "ReadLeading: features must be positive")
        self.features = features; self.inner = inner
    }

    public var localParameters: [(String, Parameter)] { inner.localParameters }
    public var localBuffers: [(String, Tensor)] { inner.localBuffers }
    public var children: [(String, Layer)] { inner.children }
    public var summary: String { "ReadLeading(\(features)) " + inner.summary }

    // x: [N, F, rest…] → inner([N, features, rest…])
    public func forward(_ x: Tensor) -> Tensor {
        checkShape(x.shape.count >= 2 && x.shape[1] >= features, summary, expected: "[N, ≥\(features), …]", actual: x.shape)
        inputShape = x.shape
        if x.shape[1] == features { return inner.forward(x) }
        let (n, f, inner) = (x.shape[0], x.shape[1], x.shape.dropFirst(2).reduce(1, *))
        let y = Tensor(uninitialized: [n, features] + x.shape.dropFirst(2))
        for i in 0..<n { (y.pointer + i * features * inner).update(from: x.pointer + i * f * inner, count: features * inner) }
        return self.inner.forward(y)
    }

    public func backward(_ dy: Tensor) -> Tensor {
        let g = inner.backward(dy)
        guard needsInputGradient else { return Tensor(zeros: [0]) }
        if inputShape[1] == features { return g }
        let (n, f, rest) = (inputShape[0], inputShape[1], inputShape.dropFirst(2).reduce(1, *))
        checkShape(g.count == n * features * rest, summary + " backward", expected: "[\(n), \(features), …]", actual: g.shape)
        let dx = Tensor(zeros: inputShape)
        for i in 0..<n { (dx.pointer + i * f * rest).update(from: g.pointer + i * features * rest, count: features * rest) }
        return dx
    }
}
