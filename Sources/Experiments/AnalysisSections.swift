import Foundation
import Engine
import Growth

/// The report's sections on why growth helps — the paper's Figs. 3–7 on the comparison's own data: feature-space
/// separability and what units respond to (from `ComparisonAnalysis`), and per-block learning over time (from the runs).
struct AnalysisSections {
    let results: ComparisonResults
    let analysis: ComparisonAnalysis?

    var all: [ReportSection] { [featureSpace, units, perBlockLearning].compactMap { $0 } }

    static func percent(_ v: Double) -> String { String(format: "%.1f", 100 * v) }

    /// Fig. 3: how well each network's top-layer features separate the target classes.
    var featureSpace: ReportSection? {
        guard let analysis, let space = analysis.features, !space.networks.isEmpty else { return nil }
        let rows = space.networks.map { n in
            [n.label, "\(n.dimensions)", Self.percent(n.knn1), Self.percent(n.knn5), String(format: "%.3f", n.silhouette)]
        }
        let table = ReportTable(title: "Separability of top-layer features", note: "", header: ["network", "dimensions", "1-NN (%)", "5-NN (%)", "silhouette"],
                                rows: rows)
        let ranked = space.networks.sorted { $0.knn5 > $1.knn5 || ($0.knn5 == $1.knn5 && $0.silhouette > $1.silhouette) }
        let ranking = "Ranked by 5-NN accuracy: " + ranked.enumerated().map { i, n in
            (i == 0 ? "" : Self.percent(ranked[i - 1].knn5) == Self.percent(n.knn5) ? " = " : " > ") + "\(n.label) \(Self.percent(n.knn5)) %"
        }.joined()
            + String(format: "; silhouettes from %.3f (%@) to %.3f (%@). The paper found WA ≈ DA > FT > pre-trained.",
                     space.networks.map(\.silhouette).min()!, space.networks.min { $0.silhouette < $1.silhouette }!.label,
                     space.networks.map(\.silhouette).max()!, space.networks.max { $0.silhouette < $1.silhouette }!.label)
        // Drawn in one fixed random order, so no class is painted over by the classes after it.
        var order = Array(space.labels.indices)
        var rng = RNG(seed: 1)
        rng.shuffle(&order)
        let images = space.networks.map { n -> ReportImage in
            let points = order.map { (x: Double(n.x[$0]), y: Double(n.y[$0]), group: space.labels[$0]) }
            let key = n.label.lowercased().filter { $0.isLetter || $0.isNumber || $0 == "-" }
            return .svg(name: "embedding-\(key).svg",
                        document: SVGChart.scatter(title: "\(n.label) — \(space.embedding.label) of top-layer features", xLabel: "\(space.embedding.label) 1",
                                                   yLabel: "\(space.embedding.label) 2", points: points, groupNames: space.classNames,
                                                   width: 540, height: 420))
        }
        return ReportSection(
            title: "Feature-space separability (paper Fig. 3)",
            paragraphs: ["What each network's classifier reads — the top-layer features — for \(analysis.sampleSize) test images of the target "
                         + "(up to \(analysis.perClass) per class), in the pre-trained network and in \(analysis.networks). "
                         + "k-NN: leave-one-out accuracy of the majority class of each image's k nearest other images (Euclidean); "
                         + "silhouette: how much closer images are to their own class than to the nearest other, in [−1, 1]. "
                         + "Nothing here is trained: a higher score means the classes are already apart in the features.",
                         ranking] + analysis.notes,
            tables: [table],
            figures: [ReportFigure(id: "embeddings", images: images,
                                   caption: "Each point a test image, coloured by class; \(space.embeddingDetail). "
                                       + "Axes of an embedding have no units, and distances between clusters in t-SNE are not meaningful; neighbourhoods are.")])
    }

    /// Figs. 4, 5, 7: the images single units respond to most, before and after fine-tuning — WA's old and new units,
    /// then the units of DA's new layer.
    var units: ReportSection? {
        guard let analysis, !analysis.units.flatMap(\.units).isEmpty else { return nil }
        var paragraphs: [String] = [], figures: [ReportFigure] = []
        for study in analysis.units {
            func name(_ c: Int) -> String { c < study.classNames.count ? study.classNames[c] : "class \(c)" }
            let means = study.meanSelectivity.keys.sorted().reversed().map { block in
                String(format: "%@ units %.3f → %.3f", block, study.meanSelectivity[block]![0], study.meanSelectivity[block]![1])
            }
            guard !study.units.isEmpty else {
                // Said, not skipped: a network whose units all respond alike to every class (a collapsed run) has none to show.
                paragraphs.append("\(study.network): no unit meets the rule (\(study.rule)); mean selectivity before → after: "
                                  + means.joined(separator: "; ") + ". After fine-tuning its units respond alike to every class.")
                continue
            }
            let layer = study.units.contains { $0.block == NetworkActivations.newLayer } ? "new layer" : "widened top layer"
            paragraphs.append("Units of the \(layer) of \(study.network). Rule: \(study.rule). For each, the \(study.k) of the "
                              + "\(analysis.sampleSize) analysed test images that activate it most (before normalisation; fewer when fewer activate it), "
                              + "left right after growth (old units as pre-trained, new units as initialised), right after fine-tuning. "
                              + "Mean selectivity over all units of each block, before → after: " + means.joined(separator: "; ") + ".")
            for u in study.units {
                let inClass = { (top: [Int]) in top.filter { $0 == u.preferredAfter }.count }
                let caption = "\(study.network), \(u.block) unit \(u.index): selectivity \(String(format: "%.3f → %.3f", u.selectivityBefore, u.selectivityAfter)); "
                    + "preferred class \(name(u.preferredBefore)) → \(name(u.preferredAfter)); of its top images "
                    + "(\(u.topBefore.count) before, \(u.topAfter.count) after), \(inClass(u.topBefore)) before and \(inClass(u.topAfter)) after are \(name(u.preferredAfter)) "
                    + "(before: \(u.topBefore.map(name).joined(separator: ", ")); after: \(u.topAfter.map(name).joined(separator: ", ")))."
                let id = "unit-\(study.key)-\(u.block.replacingOccurrences(of: " ", with: "-"))-\(u.index)"
                figures.append(ReportFigure(id: id,
                                            images: [.png(name: "\(id)-before.png", bytes: [UInt8](u.gridBefore), width: study.gridWidth, height: study.gridHeight),
                                                     .png(name: "\(id)-after.png", bytes: [UInt8](u.gridAfter), width: study.gridWidth, height: study.gridHeight)],
                                            caption: caption))
            }
        }
        return ReportSection(title: "What units respond to (paper Figs. 4, 5, 7)", paragraphs: paragraphs, figures: figures)
    }

    /// Fig. 6 and the learning-pace probes: how each block of a widened layer learns over time, with and without normalisation.
    var perBlockLearning: ReportSection? {
        let curves = PerBlockCurves(results: results)
        guard let depth = curves.depth, let figure = curves.figure else { return nil }
        let pace = LearningPaceFigure(results: results, depth: depth).figure
        return ReportSection(
            title: "Per-block learning over time (paper Fig. 6)",
            paragraphs: ["Held-out accuracy of the classifier reading only the old units, only the new units (the other block's inputs zeroed), "
                         + "and both, at each point of the learning curve (on the curve's test examples); then the learning-pace probes "
                         + "on a fixed training batch: how strongly each block activates before and after normalisation and how large "
                         + "its weight gradients are."],
            figures: [figure] + (pace.map { [$0] } ?? []))
    }
}
