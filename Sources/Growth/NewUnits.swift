import Engine
import NN

/// The new branch of a widened layer: S new units computed from the layer's input, per `NewUnitRecipe`.
///
/// `random`: producer weights Gaussian (std 0.01), zero bias; BatchNorm at its defaults (γ 1, β 0, running
/// mean 0, variance 1). `copy+rand` and `net2net` (producer layers only): new unit j replicates old unit
/// `sources[j]` — its incoming weights (into the leading inputs, when the old layer reads fewer), bias and
/// BatchNorm entries — with Gaussian noise of 0.1 × the old weights' RMS for copy+rand. A whole stage has no
/// single producer, so there the replicas are a copy of the stage followed by `GatherChannels(sources)`.
enum NewUnits {
    struct Made {
        let layers: [(String, Layer)]
        /// The old unit each new unit replicates (empty for random).
        let sources: [Int]
    }

    /// `old`: the span's layers without trailing pooling; shapes are per example, [C] or [C, H, W].
    static func build(_ recipe: NewUnitRecipe, old: [(String, Layer)], units s: Int, initialization: NewUnitInit,
                      inShape: [Int], outShape: [Int], span: LayerSpan, copyOfCurrent: () throws -> Sequential,
                      rng: inout RNG) throws -> Made {
        let cin = inShape[0]
        let head = old[0].1
        // Growing a layer grown before (cumulative growth): the new units imitate its original producer and
        // the layers after it inside the block's old branch, and replicate only that producer's units.
        let (producerLayer, trailing): (Layer, [(String, Layer)]) = {
            guard let block = head as? WidenedBlock, let first = block.old.flattened().layers.first else { return (head, Array(old.dropFirst())) }
            return (first.1, Array(block.old.flattened().layers.dropFirst()) + old.dropFirst())
        }()
        let producer = (producerLayer as? ReadLeading)?.inner ?? producerLayer
        let oldUnits = (producer as? Linear)?.outFeatures ?? (producer as? Conv2d)?.outChannels ?? outShape[0]
        switch recipe {
        case .likeProducer:
            var layers: [(String, Layer)] = []
            let newProducer: Layer
            if let l = producer as? Linear {
                let n = Linear(cin, s, bias: l.bias != nil, weightInit: .gaussian(std: 0.01), rng: &rng)
                n.bias?.value.zero()
                newProducer = n
            } else if let c = producer as? Conv2d, c.groups == 1 {
                let n = Conv2d(cin, s, kernel: c.kernel.0, stride: c.stride.0, padding: c.padding, dilation: c.dilation.0,
                               bias: c.bias != nil, weightInit: .gaussian(std: 0.01), rng: &rng)
                n.bias?.value.zero()
                newProducer = n
            } else {
                throw GrowthError("widen \(span): its first layer is \(head.summary); WA puts new units beside a Linear or an ungrouped "
                                  + "Conv2d (followed by BatchNorm, activation or pooling)")
            }
            layers.append(("producer", newProducer))
            for (name, layer) in trailing {
                guard let copy = NetworkSurgery.freshCopy(layer, channels: s) else {
                    throw GrowthError("widen \(span): cannot build new units through \(name) (\(layer.summary)); the span may hold only BatchNorm, ReLU/ReLU6 and pooling after its producer")
                }
                layers.append((name, copy))
            }
            guard initialization != .random else { return Made(layers: layers, sources: []) }
            let sources = (0..<s).map { _ in rng.below(oldUnits) }
            replicate(producer, into: newProducer, sources: sources, noise: initialization == .copyRand, rng: &rng)
            for ((_, o), (_, n)) in zip(trailing, layers.dropFirst()) {
                if let ob = o as? BatchNorm, let nb = n as? BatchNorm { copyEntries(of: ob, into: nb, sources: sources) }
            }
            return Made(layers: layers, sources: sources)

        case let .convBlock(kernel, batchNorm, cap):
            guard initialization == .random else { return try stageReplicas(old, units: s, oldUnits: oldUnits, noise: initialization == .copyRand,
                                                                            span: span, copyOfCurrent: copyOfCurrent, rng: &rng) }
            guard inShape.count == 3, outShape.count == 3, outShape[1] > 0, inShape[1] % outShape[1] == 0 else {
                throw GrowthError("widen \(span): a conv block needs [C, H, W] maps whose size divides; got \(inShape) → \(outShape)")
            }
            let stride = inShape[1] / outShape[1]
            let conv = Conv2d(cin, s, kernel: kernel, stride: stride, padding: .symmetric(kernel / 2), bias: !batchNorm,
                              weightInit: .gaussian(std: 0.01), rng: &rng)
            conv.bias?.value.zero()
            var layers: [(String, Layer)] = [("producer", conv)]
            if batchNorm { layers.append(("bn", BatchNorm(s))) }
            layers.append(("act", ReLU(cap: cap)))
            return Made(layers: layers, sources: [])
        }
    }

    /// Replicas of a whole stage's units: an independent copy of the stage (its weights perturbed by 0.1 × each
    /// weight tensor's RMS for copy+rand), then the channels `sources` of its output.
    static func stageReplicas(_ old: [(String, Layer)], units s: Int, oldUnits: Int, noise: Bool, span: LayerSpan,
                              copyOfCurrent: () throws -> Sequential, rng: inout RNG) throws -> Made {
        let twin = try copyOfCurrent()
        guard let parent = twin.layer(at: span.parent) as? Sequential else { throw GrowthError("widen \(span): cannot copy the stage") }
        var layers = try old.map { name, _ -> (String, Layer) in
            guard let copy = parent.layer(at: name) else { throw GrowthError("widen \(span): cannot copy \(name)") }
            return (name, copy)
        }
        if noise {
            for (_, layer) in layers {
                for (_, sub) in layer.namedLayers() {
                    let weight = (sub as? Conv2d)?.weight ?? (sub as? Linear)?.weight
                    guard let w = weight?.value else { continue }
                    let std = HeadSurgery.copyNoiseStd(w, noise: true)
                    for i in 0..<w.count { w.pointer[i] += std * rng.normal() }
                }
            }
        }
        let sources = (0..<s).map { _ in rng.below(oldUnits) }
        layers.append(("select", GatherChannels(sources)))
        return Made(layers: layers, sources: sources)
    }

    /// New unit j copies old unit sources[j]: weights into the leading inputs of its row, bias; plus noise.
    static func replicate(_ old: Layer, into new: Layer, sources: [Int], noise: Bool, rng: inout RNG) {
        let (ow, nw, ob, nb): (Tensor, Tensor, Parameter?, Parameter?)
        if let o = old as? Linear, let n = new as? Linear { (ow, nw, ob, nb) = (o.weight.value, n.weight.value, o.bias, n.bias) }
        else if let o = old as? Conv2d, let n = new as? Conv2d { (ow, nw, ob, nb) = (o.weight.value, n.weight.value, o.bias, n.bias) }
        else { preconditionFailure("NewUnits.replicate: \(old.summary) and \(new.summary) differ in kind") }
        let oldRow = ow.count / ow.shape[0], newRow = nw.count / nw.shape[0]
        let std = HeadSurgery.copyNoiseStd(ow, noise: noise)
        for (j, u) in sources.enumerated() {
            let dst = nw.pointer + j * newRow, src = ow.pointer + u * oldRow
            for i in 0..<newRow { dst[i] = (i < oldRow ? src[i] : 0) + (noise ? std * rng.normal() : 0) }
            if let ob, let nb { nb.value.pointer[j] = ob.value.pointer[u] }
        }
    }

    /// BatchNorm entries (γ, β, running mean and variance) of old channels sources[j] into new channel j.
    static func copyEntries(of old: BatchNorm, into new: BatchNorm, sources: [Int]) {
        let pairs = [(old.weight.value, new.weight.value), (old.bias.value, new.bias.value),
                     (old.runningMean, new.runningMean), (old.runningVar, new.runningVar)]
        for (o, n) in pairs { for (j, u) in sources.enumerated() { n.pointer[j] = o.pointer[u] } }
    }
}
