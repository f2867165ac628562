import Engine

/// A learnable tensor with its gradient and the knobs the optimizer reads.
///
/// Names are not stored here: a parameter's hierarchical name (`trunk.conv1.weight`) comes from
/// its place in the layer tree (see `Layer.namedParameters()`), so moving a layer renames it.
public final class Parameter: @unchecked Sendable {
    /// The current value.
    public var value: Tensor
    /// The accumulated gradient (layers add into it; the optimizer zeroes it).
    public var grad: Tensor
    /// Whether the optimizer updates it and layers accumulate its gradient.
    public var trainable: Bool = true
    /// Multiplies the base learning rate (the paper: 10 for new parameters).
    public var lrMultiplier: Float = 1
    /// Multiplies the weight decay (0 for scales and biases where the recipe says so).
    public var decayMultiplier: Float = 1

    public init(_ value: Tensor) {
        self.value = value
        self.grad = Tensor(zeros: value.shape)
    }

    public var shape: [Int] { value.shape }

    /// Replaces the value (and resets the gradient) — the one path for loading and growth.
    public func replace(with newValue: Tensor) {
        value = newValue
        grad = Tensor(zeros: newValue.shape)
    }
}
