import Engine
import NN

/// WA: put S new units beside a layer span L (its producer and the BatchNorm, activation and pooling after it).
///
/// Before: `…, L entries…, …`. After: one entry (named as L's first) holding a `WidenedBlock` whose old branch
/// is L's entries unchanged and whose new branch computes S new units from the same input (see `NewUnits`);
/// with normalisation each block is L2-normalised and scaled by its own γ. Pooling that ends L is moved into
/// both branches, so the blocks normalise the pooled features the classifier reads, unless
/// `normalizePerLocation` keeps it after the block (normalising channels at each location instead).
/// The consumer — the next layer with parameters — either gets S more inputs (new weights, or for net2net
/// split copies of the replicated units' weights), or, `consumerReadsNewUnits == false` (WWA's FC6+), keeps
/// reading only the old units through `ReadLeading`; then the blocks stay raw, so that consumer reads exactly what
/// it read before, and the layer that reads both blocks normalises them (`normalizeInputBlocks`, WWA's FC7+).
/// Old units keep their weights and outputs.
enum Widen {
    static func apply(_ step: GrowthStep, to ctx: inout GrowthContext) throws -> GrowthMap {
        guard step.units > 0 else { throw GrowthError("widen: units must be positive, got \(step.units)") }
        let span = try ctx.span(of: step.target)
        let (parent, range) = try ctx.resolve(span)
        var core = Array(parent.layers[range])
        var pools: [(String, Layer)] = []
        while let last = core.last, NetworkSurgery.isPooling(last.1) { pools.insert(core.removeLast(), at: 0) }
        guard !core.isEmpty else { throw GrowthError("widen \(span): the span holds only pooling") }
        let inside = step.normalizePerLocation ? [] : pools

        let (leaves, outputs) = NetworkSurgery.trace(ctx.model, inputShape: ctx.inputShape)
        guard let coreLeaves = NetworkSurgery.leafRange(leaves, of: LayerSpan(parent: span.parent, core.map(\.0)).paths) else {
            throw GrowthError("widen \(span): not found in the network")
        }
        let inShape = coreLeaves.lowerBound == 0 ? ctx.inputShape : outputs[coreLeaves.lowerBound - 1]
        let coreOut = outputs[coreLeaves.upperBound - 1]
        let oldUnits = coreOut[0]
        let recipe: NewUnitRecipe = step.target == .belowTop ? ctx.roles.belowTopNewUnits : step.target == .top ? ctx.roles.topNewUnits : .likeProducer
        var rng = RNG(seed: step.seed)
        let blocksBelow = step.normalizeInputBlocks ? try Self.widenedBlockWidths(below: coreLeaves.lowerBound, leaves, span) : nil
        let blockName = core[0].0
        let blockPath = LayerSpan(parent: span.parent, [blockName]).paths[0]

        return try GrowthMap.tracking(ctx.model) {
            let made = try NewUnits.build(recipe, old: core, units: step.units, initialization: step.initialization,
                                          inShape: inShape, outShape: coreOut, span: span, copyOfCurrent: ctx.copyOfCurrent, rng: &rng)
            let inputNorm = blocksBelow.map { [("input_norm", BlockL2NormScale(blocks: $0, initialScale: step.initialScale) as Layer)] } ?? []
            let newBranch = Sequential(inputNorm + made.layers + inside.map { name, layer in (name, NetworkSurgery.freshCopy(layer, channels: step.units)!) })
            let norms = step.normalize && step.consumerReadsNewUnits ? (L2NormScale(units: oldUnits, initialScale: step.initialScale),
                                          L2NormScale(units: step.units, initialScale: step.initialScale)) : nil
            // A layer grown before already normalises its blocks: only the new block gets a norm of its own.
            let grownBefore = core.count == 1 && (core[0].1 as? WidenedBlock).map { $0.oldNorm != nil || $0.newNorm != nil } == true
            let block = WidenedBlock(old: Sequential(core + inside), new: newBranch, oldNorm: grownBefore ? nil : norms?.0, newNorm: norms?.1)
            for (name, _) in (core + inside).dropFirst() { parent.remove(name) }
            parent.replace(blockName, with: block)
            ctx.roles.absorb(span.parent, (core + inside).map(\.0), into: blockName)
            return try Consumer.feed(ctx.model, after: blockPath, oldUnits: oldUnits, extra: step.units, sources: made.sources,
                                     readsNewUnits: step.consumerReadsNewUnits, net2net: step.initialization == .net2net, rng: &rng)
        }
    }
}

extension Widen {
    /// The block widths of the widened layer whose output reaches leaf `index` through parameter-free layers only.
    static func widenedBlockWidths(below index: Int, _ leaves: [(String, Layer)], _ span: LayerSpan) throws -> [Int] {
        var i = index - 1
        while i >= 0, !(leaves[i].1 is WidenedBlock), leaves[i].1.namedParameters().isEmpty { i -= 1 }
        guard i >= 0, let block = leaves[i].1 as? WidenedBlock, !block.widths.isEmpty else {
            throw GrowthError("widen \(span): its new units should read the blocks of a widened layer below it, but none feeds it "
                              + "(WWA widens the layer below the top first)")
        }
        return block.widths
    }
}

extension LayerRoles {
    /// After entries `names` of `parent` became the single entry `block`: every role span over them now names the block.
    mutating func absorb(_ parent: String, _ names: [String], into block: String) {
        func update(_ span: inout LayerSpan) {
            guard span.parent == parent, span.entries.contains(where: names.contains) else { return }
            var entries: [String] = []
            for e in span.entries { let n = names.contains(e) ? block : e; if entries.last != n { entries.append(n) } }
            span.entries = entries
        }
        update(&top); update(&belowTop)
    }
}

/// The layer after a widened block that reads its units.
enum Consumer {
    /// Makes the first layer with parameters after `blockPath` read the S new units (or keep reading only the
    /// `oldUnits` old ones); returns the successor of every tensor it replaced.
    static func feed(_ model: Sequential, after blockPath: String, oldUnits: Int, extra: Int, sources: [Int], readsNewUnits: Bool,
                     net2net: Bool, rng: inout RNG) throws -> [ObjectIdentifier: Tensor] {
        let leaves = model.flattened().layers
        guard let b = leaves.firstIndex(where: { $0.0 == blockPath }),
              let c = leaves.indices.first(where: { $0 > b && !leaves[$0].1.namedParameters().isEmpty }) else {
            throw GrowthError("widen \(blockPath): no layer with parameters after it reads its units")
        }
        let (path, consumer) = leaves[c]
        guard readsNewUnits else {
            NetworkSurgery.replaceLeaf(model, at: path, with: ReadLeading(oldUnits, consumer))
            return [:]
        }
        var successors: [ObjectIdentifier: Tensor] = [:]
        func record(_ new: Parameter?, _ old: Parameter?) { if let new, let old { successors[ObjectIdentifier(new.value)] = old.value } }
        if let linear = consumer as? Linear, linear.inFeatures % oldUnits == 0 {
            let widened = HeadSurgery.widenInputs(linear, blocks: oldUnits, blockSize: linear.inFeatures / oldUnits, sources: sources,
                                                  extra: extra, net2net: net2net, rng: &rng)
            record(widened.weight, linear.weight); record(widened.bias, linear.bias)
            NetworkSurgery.replaceLeaf(model, at: path, with: widened)
        } else if let conv = consumer as? Conv2d, conv.groups == 1, conv.inChannels == oldUnits {
            let k = conv.kernel.0 * conv.kernel.1
            let w = HeadSurgery.widenColumns(conv.weight.value.reshaped([conv.outChannels, oldUnits * k]), blocks: oldUnits, blockSize: k,
                                             sources: sources, extraBlocks: extra, net2net: net2net, rng: &rng)
            let widened = Conv2d(weight: w.reshaped([conv.outChannels, oldUnits + extra, conv.kernel.0, conv.kernel.1]),
                                 bias: conv.bias?.value.copy(), stride: conv.stride.0, padding: conv.padding, dilation: conv.dilation.0)
            record(widened.weight, conv.weight); record(widened.bias, conv.bias)
            NetworkSurgery.replaceLeaf(model, at: path, with: widened)
        } else {
            throw GrowthError("widen \(blockPath): its consumer '\(path)' (\(consumer.summary)) cannot read new units; "
                              + "WA feeds a Linear or an ungrouped Conv2d reading the \(oldUnits) old units")
        }
        return successors
    }
}
