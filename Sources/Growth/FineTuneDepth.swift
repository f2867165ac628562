import NN

/// How deep fine-tuning reaches (the paper's four settings). Pre-trained layers below the depth
/// are frozen; new parameters always train, at `newLearningRateMultiplier` × the base rate.
public enum FineTuneDepth: String, Codable, Sendable, CaseIterable {
    /// Only new layers, new units, scales and the classifier.
    case new
    /// FC7 and everything new.
    case fc7
    /// FC6, FC7 and everything new.
    case fc6
    /// The whole network.
    case all

    public var label: String {
        switch self { case .new: "New"; case .fc7: "FC7–New"; case .fc6: "FC6–New"; case .all: "All" }
    }

    /// Pre-trained top-level layers that train at this depth (by name prefix; nil = all).
    var pretrainedPrefixes: [String]? {
        switch self { case .new: []; case .fc7: ["fc7"]; case .fc6: ["fc6", "fc7"]; case .all: nil }
    }

    /// Sets `trainable` and learning-rate multipliers on `model`, and stops backward below the
    /// lowest trainable layer. Returns the names of the trainable parameters.
    @discardableResult
    public func apply(to model: Sequential, newParameters: Set<String>, newLearningRateMultiplier: Float = 10) -> [String] {
        var trainable: [String] = []
        for (name, p) in model.namedParameters() {
            let isNew = newParameters.contains(name)
            let top = String(name.prefix { $0 != "." })
            p.trainable = isNew || (pretrainedPrefixes.map { $0.contains(top) } ?? true)
            p.lrMultiplier = isNew ? newLearningRateMultiplier : 1
            if p.trainable { trainable.append(name) }
        }
        // Backward need not go below the first top-level layer that has something to train.
        let floor = model.layers.firstIndex { $0.1.namedParameters().contains { $0.parameter.trainable } } ?? model.layers.count
        model.backwardFloor = floor
        if floor < model.layers.count { model.layers[floor].1.needsInputGradient = false }
        return trainable
    }
}
