import Engine
import NN

/// What a growth operation did to the parameters: where each old parameter went, and which
/// parameters are new. It carries optimizer state across growth: an old parameter's momentum is
/// copied into the top-left corner of its (possibly larger) successor; new entries start at zero.
public struct GrowthMap: Sendable {
    /// New name → old name, for every parameter that existed before (renamed or reshaped).
    public var sources: [String: String] = [:]
    /// Names of parameters created by growth (new units, new layers, scales γ, a new classifier).
    public var newParameters: Set<String> = []

    public init() {}

    /// The map of a step that grew `model` in place: parameters under `layer.new.` are new; those under
    /// `layer.<oldPath>.` came from `layer.` (the block was moved into the old branch); any other came from
    /// the same name if it existed before (`namesBefore`), else it is new.
    init(after model: Layer, namesBefore: Set<String>, movedInto layer: String? = nil, oldPath: String = "old") {
        for (name, _) in model.namedParameters() {
            var oldName = name
            if let layer {
                if name.hasPrefix(layer + ".new.") { newParameters.insert(name); continue }
                let moved = layer + "." + oldPath + "."
                if name.hasPrefix(moved) { oldName = layer + "." + name.dropFirst(moved.count) }
            }
            if namesBefore.contains(oldName) { sources[name] = oldName } else { newParameters.insert(name) }
        }
    }

    /// Composes two maps: self (earlier) then `later`.
    public func then(_ later: GrowthMap) -> GrowthMap {
        var out = GrowthMap()
        for (new, mid) in later.sources { if let old = sources[mid] { out.sources[new] = old } else if newParameters.contains(mid) { out.newParameters.insert(new) } }
        out.newParameters.formUnion(later.newParameters)
        return out
    }

    /// Momentum (or any per-parameter state) for the grown model, from the state of the old one.
    public func carry(_ state: [String: Tensor], into model: Layer) -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (name, p) in model.namedParameters() {
            let t = Tensor(zeros: p.shape)
            if let old = sources[name], let s = state[old] { embedTopLeft(s, into: t) }
            out[name] = t
        }
        return out
    }
}

/// Copies `small` into the leading block of each row of `big`. Rows are the first dimension; the rest of
/// each row is viewed flat, so a consumer that was widened to read more inputs ([out, in] → [out, in+S],
/// or [O, C, k, k] → [O, C+S, k, k], new inputs appended per row) keeps its old values in place.
/// Rank 1 copies the prefix.
public func embedTopLeft(_ small: Tensor, into big: Tensor) {
    if small.shape.count <= 1 {
        precondition(small.count <= big.count && small.shape.count == big.shape.count, "embedTopLeft: \(small.shape) does not fit in \(big.shape)")
        big.pointer.update(from: small.pointer, count: small.count)
        return
    }
    let (rows, width, bigWidth) = leadingLayout(small: small.shape, big: big.shape)
    for r in 0..<rows { (big.pointer + r * bigWidth).update(from: small.pointer + r * width, count: width) }
}

/// The inverse of `embedTopLeft`: the leading block of each row of `big`, as a tensor of `shape`;
/// nil when `shape` is not such a block of `big`.
public func leadingBlock(_ big: Tensor, shape: [Int]) -> Tensor? {
    guard big.shape.count == shape.count, shape.count >= 2, big.shape[0] >= shape[0],
          zip(shape, big.shape).allSatisfy({ $0 <= $1 }), shape.dropFirst(2) == big.shape.dropFirst(2) else { return nil }
    let (rows, width, bigWidth) = leadingLayout(small: shape, big: big.shape)
    let out = Tensor(uninitialized: shape)
    for r in 0..<rows { (out.pointer + r * width).update(from: big.pointer + r * bigWidth, count: width) }
    return out
}

/// (rows, floats per small row, floats per big row); only the first two dimensions may differ.
private func leadingLayout(small: [Int], big: [Int]) -> (Int, Int, Int) {
    precondition(small.count == big.count && zip(small, big).allSatisfy { $0 <= $1 } && small.dropFirst(2) == big.dropFirst(2),
                 "embedTopLeft: \(small) is not a leading block of \(big)")
    return (small[0], small.dropFirst().reduce(1, *), big.dropFirst().reduce(1, *))
}
