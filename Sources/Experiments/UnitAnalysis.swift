import Foundation
import Engine
import NN
import Growth
import Analysis

/// The paper's Figs. 4, 5 and 7 on the comparison's data: what single units respond to, before and after fine-tuning —
/// the old and new units of WA's widened layer (Figs. 4, 7), or the units of DA's new layer (Fig. 5). "Before" is the
/// network right after growth (old units as pre-trained, new units at their initialisation), "after" the fine-tuned
/// one. Units are chosen by a stated rule: in each block (old, new, new layer), the
/// `perBlock` units most class-selective after fine-tuning (Morcos et al.'s index on the analysis sample) among those active
/// on at least `k` images; for each, the (up to) `k` sample images that activate it most, before and after, as PNG strips.
public struct UnitStudy: Codable, Sendable {
    public struct Unit: Codable, Sendable {
        /// "old", "new" or "new layer" (`BlockActivations`), and the unit's index within its block.
        public let block: String
        public let index: Int
        public let selectivityBefore: Double
        public let selectivityAfter: Double
        /// The class with the highest mean activation, before and after.
        public let preferredBefore: Int
        public let preferredAfter: Int
        /// The classes of the top-k images, most activating first.
        public let topBefore: [Int]
        public let topAfter: [Int]
        /// PNG strips of the top-k images.
        public let gridBefore: Data
        public let gridAfter: Data
    }

    /// The method's key (e.g. "wa") and how the report names the network.
    public let key: String
    public let network: String
    public let rule: String
    public let k: Int
    public let gridWidth: Int
    public let gridHeight: Int
    public let classNames: [String]
    /// Mean selectivity over every unit of each block, before and after.
    public let meanSelectivity: [String: [Double]]
    public let units: [Unit]

    static let perBlock = 3
    static let k = 8

    /// The study of `trained` (a fine-tuned WA or DA network) against `grown` (the same growth before training), on `sample`;
    /// nil when `trained` has neither a widened layer under its classifier nor a new layer.
    static func measure(grown: GrownNetwork, trained: GrownNetwork, key: String, label: String, sample: AnalysisSample) throws -> UnitStudy? {
        guard let before = BlockActivations.of(grown, images: sample.images),
              let after = BlockActivations.of(trained, images: sample.images) else { return nil }
        let classes = sample.classNames.count
        let side = sample.images.shape[3]
        let upscale = max(1, 56 / side)   // 28×28 silhouettes at 2×, so a strip is legible
        let scaling = ImageGrid.Scaling.meanStd(mean: sample.normalization.mean, std: sample.normalization.std)
        var units: [Unit] = [], means: [String: [Double]] = [:]
        var gridSize = (0, 0)
        for ((block, a0), (_, a1)) in zip(before, after) {
            let s0 = UnitSelectivity.analyse(activations: a0, labels: sample.labels, classes: classes)
            let s1 = UnitSelectivity.analyse(activations: a1, labels: sample.labels, classes: classes)
            func mean(_ v: [Double]) -> Double { let f = v.filter(\.isFinite); return f.reduce(0, +) / Double(max(f.count, 1)) }
            means[block] = [mean(s0.selectivity), mean(s1.selectivity)]
            // A unit that fires on a handful of images is "selective" by accident; only units active on at least k images
            // after fine-tuning are candidates (NaN is never chosen), and strips show only images that activate the unit.
            let active0 = activeImages(a0), active1 = activeImages(a1)
            let candidates = s1.selectivity.enumerated().map { active1[$0.offset] >= k ? $0.element : .nan }
            for unit in UnitSelectivity.mostSelective(candidates, among: 0..<candidates.count, count: perBlock) {
                let top0 = Array(UnitSelectivity.topImages(activations: a0, unit: unit, k: k).prefix(active0[unit]))
                let top1 = Array(UnitSelectivity.topImages(activations: a1, unit: unit, k: k).prefix(active1[unit]))
                func strip(_ rows: [Int]) throws -> Data {
                    Data(try ImageGrid.png(tiles: sample.images(rows), rows: 1, columns: k, upscale: upscale, scaling: scaling))
                }
                units.append(Unit(block: block, index: unit, selectivityBefore: s0.selectivity[unit], selectivityAfter: s1.selectivity[unit],
                                  preferredBefore: s0.preferredClass[unit], preferredAfter: s1.preferredClass[unit],
                                  topBefore: top0.map { sample.labels[$0] }, topAfter: top1.map { sample.labels[$0] },
                                  gridBefore: try strip(top0), gridAfter: try strip(top1)))
            }
            let tile = side * upscale + 2
            gridSize = (k * tile + 2, tile + 2)   // ImageGrid's layout: padding 2 around and between tiles
        }
        return UnitStudy(key: key, network: label,
                         rule: "in each block, of the units active (> 0) on at least \(k) analysed images after fine-tuning, the \(perBlock) "
                             + "with the highest class selectivity after fine-tuning ((μ_max − μ_rest)/(μ_max + μ_rest) of the unit's mean "
                             + "activation per class); a strip shows only images that activate the unit",
                         k: k, gridWidth: gridSize.0, gridHeight: gridSize.1, classNames: sample.classNames, meanSelectivity: means, units: units)
    }
}

/// How many rows of activations: [n, units] are above 0, per unit.
func activeImages(_ a: Tensor) -> [Int] {
    let (n, units) = (a.shape[0], a.shape[1])
    var counts = [Int](repeating: 0, count: units)
    for i in 0..<n { for u in 0..<units where a.pointer[i * units + u] > 0 { counts[u] += 1 } }
    return counts
}

/// The grown units that feed a network's classifier, block by block, before normalisation: the old and new blocks of
/// a widened layer (WA), or the units of a new layer (DA's FC_a, after its ReLU).
enum BlockActivations {
    /// The name of DA's new layer's block.
    static let newLayer = "new layer"

    /// images: [n, C, H, W] → each block's activations [n, units] (convolutional units averaged over locations), old first;
    /// nil when the classifier is fed by neither a widened layer nor a new layer.
    static func of(_ network: GrownNetwork, images: Tensor) -> [(String, Tensor)]? {
        let model = network.model.flattened()
        model.setTraining(false)
        let outputs: (Tensor) -> [(String, Tensor)]
        if let index = model.layers.dropLast().lastIndex(where: { !$0.1.namedParameters().isEmpty }),
           let widened = model.layers[index].1 as? WidenedBlock {
            let below = Sequential(Array(model.layers.prefix(index)))
            outputs = { x in widened.blockOutputs(below.forward(x)).map { ($0.name, $0.raw) } }
        } else if let relu = model.layers.lastIndex(where: { $0.0.split(separator: ".").contains(Substring(network.roles.newLayerName)) && $0.1 is ReLU }) {
            let through = Sequential(Array(model.layers.prefix(relu + 1)))
            outputs = { x in [(newLayer, through.forward(x))] }
        } else {
            return nil
        }
        let n = images.shape[0]
        var blocks: [String: [Tensor]] = [:], names: [String] = []
        for start in stride(from: 0, to: n, by: 256) {
            for (name, raw) in outputs(AnalysisSample.rows(Array(start..<min(start + 256, n)), of: images)) {
                if blocks[name] == nil { names.append(name) }
                blocks[name, default: []].append(unitMeans(raw))
            }
        }
        return names.map { name in
            let parts = blocks[name]!
            let all = Tensor(uninitialized: [n, parts[0].shape[1]])
            var offset = 0
            for p in parts { (all.pointer + offset).update(from: p.pointer, count: p.count); offset += p.count }
            return (name, all)
        }
    }

    /// x: [n, units] or [n, units, H, W] → [n, units], the mean over locations.
    static func unitMeans(_ x: Tensor) -> Tensor {
        let (n, units) = (x.shape[0], x.shape[1])
        let locations = x.count / max(n * units, 1)
        guard locations > 1 else { return x.reshaped([n, units]).copy() }   // a copy: layers may reuse their output buffers
        let out = Tensor(uninitialized: [n, units])
        for i in 0..<(n * units) {
            var s: Float = 0
            for l in 0..<locations { s += x.pointer[i * locations + l] }
            out.pointer[i] = s / Float(locations)
        }
        return out
    }
}
