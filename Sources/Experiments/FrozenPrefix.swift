import Engine
import NN
import Training

/// Splits a network whose lower layers are frozen into a fixed feature extractor and a trainable head,
/// so the extractor's outputs can be computed once per training view and reused across steps (and methods).
///
/// The extractor must compute in evaluation mode exactly what it computes in training, so it ends at the
/// last *parameterised* frozen layer and the mode-independent layers just after it (ReLU, pooling, flatten: in
/// MiniAlexNet conv3's ReLU and pool, which shrink each cached view 4×), and earlier at the first stochastic layer
/// (dropout): frozen layers above a dropout stay in the head, where the dropout keeps its training-time masks as in
/// full training.
public struct FrozenPrefix {
    public let extractor: Sequential
    public let head: Sequential
    /// Index in the full model where the head starts.
    public let headStart: Int

    /// nil when nothing at the bottom is frozen (depth All) or a dropout comes before any frozen parameters.
    public init?(_ model: Sequential) {
        let layers = model.layers
        guard let firstTrainable = layers.firstIndex(where: { $0.1.namedParameters().contains { $0.parameter.trainable } }) else { return nil }
        let below = layers.prefix(firstTrainable)
        let firstStochastic = below.firstIndex { Self.isStochastic($0.1) } ?? firstTrainable
        guard let last = below.prefix(firstStochastic).lastIndex(where: { !$0.1.namedParameters().isEmpty }) else { return nil }
        var start = last + 1
        while start < firstStochastic, layers[start].1 is ModeIndependentLayer { start += 1 }
        headStart = start
        extractor = Sequential(Array(layers.prefix(headStart)))
        head = Sequential(Array(layers.suffix(from: headStart)))
        head.backwardFloor = firstTrainable - headStart   // nothing below the first trainable layer needs a gradient
    }

    /// Whether a layer's training-mode output is random (so it cannot be precomputed).
    static func isStochastic(_ layer: Layer) -> Bool {
        layer.namedLayers().contains { $0.layer is Dropout }
    }

    /// Runs the extractor (evaluation mode) over every example of `data` once.
    public func features(of data: BatchSource) throws -> (Tensor, [Int]) {
        extractor.setTraining(false)
        return try data.gathered { extractor.forward($0) }
    }

    /// Runs the extractor (evaluation mode) over every view of `bank` once.
    public func features(of bank: ViewBank) throws -> ViewBank {
        extractor.setTraining(false)
        return try bank.mapped { extractor.forward($0) }
    }
}
