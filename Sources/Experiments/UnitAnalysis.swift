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
        /// "old", "new" or "new layer" (`NetworkActivations`), and the unit's index within its block.
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

    /// The study of `trained` (a fine-tuned WA or DA network's activations) against `grown` (the same growth before
    /// training), on `sample`; nil when `trained` has neither a widened layer under its classifier nor a new layer.
    static func measure(grown: NetworkActivations, trained: NetworkActivations, key: String, label: String, sample: AnalysisSample) throws -> UnitStudy? {
        let (before, after) = (grown.blocks, trained.blocks)
        guard !after.isEmpty, before.map(\.name) == after.map(\.name) else { return nil }
        let classes = sample.classNames.count
        let side = sample.images.shape[3]
        let upscale = max(1, 56 / side)   // 28×28 images at 2×, so a strip is legible
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
            // A unit with selectivity 0 responds alike to every class (a collapsed network's constant output): its "top"
            // images would be an arbitrary tie order, so it is no candidate either.
            let active0 = activeImages(a0), active1 = activeImages(a1)
            let candidates = s1.selectivity.enumerated().map { active1[$0.offset] >= k && $0.element > 0 ? $0.element : .nan }
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
                             + "activation per class) above 0; a strip shows only images that activate the unit",
                         k: k, gridWidth: gridSize.0, gridHeight: gridSize.1, classNames: sample.classNames, meanSelectivity: means, units: units)
    }
}
