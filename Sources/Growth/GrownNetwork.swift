import Foundation
import Engine
import NN

/// The architecture of a network: a base model and the growth applied to it, in order.
/// Stored in every checkpoint; `build` rebuilds the grown architecture before weights load.
public struct NetworkSpec: Codable, Sendable, Equatable {
    /// The zoo id of the base architecture.
    public var architecture: String
    /// Per-example input shape [C, H, W].
    public var inputShape: [Int]
    /// Classes of the base model's classifier (the source task).
    public var baseClasses: Int
    /// The growth log.
    public var growth: [GrowthStep]

    public init(architecture: String, inputShape: [Int], baseClasses: Int, growth: [GrowthStep] = []) {
        self.architecture = architecture; self.inputShape = inputShape; self.baseClasses = baseClasses; self.growth = growth
    }

    /// Classes of the current classifier.
    public var classes: Int { growth.last { $0.operation == .newClassifier }?.units ?? baseClasses }
}

/// A model together with its architecture and growth. Growth is a pure transformation on it:
/// `grow` returns a new network (the old one is untouched) and the map that carries optimizer state.
public final class GrownNetwork {
    public let architecture: any GrowableArchitecture
    public let spec: NetworkSpec
    public let model: Sequential
    /// The architecture's roles in this (grown) network.
    public let roles: LayerRoles
    /// Where each tensor of this network came from in the base network as built (replayed from the growth log).
    public let origins: GrowthMap

    init(architecture: any GrowableArchitecture, spec: NetworkSpec, model: Sequential, roles: LayerRoles, origins: GrowthMap) {
        self.architecture = architecture; self.spec = spec; self.model = model; self.roles = roles; self.origins = origins
    }

    /// Builds `spec`: the base network of `architecture` (initialised from `seed`, or left for weights to be loaded
    /// into when `initialize` is false) with the growth log replayed on it.
    public convenience init(_ architecture: any GrowableArchitecture, spec: NetworkSpec, seed: UInt64 = 0, initialize: Bool = true) throws {
        guard spec.architecture == architecture.id else {
            throw GrowthError("the spec is for architecture '\(spec.architecture)', not '\(architecture.id)'")
        }
        let base = try architecture.build(inputShape: spec.inputShape, classes: spec.baseClasses, seed: seed, initialize: initialize)
        var replayed = spec
        replayed.growth = []
        var ctx = GrowthContext(model: base, roles: architecture.roles, inputShape: spec.inputShape,
                                copyOfCurrent: { try Self.twin(architecture, replayed, base) })
        var origins = GrowthMap(identity: base)
        for step in spec.growth {
            var s = step
            origins = origins.then(try Growth.apply(&s, to: &ctx))
            replayed.growth.append(s)
        }
        self.init(architecture: architecture, spec: spec, model: base, roles: ctx.roles, origins: origins)
    }

    /// A fresh base network.
    public static func base(_ architecture: any GrowableArchitecture, inputShape: [Int], classes: Int, seed: UInt64) throws -> GrownNetwork {
        try GrownNetwork(architecture, spec: NetworkSpec(architecture: architecture.id, inputShape: inputShape, baseClasses: classes), seed: seed)
    }

    /// A deep copy (same architecture, copied weights and buffers).
    public func clone() throws -> GrownNetwork {
        let copy = try GrownNetwork(architecture, spec: spec, initialize: false)
        try copy.model.load(Dictionary(uniqueKeysWithValues: model.stateDict().map { ($0.name, $0.tensor.copy()) }))
        return copy
    }

    /// Applies `steps` to a copy of this network. The returned map names, for each tensor of the new network,
    /// its source in this one, and lists the parameters growth created.
    public func grow(_ steps: [GrowthStep]) throws -> (GrownNetwork, GrowthMap) {
        let copy = try clone()
        var spec = self.spec
        var ctx = GrowthContext(model: copy.model, roles: roles, inputShape: spec.inputShape,
                                copyOfCurrent: { [architecture] in try Self.twin(architecture, spec, copy.model) })
        var map = GrowthMap(identity: copy.model)
        for step in steps {
            var s = step
            map = map.then(try Growth.apply(&s, to: &ctx))
            spec.growth.append(s)
        }
        return (GrownNetwork(architecture: architecture, spec: spec, model: copy.model, roles: ctx.roles, origins: origins.then(map)), map)
    }

    /// An independent network of `spec` holding `model`'s current weights.
    static func twin(_ architecture: any GrowableArchitecture, _ spec: NetworkSpec, _ model: Sequential) throws -> Sequential {
        let twin = try GrownNetwork(architecture, spec: spec, initialize: false).model
        try twin.load(model.stateDictByName())
        return twin
    }

    /// The layers a user can address by name (those with parameters, in the flattened order).
    public var layerNames: [String] { model.flattened().layers.filter { !$0.1.namedParameters().isEmpty }.map(\.0) }
}

/// Dispatch from a growth step to its operation.
enum Growth {
    /// Applies one step in place (used on copies only) and returns its map. `step` may be adjusted
    /// (net2net deepening raises units to the input width) and must be logged as adjusted.
    static func apply(_ step: inout GrowthStep, to ctx: inout GrowthContext) throws -> GrowthMap {
        switch step.operation {
        case .widen: return try Widen.apply(step, to: &ctx)
        case .deepen: return try Deepen.apply(&step, to: &ctx)
        case .newClassifier: return try NewClassifier.apply(step, to: &ctx)
        case .normalize: return try NormalizeTop.apply(step, to: &ctx)
        }
    }
}
