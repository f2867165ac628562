import Engine
import NN

/// Shared mechanics of growth on the FC head of a `Sequential` network: finding layers and
/// their consumers, measuring feature widths, building unit blocks, widening a layer's inputs.
enum HeadSurgery {
    /// The width of the features entering top-level entry `index` (a dry run of one zero example).
    static func featureWidth(_ model: Sequential, before index: Int, inputShape: [Int]) -> Int {
        let wasTraining = model.isTraining
        model.setTraining(false)
        defer { model.setTraining(wasTraining) }
        var h = Tensor(zeros: [1] + inputShape)
        for (_, layer) in model.layers.prefix(index) { h = layer.forward(h) }
        return h.count
    }

    /// The first entry after `index` that has parameters (skipping ReLU, dropout, …).
    static func consumerIndex(_ model: Sequential, after index: Int) -> Int? {
        model.layers.indices.first { $0 > index && !model.layers[$0].1.namedParameters().isEmpty }
    }

    /// A new block `Sequential[linear, relu, norm?]` of `units` units reading `inWidth` features.
    static func newBlock(inWidth: Int, units: Int, normalize: Bool, initialScale: Float, rng: inout RNG) -> (Sequential, Linear) {
        let linear = Linear(inWidth, units, weightInit: .gaussian(std: 0.01), rng: &rng)
        linear.bias!.value.zero()
        var parts: [(String, Layer)] = [("linear", linear), ("relu", ReLU())]
        if normalize { parts.append(("norm", L2NormScale(units: units, initialScale: initialScale))) }
        return (Sequential(parts), linear)
    }

    /// The `Linear` that reads a block's input: the layer itself or a `linear` child.
    static func inputLinear(of layer: Layer) -> (holder: Sequential?, linear: Linear)? {
        if let l = layer as? Linear { return (nil, l) }
        if let s = layer as? Sequential, let l = s.layer(at: "linear") as? Linear, s.layer(at: "select") == nil { return (s, l) }
        return nil
    }

    /// A copy of `linear` reading `extra` more inputs after its current ones; `fill` sets the new
    /// columns of the weight ([out, extra]). Old columns and bias are kept.
    static func widenInputs(_ linear: Linear, extra: Int, fill: (Tensor) -> Void) -> Linear {
        let (out, inn) = (linear.outFeatures, linear.inFeatures)
        let w = Tensor(zeros: [out, inn + extra])
        embedTopLeft(linear.weight.value, into: w)
        let newColumns = Tensor(zeros: [out, extra])
        fill(newColumns)
        for r in 0..<out { (w.pointer + r * (inn + extra) + inn).update(from: newColumns.pointer + r * extra, count: extra) }
        let widened = Linear(weight: w, bias: linear.bias?.value.copy())
        copyKnobs(from: linear.weight, to: widened.weight)
        if let b = linear.bias, let nb = widened.bias { copyKnobs(from: b, to: nb) }
        return widened
    }

    static func copyKnobs(from a: Parameter, to b: Parameter) {
        b.trainable = a.trainable; b.lrMultiplier = a.lrMultiplier; b.decayMultiplier = a.decayMultiplier
    }

    /// Names (relative to the model) of all parameters under the entry named `entry`.
    static func parameterNames(_ model: Sequential, entry: String) -> [String] {
        model.namedParameters().map(\.name).filter { $0.hasPrefix(entry + ".") }
    }
}
