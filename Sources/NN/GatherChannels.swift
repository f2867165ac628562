import Engine

/// Picks entries of axis 1 by index, repeats allowed: y[:, j, …] = x[:, sources[j], …] for features [N, F]
/// or maps [N, C, H, W]. Backward adds each output's gradient into the entry it came from.
///
/// Growth uses it to make new units that replicate old ones computed by a copy of a whole stage.
public final class GatherChannels: Layer {
    public let sources: [Int]
    public var isTraining = true
    public var needsInputGradient = true
    private var inputShape: [Int] = []

    public init(_ sources: [Int]) {
        precondition(!sources.isEmpty && sources.allSatisfy { $0 >= 0 }, "GatherChannels: sources must be non-empty and non-negative")
        self.sources = sources
    }
    public var summary: String { "GatherChannels(\(sources.count) of axis 1)" }

    // x: [N, C, rest…] → y: [N, S, rest…]
    public func forward(_ x: Tensor) -> Tensor {
        let top = sources.max()!
        checkShape(x.shape.count >= 2 && x.shape[1] > top, summary, expected: "[N, >\(top), …]", actual: x.shape)
        let (n, c, inner, s) = (x.shape[0], x.shape[1], x.shape.dropFirst(2).reduce(1, *), sources.count)
        let y = Tensor(uninitialized: [n, s] + x.shape.dropFirst(2))
        for b in 0..<n {
            for (j, u) in sources.enumerated() {
                (y.pointer + (b * s + j) * inner).update(from: x.pointer + (b * c + u) * inner, count: inner)
            }
        }
        inputShape = x.shape
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor {
        let (n, c, inner, s) = (inputShape[0], inputShape[1], inputShape.dropFirst(2).reduce(1, *), sources.count)
        checkShape(dy.count == n * s * inner, summary + " backward", expected: "[\(n), \(s), …]", actual: dy.shape)
        let dx = Tensor(zeros: inputShape)
        for b in 0..<n {
            for (j, u) in sources.enumerated() {
                let src = dy.pointer + (b * s + j) * inner, dst = dx.pointer + (b * c + u) * inner
                for i in 0..<inner { dst[i] += src[i] }
            }
        }
        return dx
    }
}
