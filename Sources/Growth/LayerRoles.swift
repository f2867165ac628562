import NN

/// Consecutive entries of one `Sequential` inside a network: `parent` is its dotted path ("" for the
/// network itself), `entries` the names of the entries, the first one producing the units
/// (e.g. VGG16's FC7 is `classifier` entries `3` (Linear) and `4` (ReLU)).
public struct LayerSpan: Codable, Sendable, Equatable, CustomStringConvertible {
    public var parent: String
    public var entries: [String]

    public init(parent: String = "", _ entries: [String]) { self.parent = parent; self.entries = entries }

    /// The full dotted path of each entry.
    public var paths: [String] { entries.map { parent.isEmpty ? $0 : parent + "." + $0 } }
    public var description: String { paths.joined(separator: ", ") }
}

/// How WA builds new units beside a layer.
public enum NewUnitRecipe: Codable, Sendable, Equatable {
    /// The layer starts with a producer (Linear or ungrouped Conv2d) followed by channel-wise layers
    /// (BatchNorm, activation, pooling): new units are a producer of the same kind and geometry reading
    /// the same input, followed by fresh copies of those layers. Old units can be replicated (copy+rand, net2net).
    case likeProducer
    /// The layer is a whole stage (e.g. ResNet's `layer4`): new units are a convolution block reading the
    /// stage's input — k×k conv (stride = the stage's spatial reduction, padding k/2), BatchNorm if set,
    /// ReLU (capped at `activationCap` if set) — followed by fresh copies of the span's trailing pooling.
    case convBlock(kernel: Int, batchNorm: Bool, activationCap: Float?)
}

/// The layers that play the paper's roles in one architecture (a `LayerSpan` per role). Growth reads only
/// these; every growth step returns them updated (a widened span becomes the one entry holding the
/// widened block), so they stay true for the grown network.
public struct LayerRoles: Codable, Sendable, Equatable {
    /// Path of the final `Linear` (the paper's FC8).
    public var classifier: String
    /// L_K, the top representation layer (the paper's FC7): WA widens it, DA adds FC_a after it.
    public var top: LayerSpan
    /// L_{K−1} (the paper's FC6): WWA widens it by S/2.
    public var belowTop: LayerSpan
    /// How new units are built beside `top` and beside `belowTop`.
    public var topNewUnits: NewUnitRecipe
    public var belowTopNewUnits: NewUnitRecipe
    /// Name of the layer DA inserts.
    public var newLayerName: String

    public init(classifier: String, top: LayerSpan, belowTop: LayerSpan, topNewUnits: NewUnitRecipe = .likeProducer,
                belowTopNewUnits: NewUnitRecipe = .likeProducer, newLayerName: String = "fca") {
        self.classifier = classifier; self.top = top; self.belowTop = belowTop
        self.topNewUnits = topNewUnits; self.belowTopNewUnits = belowTopNewUnits; self.newLayerName = newLayerName
    }
}

/// What growth needs of an architecture: an id for the checkpoint, how to build the base network, and its roles.
/// The model zoo describes every architecture with one of these (plus preprocessing and weights).
public protocol GrowableArchitecture: Sendable {
    /// Stable id stored in checkpoints ("mini-alexnet", "efficientnet-lite0", "resnet18", …).
    var id: String { get }
    var roles: LayerRoles { get }
    /// The base network for per-example input [C, H, W] and a classifier of `classes` classes, initialised from `seed`
    /// (`initialize: false` may skip drawing weights that are about to be loaded).
    func build(inputShape: [Int], classes: Int, seed: UInt64, initialize: Bool) throws -> Sequential
}
