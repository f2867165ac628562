import Engine
import NN
import Training

/// Splits a network whose lower layers are frozen into a fixed feature extractor and a trainable head,
/// so the extractor's outputs can be computed once per image and reused across epochs (and methods).
///
/// The split is after the last *parameterised* frozen layer, so parameter-free layers above it
/// (dropout, ReLU) stay in the head and keep their training-time behaviour.
public struct FrozenPrefix {
    public let extractor: Sequential
    public let head: Sequential
    /// Index in the full model where the head starts.
    public let headStart: Int

    /// nil when nothing at the bottom is frozen (depth All).
    public init?(_ model: Sequential) {
        let layers = model.layers
        guard let firstTrainable = layers.firstIndex(where: { $0.1.namedParameters().contains { $0.parameter.trainable } }) else { return nil }
        let lastFrozenWithParameters = layers.prefix(firstTrainable).lastIndex { !$0.1.namedParameters().isEmpty }
        guard let last = lastFrozenWithParameters else { return nil }
        headStart = last + 1
        extractor = Sequential(Array(layers.prefix(headStart)))
        head = Sequential(Array(layers.suffix(from: headStart)))
        head.backwardFloor = firstTrainable - headStart   // nothing below the first trainable layer needs a gradient
    }

    /// Runs the extractor (evaluation mode) over every example of `data` once.
    public func features(of data: BatchSource) throws -> (Tensor, [Int]) {
        extractor.setTraining(false)
        return try data.gathered { extractor.forward($0) }
    }
}
