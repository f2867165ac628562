import Engine

/// A differentiable building block.
///
/// Contract: `forward` caches what `backward` needs; `backward(gradOutput)` returns the gradient
/// of the input and *adds* the parameters' gradients into `Parameter.grad` (only for trainable
/// parameters). One `backward` follows each training `forward`.
public protocol Layer: AnyObject {
    /// Parameters owned directly by this layer, by local name ("weight", "bias", "scale").
    var localParameters: [(String, Parameter)] { get }
    /// Non-learned state saved with the model (BatchNorm running statistics), by local name.
    var localBuffers: [(String, Tensor)] { get }
    /// Direct sub-layers, by local name ("conv1", "0", "fc7").
    var children: [(String, Layer)] { get }
    /// Training mode (batch statistics, dropout active) vs evaluation mode.
    var isTraining: Bool { get set }
    /// Whether `backward` must produce the input gradient (false for the first layer of a frozen trunk).
    var needsInputGradient: Bool { get set }

    func forward(_ x: Tensor) -> Tensor
    func backward(_ gradOutput: Tensor) -> Tensor
    /// A short description for `inspect` (e.g. "Conv2d(3→32, k3, s1, p1)").
    var summary: String { get }
}

/// A layer without parameters that computes the same deterministic function in training and in evaluation (activations,
/// pooling, reshaping): a frozen trunk's feature cache may precompute it (`FrozenPrefix`).
public protocol ModeIndependentLayer: Layer {}

extension Layer {
    public var localParameters: [(String, Parameter)] { [] }
    public var localBuffers: [(String, Tensor)] { [] }
    public var children: [(String, Layer)] { [] }

    /// Every buffer below this layer with its dotted hierarchical name.
    public func namedBuffers(prefix: String = "") -> [(name: String, tensor: Tensor)] {
        var out: [(String, Tensor)] = localBuffers.map { (prefix + $0.0, $0.1) }
        for (name, child) in children { out += child.namedBuffers(prefix: prefix + name + ".") }
        return out
    }

    /// Every parameter below this layer with its dotted hierarchical name, in a stable order.
    public func namedParameters(prefix: String = "") -> [(name: String, parameter: Parameter)] {
        var out: [(String, Parameter)] = localParameters.map { (prefix + $0.0, $0.1) }
        for (name, child) in children { out += child.namedParameters(prefix: prefix + name + ".") }
        return out
    }

    /// Every layer below (and including) this one with its dotted name ("" for self).
    public func namedLayers(prefix: String = "") -> [(name: String, layer: Layer)] {
        var out: [(String, Layer)] = [(prefix.isEmpty ? "" : String(prefix.dropLast()), self)]
        for (name, child) in children { out += child.namedLayers(prefix: prefix + name + ".") }
        return out
    }

    /// The layer at a dotted path, or nil.
    public func layer(at path: String) -> Layer? {
        if path.isEmpty { return self }
        var node: Layer = self
        for part in path.split(separator: ".") {
            guard let next = node.children.first(where: { $0.0 == part })?.1 else { return nil }
            node = next
        }
        return node
    }

    /// Sets training/evaluation mode on this layer and everything below.
    public func setTraining(_ on: Bool) {
        isTraining = on
        for (_, c) in children { c.setTraining(on) }
    }

    /// Sets `trainable` on every parameter whose name equals `prefix` or starts with `prefix + "."`
    /// (an empty prefix matches all). Returns how many parameters matched.
    @discardableResult
    public func setTrainable(_ on: Bool, prefix: String = "") -> Int {
        var n = 0
        for (name, p) in namedParameters() where prefix.isEmpty || name == prefix || name.hasPrefix(prefix + ".") {
            p.trainable = on; n += 1
        }
        return n
    }

    /// Zeroes every parameter gradient below this layer.
    public func zeroGradients() { for (_, p) in namedParameters() { p.grad.zero() } }

    /// Total and trainable parameter counts (in scalars).
    public var parameterCounts: (total: Int, trainable: Int) {
        var t = 0, tr = 0
        for (_, p) in namedParameters() { t += p.value.count; if p.trainable { tr += p.value.count } }
        return (t, tr)
    }
}

/// Precondition on a layer's input shape with a message naming the layer, expected and actual shapes.
@inline(__always)
func checkShape(_ ok: Bool, _ layer: @autoclosure () -> String, expected: @autoclosure () -> String, actual: [Int]) {
    if !ok { preconditionFailure("\(layer()): expected input \(expected()), got \(actual)") }
}
