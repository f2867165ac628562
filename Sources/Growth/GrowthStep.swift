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

/// Which layer a growth step acts on: one of the architecture's roles, or a layer named by path
/// (its producer; the span runs on over the BatchNorm and activation that follow it).
public enum GrowthTarget: Codable, Sendable, Equatable, CustomStringConvertible {
    case top
    case belowTop
    case layer(String)

    public var description: String {
        switch self { case .top: "the top layer (FC7)"; case .belowTop: "the layer below the top (FC6)"; case .layer(let p): p }
    }
}

/// One growth operation, as recorded in a model's growth log.
public struct GrowthStep: Codable, Sendable, Equatable {
    public enum Operation: String, Codable, Sendable {
        /// Put `units` new units beside the target (WA).
        case widen
        /// Insert a new layer of `units` units after the target (DA).
        case deepen
        /// Replace the classifier with a new one for `units` classes (fine-tuning to a new task).
        case newClassifier
        /// L2-normalise the target's output and scale it by learned γ, adding no units (the FT+norm control:
        /// WA's scaling without WA's new units).
        case normalize
    }

    public var operation: Operation
    public var target: GrowthTarget
    public var units: Int
    public var initialization: NewUnitInit
    /// L2-normalise old and new blocks separately and scale them by learned γ (paper Eqs. 1–2).
    public var normalize: Bool
    public var initialScale: Float
    /// Widen only: whether the next layer reads the new units. False for WWA's FC6+, which only FC7+ reads.
    public var consumerReadsNewUnits: Bool
    /// Widen only, for layers followed by pooling: normalise each block per spatial location before the pooling
    /// instead of the pooled vectors (the default, which normalises exactly the features the classifier reads).
    public var normalizePerLocation: Bool
    /// Widen only: the new units read their input as the blocks of the widened layer below it, each L2-normalised
    /// and scaled on its own (WWA's FC7+ reading [FC6, FC6+], which the old FC7 reads raw).
    public var normalizeInputBlocks: Bool
    public var seed: UInt64

    public init(operation: Operation, target: GrowthTarget, units: Int, initialization: NewUnitInit = .random, normalize: Bool = true,
                initialScale: Float = 20, consumerReadsNewUnits: Bool = true, normalizePerLocation: Bool = false,
                normalizeInputBlocks: Bool = false, seed: UInt64) {
        self.operation = operation; self.target = target; self.units = units; self.initialization = initialization
        self.normalize = normalize; self.initialScale = initialScale; self.consumerReadsNewUnits = consumerReadsNewUnits
        self.normalizePerLocation = normalizePerLocation; self.normalizeInputBlocks = normalizeInputBlocks; self.seed = seed
    }

    enum CodingKeys: String, CodingKey {
        case operation, target, units, initialization, normalize, initialScale, consumerReadsNewUnits, normalizePerLocation, normalizeInputBlocks, seed
    }

    /// Growth logs written before `normalizeInputBlocks` existed decode with it off.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        operation = try c.decode(Operation.self, forKey: .operation)
        target = try c.decode(GrowthTarget.self, forKey: .target)
        units = try c.decode(Int.self, forKey: .units)
        initialization = try c.decode(NewUnitInit.self, forKey: .initialization)
        normalize = try c.decode(Bool.self, forKey: .normalize)
        initialScale = try c.decode(Float.self, forKey: .initialScale)
        consumerReadsNewUnits = try c.decode(Bool.self, forKey: .consumerReadsNewUnits)
        normalizePerLocation = try c.decode(Bool.self, forKey: .normalizePerLocation)
        normalizeInputBlocks = try c.decodeIfPresent(Bool.self, forKey: .normalizeInputBlocks) ?? false
        seed = try c.decode(UInt64.self, forKey: .seed)
    }

    public var summary: String {
        let norm = normalize ? ", norm γ₀=\(initialScale)\(normalizePerLocation ? " per location" : "")" : ", no norm"
        switch operation {
        case .widen:
            let reads = normalizeInputBlocks ? ", new units read the blocks below each normalised" : ""
            return "widen \(target) by \(units) (\(initialization.rawValue)\(norm)\(consumerReadsNewUnits ? "" : ", consumer keeps old inputs")\(reads))"
        case .deepen: return "deepen: new layer of \(units) after \(target) (\(initialization.rawValue)\(norm))"
        case .newClassifier: return "new classifier for \(units) classes"
        case .normalize: return "normalise \(target) (γ₀=\(initialScale), no new units)"
        }
    }
}

/// The paper's methods, as sequences of growth steps on an architecture's roles.
public enum GrowthMethod: String, Codable, Sendable, CaseIterable {
    /// Classic fine-tuning: only a new classifier.
    case ft
    /// Depth augmentation: FC_a of S units after the top layer (FC7).
    case da
    /// Width augmentation: S new units beside the top layer (FC7).
    case wa
    /// WA on the top layer, then FC_a (S units) on [FC7, FC7+].
    case dwa
    /// The layer below the top (FC6) widened by S/2 and the top by S: old FC7 reads FC6 as before (raw), FC7+ reads
    /// [FC6, FC6+] with each block normalised; FC7 and FC7+ are normalised as in WA.
    case wwa
    /// Control: classic fine-tuning with the top layer (FC7) L2-normalised and scaled as WA's blocks are, no new units.
    case ftNorm = "ft+norm"

    /// The steps for a target with `classes` classes. `widen` is what WA widens (the top layer in the paper).
    public func steps(units: Int, classes: Int, initialization: NewUnitInit, normalize: Bool, initialScale: Float, seed: UInt64,
                      widen target: GrowthTarget = .top, normalizePerLocation: Bool = false) -> [GrowthStep] {
        func widen(_ t: GrowthTarget, _ s: Int, consumer: Bool = true, readsBlocks: Bool = false, _ k: UInt64) -> GrowthStep {
            GrowthStep(operation: .widen, target: t, units: s, initialization: initialization, normalize: normalize,
                       initialScale: initialScale, consumerReadsNewUnits: consumer, normalizePerLocation: normalizePerLocation,
                       normalizeInputBlocks: readsBlocks && normalize, seed: seed &+ k)
        }
        let deepen = GrowthStep(operation: .deepen, target: .top, units: units, initialization: initialization, normalize: normalize,
                                initialScale: initialScale, seed: seed &+ 3)
        let classifier = GrowthStep(operation: .newClassifier, target: .top, units: classes, normalize: false, seed: seed &+ 4)
        switch self {
        case .ft: return [classifier]
        case .da: return [deepen, classifier]
        case .wa: return [widen(target, units, 1), classifier]
        case .dwa: return [widen(.top, units, 1), deepen, classifier]
        case .wwa: return [widen(.belowTop, Swift.max(1, units / 2), consumer: false, 2), widen(.top, units, readsBlocks: true, 1), classifier]
        case .ftNorm:
            return [GrowthStep(operation: .normalize, target: target, units: 0, normalize: true, initialScale: initialScale, seed: seed &+ 5), classifier]
        }
    }
}
