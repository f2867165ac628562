import Engine
import NN

/// DA: insert a new layer `Sequential[linear, relu, norm?]` (FC_a) between layer L and its consumer
/// (after L's dropout); the consumer then reads the new layer's units.
///
/// `random`: Gaussian weights (std 0.01), and the consumer's new input weights too.
/// `net2net`: identity-initialised (FC_a reads post-ReLU, non-negative features, so ReLU(I·h) = h);
/// it needs at least as many units as inputs, so S is raised to the input width if smaller.
/// The consumer keeps its weights on the first inputs and reads the extra units with zero weights.
enum Deepen {
    static func apply(_ step: inout GrowthStep, to model: Sequential, inputShape: [Int]) throws -> GrowthMap {
        guard let index = model.index(of: step.layer) else { throw GrowthError("deepen: no layer '\(step.layer)' in this network") }
        let name = step.name ?? "fca"
        guard model.index(of: name) == nil else { throw GrowthError("deepen: a layer named '\(name)' exists already; choose another name") }
        guard step.initialization != .copyRand else {
            throw GrowthError("deepen: copy+rand initialises new units of a widened layer from old ones; a new layer has none — use random or net2net")
        }
        guard let c = HeadSurgery.consumerIndex(model, after: index),
              let (holder, consumerLinear) = HeadSurgery.inputLinear(of: model.layers[c].1) else {
            throw GrowthError("deepen after \(step.layer): no FC consumer after it to feed the new layer into")
        }
        var rng = RNG(seed: step.seed)
        let inWidth = HeadSurgery.featureWidth(model, before: c, inputShape: inputShape)
        if step.initialization == .net2net && step.units < inWidth { step.units = inWidth }
        let namesBefore = Set(model.namedParameters().map(\.name))
        let (block, linear) = HeadSurgery.newBlock(inWidth: inWidth, units: step.units, normalize: step.normalize,
                                                   initialScale: step.initialScale, rng: &rng)
        let consumerName = model.layers[c].0
        let w = Tensor(zeros: [consumerLinear.outFeatures, step.units])
        if step.initialization == .net2net {
            linear.weight.value.zero()
            for i in 0..<inWidth { linear.weight.value.pointer[i * inWidth + i] = 1 }
            embedTopLeft(consumerLinear.weight.value, into: w)
        } else {
            Init.gaussian(std: 0.01).fill(w, rng: &rng)
        }
        let newConsumer = Linear(weight: w, bias: consumerLinear.bias?.value.copy())
        if let holder { holder.replace("linear", with: newConsumer) } else { model.replace(consumerName, with: newConsumer) }
        model.insert(block, named: name, at: c)

        return GrowthMap(after: model, namesBefore: namesBefore)
    }
}

/// Fine-tuning to a new task: the classifier (last layer) is replaced by a new one for `units` classes,
/// Gaussian (std 0.01) weights and zero bias, reading the same features.
enum NewClassifier {
    static func apply(_ step: GrowthStep, to model: Sequential, inputShape: [Int]) throws -> GrowthMap {
        guard let index = model.index(of: step.layer), index == model.layers.count - 1, model.layers[index].1 is Linear else {
            throw GrowthError("new classifier: '\(step.layer)' is not the network's final FC layer")
        }
        var rng = RNG(seed: step.seed)
        let inWidth = HeadSurgery.featureWidth(model, before: index, inputShape: inputShape)
        let classifier = Linear(inWidth, step.units, weightInit: .gaussian(std: 0.01), rng: &rng)
        classifier.bias!.value.zero()
        model.replace(step.layer, with: classifier)
        var map = GrowthMap()
        for (n, _) in model.namedParameters() {
            if n.hasPrefix(step.layer + ".") { map.newParameters.insert(n) } else { map.sources[n] = n }
        }
        return map
    }
}
