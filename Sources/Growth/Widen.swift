import Engine
import NN

/// WA: put S new units beside layer L.
///
/// Before: `L = Sequential[linear, relu]`. After: `L = Parallel[old: Sequential[linear, relu, norm?],
/// new: Sequential[linear, relu, norm?]]`, whose output is [old units, new units]. The new units read
/// the same input as the old ones through new weights. The consumer (the next layer with parameters)
/// either gets S more inputs, or — `consumerReadsNewUnits == false`, WWA's FC6+ — keeps reading only
/// the old units through a `SelectFeatures`. Old units keep their weights.
enum Widen {
    static func apply(_ step: GrowthStep, to model: Sequential, inputShape: [Int]) throws -> GrowthMap {
        if model.layer(at: step.layer) is Conv2d { return try WidenConv.apply(step, to: model, inputShape: inputShape) }
        guard let index = model.index(of: step.layer) else { throw GrowthError("widen: no layer '\(step.layer)' in this network") }
        guard step.units > 0 else { throw GrowthError("widen: units must be positive, got \(step.units)") }
        var rng = RNG(seed: step.seed)
        let old = model.layers[index].1
        let inWidth = HeadSurgery.featureWidth(model, before: index, inputShape: inputShape)
        let oldUnits = HeadSurgery.featureWidth(model, before: index + 1, inputShape: inputShape)
        let namesBefore = Set(model.namedParameters().map(\.name))

        // The old branch: the existing block, normalised as a block of its own.
        let oldBranch: Layer
        if let block = old as? Sequential, block.layer(at: "norm") == nil, step.normalize {
            block.insert(L2NormScale(units: oldUnits, initialScale: step.initialScale), named: "norm", at: block.layers.count)
            oldBranch = block
        } else {
            oldBranch = old
        }
        let (newBranch, newLinear) = HeadSurgery.newBlock(inWidth: inWidth, units: step.units, normalize: step.normalize,
                                                          initialScale: step.initialScale, rng: &rng)
        // Which old unit each new unit replicates (copy+rand, net2net).
        var sourceUnits: [Int] = []
        if step.initialization != .random {
            guard let block = old as? Sequential, let oldLinear = block.layer(at: "linear") as? Linear else {
                throw GrowthError("widen \(step.layer): \(step.initialization.rawValue) needs a plain FC block to copy from; this one was grown before — use --init random")
            }
            let offset = (block.layer(at: "select") as? SelectFeatures)?.range.lowerBound ?? 0
            sourceUnits = (0..<step.units).map { _ in rng.below(oldUnits) }
            copyUnits(from: oldLinear, columnOffset: offset, into: newLinear, sources: sourceUnits,
                      noise: step.initialization == .copyRand, rng: &rng)
        }
        model.replace(step.layer, with: Parallel([("old", oldBranch), ("new", newBranch)]))

        // The consumer.
        if let c = HeadSurgery.consumerIndex(model, after: index) {
            let (consumerName, consumer) = model.layers[c]
            if step.consumerReadsNewUnits {
                guard let (holder, linear) = HeadSurgery.inputLinear(of: consumer), linear.inFeatures == oldUnits else {
                    throw GrowthError("widen \(step.layer): its consumer '\(consumerName)' is not a plain FC layer reading \(oldUnits) features")
                }
                let widened = HeadSurgery.widenInputs(linear, blocks: oldUnits, blockSize: 1, sources: sourceUnits, extra: step.units,
                                                      net2net: step.initialization == .net2net, rng: &rng)
                if let holder { holder.replace("linear", with: widened) } else { model.replace(consumerName, with: widened) }
            } else {
                guard let block = consumer as? Sequential, block.layer(at: "select") == nil else {
                    throw GrowthError("widen \(step.layer): its consumer '\(consumerName)' must be an FC block to keep reading only the old units")
                }
                block.insert(SelectFeatures(0..<oldUnits), named: "select", at: 0)
            }
        }

        return GrowthMap(after: model, namesBefore: namesBefore, movedInto: step.layer)
    }

    /// New unit j copies old unit sources[j]'s incoming weights (into the columns the old layer reads) and bias,
    /// plus Gaussian noise of 0.1 × the old weights' std when `noise`.
    static func copyUnits(from old: Linear, columnOffset: Int, into new: Linear, sources: [Int], noise: Bool, rng: inout RNG) {
        let (oldIn, newIn) = (old.inFeatures, new.inFeatures)
        let ow = old.weight.value.pointer, nw = new.weight.value.pointer
        let std = HeadSurgery.copyNoiseStd(old.weight.value, noise: noise)
        for (j, u) in sources.enumerated() {
            let row = nw + j * newIn
            row.update(repeating: 0, count: newIn)
            for i in 0..<oldIn { row[columnOffset + i] = ow[u * oldIn + i] + (noise ? std * rng.normal() : 0) }
            if noise { for i in 0..<newIn where i < columnOffset || i >= columnOffset + oldIn { row[i] = std * rng.normal() } }
            new.bias!.value.pointer[j] = old.bias?.value.pointer[u] ?? 0
        }
    }
}
