import Engine
import NN

/// DA: insert a new layer FC_a `Sequential[linear, relu, norm?]` of S units between the top layer and the layer
/// that reads it (after the top's dropout and pooling); that consumer then reads FC_a's units.
///
/// `random`: Gaussian weights (std 0.01), and the consumer's new input weights too.
/// `net2net`: identity-initialised (FC_a reads post-ReLU, non-negative features, so ReLU(I·h) = h);
/// it needs at least as many units as inputs, so S is raised to the input width if smaller.
/// The consumer keeps its weights on the first inputs and reads the extra units with zero weights.
enum Deepen {
    static func apply(_ step: inout GrowthStep, to ctx: inout GrowthContext) throws -> GrowthMap {
        guard step.initialization != .copyRand else {
            throw GrowthError("deepen: copy+rand initialises new units of a widened layer from old ones; a new layer has none — use random or net2net")
        }
        let span = try ctx.span(of: step.target)
        _ = try ctx.resolve(span)
        let leaves = ctx.model.flattened().layers
        guard let spanLeaves = NetworkSurgery.leafRange(leaves, of: span.paths),
              let c = leaves.indices.first(where: { $0 >= spanLeaves.upperBound && !leaves[$0].1.namedParameters().isEmpty }),
              let consumer = leaves[c].1 as? Linear else {
            throw GrowthError("deepen after \(span): no FC layer after it to feed the new layer into")
        }
        let consumerPath = leaves[c].0.split(separator: ".").map(String.init)
        let holder = try ctx.sequential(at: consumerPath.dropLast().joined(separator: "."))
        let consumerName = consumerPath.last!
        let name = ctx.roles.newLayerName
        guard holder.index(of: name) == nil else { throw GrowthError("deepen: a layer named '\(name)' exists already there") }
        let inWidth = consumer.inFeatures
        if step.initialization == .net2net && step.units < inWidth { step.units = inWidth }
        let units = step.units
        var rng = RNG(seed: step.seed)
        let (normalize, scale, net2net) = (step.normalize, step.initialScale, step.initialization == .net2net)

        return GrowthMap.tracking(ctx.model) {
            let linear = Linear(inWidth, units, weightInit: .gaussian(std: 0.01), rng: &rng)
            linear.bias!.value.zero()
            var parts: [(String, Layer)] = [("linear", linear), ("relu", ReLU())]
            if normalize { parts.append(("norm", L2NormScale(units: units, initialScale: scale))) }
            let w = Tensor(zeros: [consumer.outFeatures, units])
            if net2net {
                linear.weight.value.zero()
                for i in 0..<inWidth { linear.weight.value.pointer[i * inWidth + i] = 1 }
                embedTopLeft(consumer.weight.value, into: w)
            } else {
                Init.gaussian(std: 0.01).fill(w, rng: &rng)
            }
            let newConsumer = Linear(weight: w, bias: consumer.bias?.value.copy())
            holder.replace(consumerName, with: newConsumer)
            holder.insert(Sequential(parts), named: name, at: holder.index(of: consumerName)!)
            // The consumer now reads FC_a: its bias carries over, and its weights only when net2net embedded them.
            var successors: [ObjectIdentifier: Tensor] = [:]
            if let b = newConsumer.bias, let ob = consumer.bias { successors[ObjectIdentifier(b.value)] = ob.value }
            if net2net { successors[ObjectIdentifier(newConsumer.weight.value)] = consumer.weight.value }
            return successors
        }
    }
}

/// Fine-tuning to a new task: the classifier is replaced by a new one for `units` classes, Gaussian (std 0.01)
/// weights and zero bias, reading the same features.
enum NewClassifier {
    static func apply(_ step: GrowthStep, to ctx: inout GrowthContext) throws -> GrowthMap {
        let path = ctx.roles.classifier
        guard let old = ctx.model.layer(at: path) as? Linear else {
            throw GrowthError("new classifier: '\(path)' is not a Linear layer in this network; its layers are: \(NetworkSurgery.layerList(ctx.model))")
        }
        var rng = RNG(seed: step.seed)
        return GrowthMap.tracking(ctx.model) {
            let classifier = Linear(old.inFeatures, step.units, weightInit: .gaussian(std: 0.01), rng: &rng)
            classifier.bias!.value.zero()
            NetworkSurgery.replaceLeaf(ctx.model, at: path, with: classifier)
            return [:]
        }
    }
}
