import Engine
import NN

/// What a growth operation did to the network's tensors: where each old parameter and buffer went, and
/// which parameters are new. Old tensors keep their values, either moved as they are or embedded as the
/// leading block of a larger successor (a consumer that reads more inputs). It carries optimizer state
/// across growth — an old parameter's state is copied into the leading block of its successor; new entries
/// start at zero — and lets the retention probe find the pre-trained units again. It is built from tensor
/// identity, never by parsing names.
public struct GrowthMap: Codable, Sendable, Equatable {
    /// New state-dict name → old state-dict name, for every parameter and buffer that existed before.
    public var sources: [String: String] = [:]
    /// Names of parameters created by growth (new units, new layers, scales γ, a new classifier).
    public var newParameters: Set<String> = []

    public init() {}

    /// The identity map of `model` (nothing grown yet).
    public init(identity model: Layer) {
        for (name, _) in model.stateDict() { sources[name] = name }
    }

    /// Runs `mutate` (which changes `model` in place and returns, for every tensor it replaced by a successor,
    /// the successor's identity → the old tensor) and maps the result back onto the state before.
    static func tracking(_ model: Layer, _ mutate: () throws -> [ObjectIdentifier: Tensor]) rethrows -> GrowthMap {
        // Old tensors stay alive until the end, so no new tensor can reuse an old one's identity.
        let old = model.stateDict()
        var before: [ObjectIdentifier: String] = [:]
        for (name, t) in old { before[ObjectIdentifier(t)] = name }
        let successors = try mutate()
        defer { withExtendedLifetime(old) {} }
        var map = GrowthMap()
        let parameters = Set(model.namedParameters().map(\.name))
        for (name, t) in model.stateDict() {
            let id = ObjectIdentifier(t)
            if let old = before[id] ?? successors[id].flatMap({ before[ObjectIdentifier($0)] }) { map.sources[name] = old }
            else if parameters.contains(name) { map.newParameters.insert(name) }
        }
        return map
    }

    /// Composes two maps: self (earlier) then `later`.
    public func then(_ later: GrowthMap) -> GrowthMap {
        var out = GrowthMap()
        for (new, mid) in later.sources {
            if let old = sources[mid] { out.sources[new] = old } else if newParameters.contains(mid) { out.newParameters.insert(new) }
        }
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
