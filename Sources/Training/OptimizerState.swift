import Engine
import NN

/// An optimizer's per-parameter state as a named map: slot name → parameter name → tensor.
///
/// Slots: SGD keeps `velocity`; AdamW keeps `exp_avg`, `exp_avg_sq` (both shaped like the parameter)
/// and `step` (a [1] tensor holding that parameter's update count, as PyTorch stores it). Growth
/// carries the map to a grown model (`carried(by:sources:)`); checkpoints store it flat as
/// `optimizer.<slot>.<parameter>` (`tensors(prefix:)` / `init(kind:tensors:prefix:)`).
/// Slot names contain no dot; parameter names may.
public struct OptimizerState: Sendable {
    /// The optimizer kind this state belongs to: an `OptimizerKind` raw value ("sgd", "adamw").
    public var kind: String
    /// Slot name → parameter name → tensor.
    public var slots: [String: [String: Tensor]]

    public init(kind: String, slots: [String: [String: Tensor]] = [:]) {
        self.kind = kind; self.slots = slots
    }

    /// Slots holding one number per parameter (a [1] tensor) rather than a tensor shaped like it.
    public static let scalarSlots: Set<String> = ["step"]
    /// The largest count a scalar slot holds exactly (2²⁴, as a float32, like PyTorch's step tensor).
    static let maximumCount: Float = 16_777_216
    /// The prefix of the flat tensor names in a checkpoint.
    public static let defaultPrefix = "optimizer."

    /// The state flat, as `<prefix><slot>.<parameter>` → tensor, sorted by name (for a checkpoint).
    public func tensors(prefix: String = defaultPrefix) -> [(name: String, tensor: Tensor)] {
        slots.flatMap { slot, entries in entries.map { (name: prefix + slot + "." + $0.key, tensor: $0.value) } }
            .sorted { $0.name < $1.name }
    }

    /// Reads the flat form back: every tensor whose name starts with `prefix` (others, such as the
    /// weights of the same file, are skipped). A name under the prefix must be `<slot>.<parameter>`.
    public init(kind: String, tensors: [String: Tensor], prefix: String = defaultPrefix) throws {
        var slots: [String: [String: Tensor]] = [:]
        var malformed: [String] = []
        for (key, tensor) in tensors where key.hasPrefix(prefix) {
            let rest = key.dropFirst(prefix.count)
            guard let dot = rest.firstIndex(of: "."), dot != rest.startIndex, rest.index(after: dot) != rest.endIndex else {
                malformed.append(key); continue
            }
            slots[String(rest[..<dot]), default: [:]][String(rest[rest.index(after: dot)...])] = tensor
        }
        guard malformed.isEmpty else {
            throw OptimizerStateError(description: "optimizer state: tensor names \(malformed.sorted()) are not of the form \(prefix)<slot>.<parameter>")
        }
        self.init(kind: kind, slots: slots)
    }

    /// The state with every slot's map replaced by `transform(slot, map)`.
    public func mapSlots(_ transform: (_ slot: String, _ tensors: [String: Tensor]) throws -> [String: Tensor]) rethrows -> OptimizerState {
        var out = OptimizerState(kind: kind)
        for (slot, entries) in slots { out.slots[slot] = try transform(slot, entries) }
        return out
    }

    /// The state for a transformed (e.g. grown) model. Slots shaped like parameters go through `carry`,
    /// which maps old names to new names and old tensors into the new shapes (growth's
    /// `GrowthMap.carry(_:into:)`: old values in the leading block, new entries zero). Scalar slots (the
    /// step count) follow `sources` (new name → old name); a parameter without a source has no entry and
    /// so starts fresh.
    public func carried(by carry: ([String: Tensor]) -> [String: Tensor], sources: [String: String]) -> OptimizerState {
        mapSlots { slot, entries in
            guard Self.scalarSlots.contains(slot) else { return carry(entries) }
            var out: [String: Tensor] = [:]
            for (new, old) in sources { if let t = entries[old] { out[new] = t.copy() } }
            return out
        }
    }

    /// Checks the state against an optimizer of `kind` keeping `expected` slots for `parameters`, and
    /// returns copies of the entries of those parameters by slot (entries of other parameters are dropped).
    /// Every problem is named in one thrown error: wrong kind, unknown slot, wrong shape.
    func validated(for kind: OptimizerKind, slots expected: [String],
                   parameters: [(name: String, parameter: Parameter)]) throws -> [String: [String: Tensor]] {
        let owner = "\(kind.rawValue) optimizer state"
        guard self.kind == kind.rawValue else {
            throw OptimizerStateError(description: "\(owner): the state given is of kind \"\(self.kind)\"; start the optimizer fresh instead of restoring another kind's state")
        }
        var problems: [String] = []
        let unknown = Set(slots.keys).subtracting(expected)
        if !unknown.isEmpty { problems.append("unknown slots \(unknown.sorted()) (expected \(expected))") }
        var out: [String: [String: Tensor]] = [:]
        for slot in expected {
            guard let entries = slots[slot] else { continue }
            let scalar = Self.scalarSlots.contains(slot)
            for (name, p) in parameters {
                guard let t = entries[name] else { continue }
                let shape = scalar ? [1] : p.shape
                if t.shape != shape {
                    problems.append("\(slot) of \(name): expected shape \(shape)\(scalar ? "" : " (the parameter's)"), got \(t.shape)")
                } else if scalar && (!(0...Self.maximumCount).contains(t.pointer[0]) || t.pointer[0].rounded() != t.pointer[0]) {
                    problems.append("\(slot) of \(name): expected a whole number in 0...\(Int(Self.maximumCount)), got \(t.pointer[0])")
                } else {
                    out[slot, default: [:]][name] = t.copy()
                }
            }
        }
        guard problems.isEmpty else { throw OptimizerStateError(description: "\(owner): " + problems.joined(separator: "; ")) }
        return out
    }
}

/// A state that does not fit the optimizer or is malformed; the description names each problem.
public struct OptimizerStateError: Error, CustomStringConvertible, Sendable {
    public let description: String
}
