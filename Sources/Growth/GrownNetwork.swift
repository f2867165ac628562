import Foundation
import Engine
import NN

/// The architecture of a network: a base model and the growth applied to it, in order.
/// Stored in every checkpoint; `build()` rebuilds the grown architecture before weights load.
public struct NetworkSpec: Codable, Sendable, Equatable {
    public var architecture: String
    /// Per-example input shape [C, H, W].
    public var inputShape: [Int]
    /// Classes of the base model's classifier (the source task).
    public var baseClasses: Int
    /// The growth log.
    public var growth: [GrowthStep]

    public init(architecture: String = MiniAlexNet.name, inputShape: [Int], baseClasses: Int, growth: [GrowthStep] = []) {
        self.architecture = architecture; self.inputShape = inputShape; self.baseClasses = baseClasses; self.growth = growth
    }

    /// Builds the base model (initialised from `seed`) and replays the growth log on it.
    public func build(seed: UInt64 = 0) throws -> Sequential {
        guard architecture == MiniAlexNet.name else {
            throw GrowthError("unknown architecture '\(architecture)'; this version knows \(MiniAlexNet.name)")
        }
        let model = MiniAlexNet.build(inputShape: inputShape, classes: baseClasses, seed: seed)
        for step in growth { var s = step; _ = try Growth.apply(&s, to: model, inputShape: inputShape) }
        return model
    }

    /// Classes of the current classifier.
    public var classes: Int { growth.last { $0.operation == .newClassifier }?.units ?? baseClasses }
}

/// A model together with its architecture spec. Growth is a pure transformation on it:
/// `grow` returns a new network (the old one is untouched) and the map that carries optimizer state.
public final class GrownNetwork {
    public let spec: NetworkSpec
    public let model: Sequential

    public init(spec: NetworkSpec, model: Sequential) { self.spec = spec; self.model = model }

    /// A fresh base network.
    public static func base(inputShape: [Int], classes: Int, seed: UInt64) throws -> GrownNetwork {
        let spec = NetworkSpec(inputShape: inputShape, baseClasses: classes)
        return GrownNetwork(spec: spec, model: try spec.build(seed: seed))
    }

    /// A deep copy (same architecture, copied weights and buffers).
    public func clone() throws -> GrownNetwork {
        let copy = try spec.build()
        try copy.load(Dictionary(uniqueKeysWithValues: model.stateDict().map { ($0.name, $0.tensor.copy()) }))
        return GrownNetwork(spec: spec, model: copy)
    }

    /// Applies `steps` to a copy of this network. The returned map names, for each parameter of the
    /// new network, its source in this one, and lists the parameters growth created.
    public func grow(_ steps: [GrowthStep]) throws -> (GrownNetwork, GrowthMap) {
        let copy = try clone()
        var map = GrowthMap()
        for (n, _) in copy.model.namedParameters() { map.sources[n] = n }
        var applied: [GrowthStep] = []
        for step in steps {
            var s = step
            map = map.then(try Growth.apply(&s, to: copy.model, inputShape: spec.inputShape))
            applied.append(s)
        }
        var spec = self.spec
        spec.growth += applied
        return (GrownNetwork(spec: spec, model: copy.model), map)
    }
}

/// Dispatch from a growth step to its operation.
public enum Growth {
    /// Applies one step in place (used on copies only) and returns its map. `step` may be adjusted
    /// (net2net deepening raises units to the input width) and must be logged as adjusted.
    public static func apply(_ step: inout GrowthStep, to model: Sequential, inputShape: [Int]) throws -> GrowthMap {
        switch step.operation {
        case .widen: return try Widen.apply(step, to: model, inputShape: inputShape)
        case .deepen: return try Deepen.apply(&step, to: model, inputShape: inputShape)
        case .newClassifier: return try NewClassifier.apply(step, to: model, inputShape: inputShape)
        }
    }
}
