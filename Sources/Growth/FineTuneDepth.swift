import NN

/// How deep fine-tuning reaches (the paper's four settings). Pre-trained layers below the depth
/// are frozen; new parameters always train, at `newLearningRateMultiplier` × the base rate.
/// Which pre-trained layers each depth unfreezes comes from the architecture's roles: `fc7` the top
/// representation layer L_K, `fc6` L_K and L_{K−1} (AlexNet/VGG: FC7, FC6; see the zoo for the others).
public enum FineTuneDepth: String, Codable, Sendable, CaseIterable {
    /// Only new layers, new units, scales and the classifier.
    case new
    /// The top layer (FC7) and everything new.
    case fc7
    /// The two top layers (FC6, FC7) and everything new.
    case fc6
    /// The whole network.
    case all

    public var label: String {
        switch self { case .new: "New"; case .fc7: "FC7–New"; case .fc6: "FC6–New"; case .all: "All" }
    }

    /// The pre-trained layers (dotted paths) that train at this depth; nil = all.
    public func pretrainedLayers(_ roles: LayerRoles) -> [String]? {
        switch self { case .new: []; case .fc7: roles.top.paths; case .fc6: roles.belowTop.paths + roles.top.paths; case .all: nil }
    }

    /// Sets `trainable` and learning-rate multipliers on `model` (a network or its flattened view) and stops backward
    /// below the lowest trainable entry. Returns the trainable parameter names.
    ///
    /// BatchNorm policy: pre-trained BatchNorm layers keep their running statistics at every depth (their γ and β
    /// train when the depth reaches them). A few hundred steps on a few-shot batch cannot re-estimate statistics,
    /// and training on batch statistics while evaluating on barely-moved running ones mis-scales every unit after
    /// them. BatchNorm layers that growth created normalise with batch statistics and learn running ones.
    /// Throws when a role names a layer the network does not have, listing the ones it has.
    @discardableResult
    public func apply(to model: Sequential, roles: LayerRoles, newParameters: Set<String>, newLearningRateMultiplier: Float = 10) throws -> [String] {
        let named = model.namedParameters()
        let layers = pretrainedLayers(roles)
        if let layers {
            let leaves = Set(model.flattened().layers.map(\.0))
            let missing = layers.filter { p in !leaves.contains(p) && !named.contains { $0.name.hasPrefix(p + ".") } }
            if !missing.isEmpty {
                throw GrowthError("depth \(rawValue): no layer \(missing.joined(separator: ", ")) in this network; its layers are: \(NetworkSurgery.layerList(model))")
            }
        }
        var trainable: [String] = []
        for (name, p) in named {
            let isNew = newParameters.contains(name)
            p.trainable = isNew || (layers.map { $0.contains { name.hasPrefix($0 + ".") } } ?? true)
            p.lrMultiplier = isNew ? newLearningRateMultiplier : 1
            if p.trainable { trainable.append(name) }
        }
        for (path, layer) in model.namedLayers() {
            guard let bn = layer as? BatchNorm else { continue }
            bn.freezeStatistics = !newParameters.contains(path.isEmpty ? "weight" : path + ".weight")
        }
        // Backward need not go below the first entry that has something to train.
        let floor = model.layers.firstIndex { $0.1.namedParameters().contains { $0.parameter.trainable } } ?? model.layers.count
        model.backwardFloor = floor
        for (i, entry) in model.layers.enumerated() { entry.1.needsInputGradient = i != floor }   // applying again resets the last floor
        return trainable
    }
}
