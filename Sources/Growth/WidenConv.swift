import Engine
import NN

/// WA on a convolution: put S new channels beside conv layer L (a `Conv2d` followed by its ReLU).
///
/// Before: `…, L: Conv2d, relu: ReLU, …`. After: `L: Parallel[old: Sequential[conv, relu, norm?],
/// new: Sequential[conv, relu, norm?]]` concatenated along channels; the normalisation runs over
/// channels at each location (ParseNet). The consumer — the next conv in the same stage, or the first
/// FC layer after flattening — reads the new channels through new weights (for an FC consumer each new
/// channel brings one input per spatial position, channel-major as `Flatten` orders them).
enum WidenConv {
    static func apply(_ step: GrowthStep, to model: Sequential, inputShape: [Int]) throws -> GrowthMap {
        let parts = step.layer.split(separator: ".").map(String.init)
        let parentPath = parts.dropLast().joined(separator: ".")
        guard let parent = model.layer(at: parentPath) as? Sequential, let name = parts.last, let index = parent.index(of: name),
              let conv = parent.layers[index].1 as? Conv2d else {
            throw GrowthError("widen: no convolution '\(step.layer)' in this network")
        }
        guard conv.groups == 1, index + 1 < parent.layers.count, parent.layers[index + 1].1 is ReLU else {
            throw GrowthError("widen \(step.layer): only an ungrouped convolution followed by its ReLU can be widened")
        }
        guard parentPath.isEmpty || !parentPath.contains("."), step.consumerReadsNewUnits else {
            throw GrowthError("widen \(step.layer): convolutions can be widened in the network or one of its top-level stages, with the consumer reading the new channels")
        }
        var rng = RNG(seed: step.seed)
        let namesBefore = Set(model.namedParameters().map(\.name))
        let (S, C) = (step.units, conv.outChannels)
        // Consumer: the next conv in this stage, else the first FC layer after the stage.
        let stageIndex = parentPath.isEmpty ? nil : model.index(of: parentPath)
        let innerConsumer = parent.layers.indices.first { $0 > index + 1 && !parent.layers[$0].1.namedParameters().isEmpty }
        let outerConsumer = innerConsumer == nil ? stageIndex.flatMap { HeadSurgery.consumerIndex(model, after: $0) } : nil
        let outerWidthBefore = outerConsumer.map { HeadSurgery.featureWidth(model, before: $0, inputShape: inputShape) }

        // Branches.
        let relu = parent.layers[index + 1]
        var oldParts: [(String, Layer)] = [("conv", conv), ("relu", relu.1)]
        let newConv = Conv2d(conv.inChannels, S, kernel: conv.kernel.0, stride: conv.stride.0, padding: conv.padding,
                             dilation: conv.dilation.0, bias: conv.bias != nil, weightInit: .gaussian(std: 0.01), rng: &rng)
        newConv.bias?.value.zero()
        var newParts: [(String, Layer)] = [("conv", newConv), ("relu", ReLU(cap: (relu.1 as! ReLU).cap))]
        if step.normalize {
            oldParts.append(("norm", L2NormScale(units: C, initialScale: step.initialScale)))
            newParts.append(("norm", L2NormScale(units: S, initialScale: step.initialScale)))
        }
        var sources: [Int] = []
        if step.initialization != .random {
            sources = (0..<S).map { _ in rng.below(C) }
            copyFilters(from: conv, into: newConv, sources: sources, noise: step.initialization == .copyRand, rng: &rng)
        }
        parent.replace(name, with: Parallel([("old", Sequential(oldParts)), ("new", Sequential(newParts))]))
        parent.remove(relu.0)

        // The consumer reads the new channels.
        let net2net = step.initialization == .net2net
        if let c = innerConsumer.map({ $0 - 1 }) {   // one entry (the ReLU) was removed before it
            guard let consumer = parent.layers[c].1 as? Conv2d, consumer.groups == 1, consumer.inChannels == C else {
                throw GrowthError("widen \(step.layer): its consumer '\(parent.layers[c].0)' is not an ungrouped convolution reading \(C) channels")
            }
            let k = consumer.kernel.0 * consumer.kernel.1
            let widened = HeadSurgery.widenColumns(consumer.weight.value.reshaped([consumer.outChannels, C * k]), blocks: C, blockSize: k,
                                       sources: sources, extraBlocks: S, net2net: net2net, rng: &rng)
            parent.replace(parent.layers[c].0, with: Conv2d(weight: widened.reshaped([consumer.outChannels, C + S] + [consumer.kernel.0, consumer.kernel.1]),
                                                            bias: consumer.bias?.value.copy(), stride: consumer.stride.0,
                                                            padding: consumer.padding, dilation: consumer.dilation.0))
        } else if let c = outerConsumer, let before = outerWidthBefore {
            guard let (holder, linear) = HeadSurgery.inputLinear(of: model.layers[c].1), linear.inFeatures == before, before % C == 0 else {
                throw GrowthError("widen \(step.layer): its consumer '\(model.layers[c].0)' is not a plain FC layer reading the flattened channels")
            }
            let positions = before / C
            let widened = HeadSurgery.widenInputs(linear, blocks: C, blockSize: positions, sources: sources, extra: S, net2net: net2net, rng: &rng)
            if let holder { holder.replace("linear", with: widened) } else { model.replace(model.layers[c].0, with: widened) }
        }

        return GrowthMap(after: model, namesBefore: namesBefore, movedInto: step.layer, oldPath: "old.conv")
    }

    /// New filter j copies old filter sources[j] (weights and bias), plus noise of 0.1 × the weights' std for copy+rand.
    static func copyFilters(from old: Conv2d, into new: Conv2d, sources: [Int], noise: Bool, rng: inout RNG) {
        let size = old.weight.value.count / old.outChannels
        let ow = old.weight.value.pointer, nw = new.weight.value.pointer
        let std = HeadSurgery.copyNoiseStd(old.weight.value, noise: noise)
        for (j, u) in sources.enumerated() {
            for i in 0..<size { nw[j * size + i] = ow[u * size + i] + (noise ? std * rng.normal() : 0) }
            if let b = old.bias, let nb = new.bias { nb.value.pointer[j] = b.value.pointer[u] }
        }
    }
}
