import Foundation
import Engine

/// Reading and writing a model's named tensors (parameters and buffers): the one verified path
/// by which weights enter a model.
public struct StateDictError: Error, CustomStringConvertible {
    public let description: String
}

extension Layer {
    /// Parameters and buffers by hierarchical name, in model order.
    public func stateDict() -> [(name: String, tensor: Tensor)] {
        namedParameters().map { ($0.name, $0.parameter.value) } + namedBuffers().map { ($0.name, $0.tensor) }
    }

    /// `stateDict()` by name (e.g. to load one model's weights into another of the same architecture).
    public func stateDictByName() -> [String: Tensor] {
        Dictionary(uniqueKeysWithValues: stateDict().map { ($0.name, $0.tensor) })
    }

    /// Copies `tensors` into this model's parameters and buffers.
    ///
    /// Strict loading refuses missing names, unused names and shape mismatches, listing them all,
    /// so a checkpoint for another architecture cannot load silently.
    public func load(_ tensors: [String: Tensor], strict: Bool = true, origin: String = "state dict") throws {
        let targets = stateDict()
        var problems: [String] = []
        let known = Set(targets.map(\.name))
        for (name, t) in targets {
            guard let source = tensors[name] else {
                if strict { problems.append("missing \(name) \(t.shape)") }
                continue
            }
            if source.shape != t.shape { problems.append("\(name): expected shape \(t.shape), file has \(source.shape)") }
        }
        if strict {
            for name in tensors.keys.sorted() where !known.contains(name) { problems.append("unexpected \(name)") }
        }
        guard problems.isEmpty else {
            throw StateDictError(description: "\(origin) does not fit this model: " + problems.prefix(12).joined(separator: "; ")
                                 + (problems.count > 12 ? "; … (\(problems.count) problems)" : ""))
        }
        for (name, t) in targets { if let source = tensors[name] { t.assign(source) } }
    }
}
