import Foundation
import Growth

/// The report's sections on why growth helps — the paper's Figs. 3–7 on the comparison's own data.
struct AnalysisSections {
    let results: ComparisonResults

    var all: [ReportSection] { [perBlockLearning].compactMap { $0 } }

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
