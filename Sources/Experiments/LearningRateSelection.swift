import Foundation
import Training
import Growth

/// Per-run choice of the base learning rate on a validation split carved from the training shots (never the
/// test set): each candidate trains on the rest of the shots with the run's own budget and seed, the best
/// validation accuracy wins (ties: the smaller rate), and the run then trains on all shots with it.
struct LearningRateSelection {
    /// Indices into the bank: per class, the last ⌈k/4⌉ of its k examples (at least 1, leaving at least 1) validate.
    static func split(_ bank: ViewBank) -> (train: [Int], validation: [Int]) {
        var byClass: [Int: [Int]] = [:]
        for (i, y) in bank.labels.enumerated() { byClass[y, default: []].append(i) }
        var train: [Int] = [], validation: [Int] = []
        for y in byClass.keys.sorted() {
            let idx = byClass[y]!
            let held = idx.count < 2 ? 0 : max(1, (idx.count + 3) / 4)
            train += idx.prefix(idx.count - held); validation += idx.suffix(held)
        }
        return (train, validation)
    }

    /// The chosen rate and every candidate's validation accuracy; `score(rate, trainBank, validation)` trains and evaluates one.
    static func choose(_ candidates: [Float], bank: ViewBank,
                       score: (Float, ViewBank, TensorBatches) throws -> Double) throws -> (rate: Float, validation: [String: Double]) {
        let (train, held) = split(bank)
        guard !held.isEmpty else { throw CheckpointError("--select-lr needs at least 2 training images per class to carve a validation split") }
        let trainBank = bank.subset(train), validation = bank.unaugmented(held)
        var best: (rate: Float, accuracy: Double)?
        var scores: [String: Double] = [:]
        for rate in candidates.sorted() {
            let accuracy = try score(rate, trainBank, validation)
            scores[Self.key(rate)] = accuracy
            if best == nil || accuracy > best!.accuracy { best = (rate, accuracy) }
        }
        return (best!.rate, scores)
    }

    static func key(_ rate: Float) -> String { String(format: "%g", rate) }
}

extension ComparisonTables {
    /// With `--select-lr`: the rate each method picked, per depth, over seeds.
    var selectedRates: ReportTable? {
        guard let candidates = results.config.learningRateCandidates else { return nil }
        let keys = results.config.variants.map(\.key).filter { k in results.runs.contains { $0.variant == k && $0.study == "grid" && $0.validation != nil } }
        guard !keys.isEmpty else { return nil }
        func cell(_ runs: [RunResult]) -> String {
            var counts: [Double: Int] = [:]
            for r in runs { if let lr = r.learningRate { counts[lr, default: 0] += 1 } }
            return counts.keys.sorted().map { String(format: "%g ×%d", $0, counts[$0]!) }.joined(separator: ", ")
        }
        return ReportTable(title: "Learning rates picked on validation",
                           note: "Each grid run chose its base rate among \(candidates.map { String(format: "%g", $0) }.joined(separator: ", ")) by accuracy on a validation split of its own training shots (a quarter of each class, never the test set), then trained on all shots with it. Cells: rate × number of seeds. The unit, shot and cumulative studies use the default rate \(String(format: "%g", results.config.training.learningRate)).",
                           header: ["Method"] + depths.map(\.label), rows: keys.map { k in [label(k)] + depths.map { cell(runs(k, $0)) } })
    }
}
