import Engine

/// Layers applied one after another. Children are named (e.g. "conv1", "fc7") or by index.
public final class Sequential: Layer {
    public private(set) var layers: [(String, Layer)]
    public var isTraining = true
    public var needsInputGradient = true { didSet { layers.first?.1.needsInputGradient = needsInputGradient } }

    public init(_ named: [(String, Layer)]) { layers = named }
    public convenience init(_ layers: [Layer]) { self.init(layers.enumerated().map { (String($0.offset), $0.element) }) }

    public var children: [(String, Layer)] { layers }
    public var summary: String { "Sequential(\(layers.count))" }

    /// Inserts a named layer at `index` (growth uses this for DA).
    public func insert(_ layer: Layer, named name: String, at index: Int) {
        precondition(!layers.contains { $0.0 == name }, "Sequential: duplicate layer name \(name)")
        layers.insert((name, layer), at: index)
    }
    /// Replaces the layer named `name`.
    public func replace(_ name: String, with layer: Layer) {
        guard let i = layers.firstIndex(where: { $0.0 == name }) else { preconditionFailure("Sequential: no layer \(name)") }
        layers[i] = (name, layer)
    }
    public func index(of name: String) -> Int? { layers.firstIndex { $0.0 == name } }
    /// Removes the layer named `name` (growth moves a conv's ReLU into its block).
    public func remove(_ name: String) {
        guard let i = index(of: name) else { preconditionFailure("Sequential: no layer \(name)") }
        layers.remove(at: i)
    }

    /// Backward stops at this layer index (layers below are frozen and need no gradient).
    public var backwardFloor = 0

    /// Indices of ReLUs the last training forward ran inside the max pool after them (skipped in backward).
    private var reluInPool: Set<Int> = []
    /// Indices of convolutions whose output the last training forward passed channel-blocked to the pool two layers up
    /// (their backward takes the pool's blocked gradient).
    private var blockedStages: Set<Int> = []

    /// Conv2d → BatchNorm → optional ReLU in evaluation mode runs fused (`ConvBatchNormInference`). In both modes a
    /// ReLU followed by a max pool runs inside the pool (`MaxPool2d.forward(_:relu:)`): the pool's output (and in
    /// training its gradient) are the pair's, without the ReLU's passes over the larger tensor. The layers' own modes
    /// decide, not this container's: a container made around layers already in evaluation mode (the evaluator's body
    /// of a network) fuses them too. A convolution before such a pair, on oneDNN with a channel-blocked output, hands
    /// the pool its output as written (`ChannelBlocked`): no reorders between them in either direction.
    public func forward(_ x: Tensor) -> Tensor {
        var fused: Set<Int> = [], stages: Set<Int> = []
        var h = x, i = 0
        while i < layers.count {
            if let (conv, relu, pool) = blockedStage(at: i), let y = conv.forwardBlocked(h) {
                h = pool.forward(y, relu: relu)
                if pool.isTraining { stages.insert(i) }
                i += 3
                continue
            }
            if let conv = layers[i].1 as? Conv2d, !conv.isTraining, i + 1 < layers.count, let bn = layers[i + 1].1 as? BatchNorm {
                let relu = i + 2 < layers.count ? layers[i + 2].1 as? ReLU : nil
                if ConvBatchNormInference.applies(conv, bn, relu) {
                    h = ConvBatchNormInference.forward(conv, bn, relu, h)
                    i += relu == nil ? 2 : 3
                    continue
                }
            }
            if let (relu, pool) = reluBeforePool(at: i) {
                h = pool.forward(h, relu: relu)
                if pool.isTraining { fused.insert(i) }
                i += 2
                continue
            }
            h = layers[i].1.forward(h)
            i += 1
        }
        // An evaluation between a training forward and its backward keeps the training forward's sets.
        if isTraining || !fused.isEmpty || !stages.isEmpty { (reluInPool, blockedStages) = (fused, stages) }
        return h
    }

    /// A convolution at `i` before a ReLU → 2×2 max pool pair, all in one mode: a stage if oneDNN writes the
    /// convolution's output channel-blocked (`Conv2d.forwardBlocked`).
    private func blockedStage(at i: Int) -> (Conv2d, FusedReLU, MaxPool2d)? {
        guard let conv = layers[i].1 as? Conv2d, let (relu, pool) = reluBeforePool(at: i + 1), pool.isPlain2x2,
              conv.isTraining == pool.isTraining else { return nil }
        return (conv, relu, pool)
    }

    /// A ReLU at `i` followed by a max pool in the same mode: the pool with the ReLU's clamp.
    func reluBeforePool(at i: Int) -> (FusedReLU, MaxPool2d)? {
        guard i + 1 < layers.count, let relu = layers[i].1 as? ReLU, let pool = layers[i + 1].1 as? MaxPool2d,
              relu.isTraining == pool.isTraining else { return nil }
        return (FusedReLU(cap: relu.cap ?? .infinity), pool)
    }

    public func backward(_ dy: Tensor) -> Tensor {
        var g = dy, i = layers.count - 1
        while i >= backwardFloor {
            if blockedStages.contains(i - 2), let conv = layers[i - 2].1 as? Conv2d, let pool = layers[i].1 as? MaxPool2d {
                // Below the floor, the stage's convolution needs no gradient, and nothing under the floor does.
                guard i - 2 >= backwardFloor else { break }
                g = conv.backward(blocked: pool.backwardBlocked(g))
                i -= 3
                continue
            }
            if !reluInPool.contains(i) { g = layers[i].1.backward(g) }
            i -= 1
        }
        return backwardFloor == 0 ? g : Tensor(zeros: [0])
    }
}

/// Branches that read the same input, joined by concatenation along axis 1 (channels or features).
/// Shapes: x → [N, ΣCᵢ, …] where branch i gives [N, Cᵢ, …] with equal trailing dimensions.
public final class Parallel: Layer {
    public private(set) var branches: [(String, Layer)]
    public var isTraining = true
    public var needsInputGradient = true { didSet { for (_, b) in branches { b.needsInputGradient = needsInputGradient } } }
    /// Output width of each branch at the last forward (for per-block analyses).
    public private(set) var widths: [Int] = []

    public init(_ branches: [(String, Layer)]) { self.branches = branches }
    public var children: [(String, Layer)] { branches }
    public var summary: String { "Parallel(\(branches.map(\.0).joined(separator: ", ")) → concat)" }

    public func forward(_ x: Tensor) -> Tensor {
        let outs = branches.map { $0.1.forward(x) }
        widths = outs.map { $0.shape[1] }
        return Concat.forward(outs, layer: summary)
    }

    public func backward(_ dy: Tensor) -> Tensor {
        let parts = Concat.split(dy, widths: widths)
        var dx: Tensor?
        for ((_, b), d) in zip(branches, parts) {
            let g = b.backward(d)
            if !needsInputGradient { continue }
            if let acc = dx { axpy(acc.count, 1, g.pointer, acc.pointer) } else { dx = g.copy() }
        }
        return dx ?? Tensor(zeros: [0])
    }
}

/// A residual block: y = after(body(x) + shortcut(x)), the shortcut being identity when nil and
/// `after` (e.g. the ReLU of a ResNet basic block) optional.
///
/// Naming: by default the children are `body` and `shortcut`. With `inlineBody`, the body's own
/// children appear directly under the block and the shortcut under `shortcutName`, so a torchvision
/// `BasicBlock` reads `conv1, bn1, relu, conv2, bn2, downsample` and its state dict matches exactly.
public final class Residual: Layer {
    public let body: Layer
    public let shortcut: Layer?
    public let after: Layer?
    public let shortcutName: String
    public let inlineBody: Bool
    /// Passed to the body as well: with an inlined body, `setTraining` walks the body's layers but not the body
    /// itself, whose own flag decides whether it runs its evaluation-mode fusions.
    public var isTraining = true { didSet { body.isTraining = isTraining } }
    public var needsInputGradient = true {
        didSet { body.needsInputGradient = needsInputGradient; shortcut?.needsInputGradient = needsInputGradient }
    }

    public init(body: Layer, shortcut: Layer? = nil, after: Layer? = nil, shortcutName: String = "shortcut", inlineBody: Bool = false) {
        precondition(!inlineBody || body is Sequential, "Residual: inlineBody needs a Sequential body")
        self.body = body; self.shortcut = shortcut; self.after = after; self.shortcutName = shortcutName; self.inlineBody = inlineBody
    }
    public var children: [(String, Layer)] {
        var out: [(String, Layer)] = inlineBody ? (body as! Sequential).layers : [("body", body)]
        if let shortcut { out.append((shortcutName, shortcut)) }
        if let after { out.append(("after", after)) }
        return out
    }
    public var summary: String { "Residual(\(shortcut == nil ? "identity" : "projection") shortcut\(after.map { ", then " + $0.summary } ?? ""))" }

    public func forward(_ x: Tensor) -> Tensor {
        let a = body.forward(x)
        let b = shortcut?.forward(x) ?? x
        checkShape(a.shape == b.shape, summary, expected: "shortcut shape \(a.shape)", actual: b.shape)
        let sum = Add.forward(a, b)
        return after?.forward(sum) ?? sum
    }

    public func backward(_ dy: Tensor) -> Tensor {
        let dSum = after?.backward(dy) ?? dy
        let dBody = body.backward(dSum)
        guard needsInputGradient else { _ = shortcut?.backward(dSum); return Tensor(zeros: [0]) }
        let dShort = shortcut?.backward(dSum) ?? dSum
        return Add.forward(dBody, dShort)
    }
}

/// Elementwise sum of two equal-shaped tensors (the residual add); its backward is the identity to both.
public enum Add {
    public static func forward(_ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.shape == b.shape, "Add: shapes differ: \(a.shape) vs \(b.shape)")
        let y = Tensor(uninitialized: a.shape)
        let (ap, bp, yp) = (a.pointer, b.pointer, y.pointer)
        parallelFor(a.count, minPerThread: 1 << 20) { r in for i in r { yp[i] = ap[i] + bp[i] } }
        return y
    }
}

/// Concatenation along axis 1 and its adjoint (split).
public enum Concat {
    /// parts[i]: [N, Cᵢ, rest…] → [N, ΣCᵢ, rest…].
    public static func forward(_ parts: [Tensor], layer: String = "Concat") -> Tensor {
        guard let first = parts.first else { preconditionFailure("\(layer): nothing to concatenate") }
        let n = first.shape[0], rest = Array(first.shape.dropFirst(2)), inner = rest.reduce(1, *)
        for p in parts {
            checkShape(p.shape.count == first.shape.count && p.shape[0] == n && Array(p.shape.dropFirst(2)) == rest,
                       layer, expected: "[\(n), C, \(rest.map(String.init).joined(separator: ", "))]", actual: p.shape)
        }
        let total = parts.reduce(0) { $0 + $1.shape[1] }
        let y = Tensor(uninitialized: [n, total] + rest)
        var offset = 0
        for p in parts {
            let block = p.shape[1] * inner
            for b in 0..<n { (y.pointer + b * total * inner + offset).update(from: p.pointer + b * block, count: block) }
            offset += block
        }
        return y
    }

    /// The adjoint: dy [N, ΣCᵢ, rest…] → parts [N, Cᵢ, rest…].
    public static func split(_ dy: Tensor, widths: [Int]) -> [Tensor] {
        let n = dy.shape[0], rest = Array(dy.shape.dropFirst(2)), inner = rest.reduce(1, *), total = dy.shape[1]
        precondition(widths.reduce(0, +) == total, "Concat.split: widths \(widths) do not sum to \(total)")
        var offset = 0
        return widths.map { w in
            let part = Tensor(uninitialized: [n, w] + rest)
            for b in 0..<n { (part.pointer + b * w * inner).update(from: dy.pointer + b * total * inner + offset, count: w * inner) }
            offset += w * inner
            return part
        }
    }
}

extension Sequential {
    /// The same network as one flat `Sequential` of its leaves: nested `Sequential`s are expanded,
    /// every other layer (Residual, Parallel, a grown block, …) is one entry. Entries are named by
    /// their full dotted path, so parameter names are exactly the original ones; layers are shared,
    /// not copied. Training, freezing by depth and feature caching run on this view, which lets
    /// them split a network inside a nested stage (e.g. between VGG's `classifier.3` and `.4`).
    public func flattened() -> Sequential {
        func leaves(_ s: Sequential, _ prefix: String) -> [(String, Layer)] {
            s.layers.flatMap { name, layer -> [(String, Layer)] in
                let path = prefix + name
                if let inner = layer as? Sequential { return leaves(inner, path + ".") }
                return [(path, layer)]
            }
        }
        let flat = Sequential(leaves(self, ""))
        flat.isTraining = isTraining
        return flat
    }
}
