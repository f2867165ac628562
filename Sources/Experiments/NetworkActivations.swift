import Foundation
import Engine
import NN
import Growth

/// What the analyses read from one network, in one forward pass over the analysis sample (the features every analysis
/// then works on): the classifier's input — the top-layer features — and the grown units that feed it, block by block,
/// before normalisation: the old and new blocks of a widened layer (WA), or the units of a new layer (DA's FC_a, after
/// its ReLU).
struct NetworkActivations {
    /// The name of DA's new layer's block.
    static let newLayer = "new layer"

    /// [n, d]: what the classifier reads.
    let features: Tensor
    /// Each block's activations [n, units] (convolutional units averaged over locations), old first; empty when the
    /// classifier is fed by neither a widened layer nor a new layer.
    let blocks: [(name: String, activations: Tensor)]

    /// images: [n, C, H, W], in batches of 256, in evaluation mode.
    init(_ network: GrownNetwork, images: Tensor) {
        let model = network.model.flattened()
        model.setTraining(false)
        let body = Array(model.layers.dropLast())
        let widenedIndex = body.lastIndex { !$0.1.namedParameters().isEmpty }.flatMap { body[$0].1 is WidenedBlock ? $0 : nil }
        let newLayerReLU = widenedIndex == nil
            ? body.lastIndex { $0.0.split(separator: ".").contains(Substring(network.roles.newLayerName)) && $0.1 is ReLU } : nil
        let n = images.shape[0]
        var features: [Tensor] = [], parts: [String: [Tensor]] = [:], names: [String] = []
        func keep(_ name: String, _ raw: Tensor) {
            if parts[name] == nil { names.append(name) }
            parts[name, default: []].append(Self.unitMeans(raw))
        }
        for start in stride(from: 0, to: n, by: 256) {
            var h = AnalysisSample.rows(Array(start..<min(start + 256, n)), of: images)
            for (i, (_, layer)) in body.enumerated() {
                if i == widenedIndex, let widened = layer as? WidenedBlock {
                    for (name, raw, _) in widened.blockOutputs(h) { keep(name, raw) }
                }
                h = layer.forward(h)
                if i == newLayerReLU { keep(Self.newLayer, h) }
            }
            features.append(h.reshaped([h.shape[0], -1]).copy())   // a copy: layers may reuse their output buffers
        }
        self.features = Self.stacked(features)
        blocks = names.map { ($0, Self.stacked(parts[$0]!)) }
    }

    /// Row blocks [nᵢ, d] → [Σnᵢ, d].
    static func stacked(_ parts: [Tensor]) -> Tensor {
        let all = Tensor(uninitialized: [parts.reduce(0) { $0 + $1.shape[0] }, parts.first?.shape[1] ?? 0])
        var offset = 0
        for p in parts { (all.pointer + offset).update(from: p.pointer, count: p.count); offset += p.count }
        return all
    }

    /// x: [n, units] or [n, units, H, W] → [n, units], the mean over locations (a copy).
    static func unitMeans(_ x: Tensor) -> Tensor {
        let (n, units) = (x.shape[0], x.shape[1])
        let locations = x.count / max(n * units, 1)
        guard locations > 1 else { return x.reshaped([n, units]).copy() }
        let out = Tensor(uninitialized: [n, units])
        for i in 0..<(n * units) {
            var s: Float = 0
            for l in 0..<locations { s += x.pointer[i * locations + l] }
            out.pointer[i] = s / Float(locations)
        }
        return out
    }
}

/// How many rows of activations: [n, units] are above 0, per unit.
func activeImages(_ a: Tensor) -> [Int] {
    let (n, units) = (a.shape[0], a.shape[1])
    var counts = [Int](repeating: 0, count: units)
    for i in 0..<n { for u in 0..<units where a.pointer[i * units + u] > 0 { counts[u] += 1 } }
    return counts
}
