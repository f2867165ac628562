/// How the weights of new units are initialised.
public enum NewUnitInit: String, Codable, Sendable, CaseIterable {
    /// Gaussian weights (std 0.01), zero bias — the paper's random initialisation.
    case random
    /// Copies of randomly chosen old units plus Gaussian noise (std 0.1 × the old weights' std) — the paper's ablation.
    case copyRand = "copy+rand"
    /// Function-preserving (Net2Net): widen by replicating units and dividing their outgoing weights;
    /// deepen with an identity-initialised layer.
    case net2net
}

/// One growth operation, as recorded in a model's growth log.
public struct GrowthStep: Codable, Sendable, Equatable {
    public enum Operation: String, Codable, Sendable {
        /// Put `units` new units beside layer `layer` (WA).
        case widen
        /// Insert a new layer `name` of `units` units after layer `layer` (DA).
        case deepen
        /// Replace the classifier with a new one for `units` classes (fine-tuning to a new task).
        case newClassifier
    }

    public var operation: Operation
    public var layer: String
    public var units: Int
    public var initialization: NewUnitInit
    /// L2-normalise old and new blocks separately and scale them by learned γ (paper Eqs. 1–2).
    public var normalize: Bool
    public var initialScale: Float
    /// Widen only: whether the next layer reads the new units. False for WWA's FC6+, which only FC7+ reads.
    public var consumerReadsNewUnits: Bool
    /// Deepen only: the new layer's name.
    public var name: String?
    public var seed: UInt64

    public init(operation: Operation, layer: String, units: Int, initialization: NewUnitInit = .random, normalize: Bool = true,
                initialScale: Float = 20, consumerReadsNewUnits: Bool = true, name: String? = nil, seed: UInt64) {
        self.operation = operation; self.layer = layer; self.units = units; self.initialization = initialization
        self.normalize = normalize; self.initialScale = initialScale; self.consumerReadsNewUnits = consumerReadsNewUnits
        self.name = name; self.seed = seed
    }

    public var summary: String {
        switch operation {
        case .widen: return "widen \(layer) by \(units) (\(initialization.rawValue)\(normalize ? ", norm γ₀=\(initialScale)" : ", no norm")\(consumerReadsNewUnits ? "" : ", consumer keeps old inputs"))"
        case .deepen: return "deepen: \(name ?? "?") of \(units) after \(layer) (\(initialization.rawValue)\(normalize ? ", norm γ₀=\(initialScale)" : ", no norm"))"
        case .newClassifier: return "new classifier for \(units) classes"
        }
    }
}

/// The paper's methods, as sequences of growth steps.
public enum GrowthMethod: String, Codable, Sendable, CaseIterable {
    /// Classic fine-tuning: only a new classifier.
    case ft
    /// Depth augmentation: FC_a of S units after FC7.
    case da
    /// Width augmentation: S new units beside FC7.
    case wa
    /// WA on FC7, then FC_a (S units) on [FC7, FC7+].
    case dwa
    /// FC6 widened by S/2 and FC7 by S; FC7+ reads [FC6, FC6+], old FC7 reads FC6 only.
    case wwa

    /// The steps for a target with `classes` classes.
    /// `widenLayer` is the layer WA widens: fc7 (the paper), fc6, or a convolution such as `trunk.conv3`.
    public func steps(units: Int, classes: Int, initialization: NewUnitInit, normalize: Bool, initialScale: Float, seed: UInt64,
                      widenLayer: String = "fc7") -> [GrowthStep] {
        func widen(_ layer: String, _ s: Int, consumer: Bool = true, _ k: UInt64) -> GrowthStep {
            GrowthStep(operation: .widen, layer: layer, units: s, initialization: initialization, normalize: normalize,
                       initialScale: initialScale, consumerReadsNewUnits: consumer, seed: seed &+ k)
        }
        let deepen = GrowthStep(operation: .deepen, layer: "fc7", units: units, initialization: initialization, normalize: normalize,
                                initialScale: initialScale, name: "fca", seed: seed &+ 3)
        let classifier = GrowthStep(operation: .newClassifier, layer: "fc8", units: classes, normalize: false, seed: seed &+ 4)
        switch self {
        case .ft: return [classifier]
        case .da: return [deepen, classifier]
        case .wa: return [widen(widenLayer, units, 1), classifier]
        case .dwa: return [widen("fc7", units, 1), deepen, classifier]
        case .wwa: return [widen("fc6", Swift.max(1, units / 2), consumer: false, 2), widen("fc7", units, 1), classifier]
        }
    }
}
