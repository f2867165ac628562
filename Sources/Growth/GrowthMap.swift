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

/// Copies `small` into the leading corner of `big` (same rank; each dimension of `small` ≤ `big`'s).
public func embedTopLeft(_ small: Tensor, into big: Tensor) {
    precondition(small.shape.count == big.shape.count && zip(small.shape, big.shape).allSatisfy { $0 <= $1 },
                 "embedTopLeft: \(small.shape) does not fit in \(big.shape)")
    if small.shape.count <= 1 { big.pointer.update(from: small.pointer, count: small.count); return }
    let rows = small.count / small.shape.last!, width = small.shape.last!, bigWidth = big.shape.last!
    // Rank-2 case (all FC parameters); higher ranks flatten leading dimensions the same way.
    precondition(small.shape.count == 2 || small.shape.dropLast() == big.shape.dropLast(), "embedTopLeft: unsupported \(small.shape) → \(big.shape)")
    for r in 0..<rows { (big.pointer + r * bigWidth).update(from: small.pointer + r * width, count: width) }
}
