import Foundation
import Engine
import NN
import Training
import Growth

/// Classification quality on a test source: top-1, mean per-class accuracy and the confusion matrix,
/// plus, for a widened network, the accuracy of each block alone (the paper's Fig. 6).
public struct EvaluationResult: Codable, Sendable {
    public let top1: Double
    public let meanPerClass: Double
    /// confusion[true][predicted]
    public let confusion: [[Int]]
    /// Accuracy with only one block of classifier inputs (others zeroed): e.g. ["old": 0.61, "new": 0.66].
    public let perBlock: [String: Double]
    public let count: Int
}

public enum Evaluator {
    /// Evaluates `model` (a network whose last leaf is the classifier) on `data`.
    /// With `parallel`, each process classifies its rows of every batch and the counts are summed: every process
    /// returns the result one process would.
    public static func evaluate(_ network: Sequential, on data: BatchSource, classes: Int,
                                parallel: (any DataParallelism)? = nil) throws -> EvaluationResult {
        network.setTraining(false)
        let model = network.flattened()
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)
        var blocks: [(String, Range<Int>)] = []
        var blockCorrect = [String: Int]()
        var count = 0
        let classifier = model.layers.last!.1
        let body = Sequential(Array(model.layers.dropLast()))
        let batches = data.orderedBatches()
        var seenBatch = false
        while let whole = try batches.next() {
            let batch = parallel.map { whole.rows($0.rows(of: whole.labels.count)) } ?? whole
            count += batch.labels.count
            if batch.labels.isEmpty { continue }
            let features = body.forward(batch.inputs)
            if !seenBatch { blocks = classifierBlocks(model); seenBatch = true }   // branch widths are known after a forward
            let predictions = SoftmaxCrossEntropy.predictions(classifier.forward(features))
            for (p, y) in zip(predictions, batch.labels) { confusion[y][p] += 1 }
            guard blocks.count > 1 else { continue }
            for (name, range) in blocks {
                let masked = features.copy()
                let width = features.shape[1]
                for i in 0..<features.shape[0] {
                    for j in 0..<width where !range.contains(j) { masked.pointer[i * width + j] = 0 }
                }
                let p = SoftmaxCrossEntropy.predictions(classifier.forward(masked))
                blockCorrect[name, default: 0] += zip(p, batch.labels).filter { $0 == $1 }.count
            }
        }
        if let parallel {
            // Every process saw the first batch's rows, so all know the same blocks.
            let names = blocks.count > 1 ? blocks.map(\.0).sorted() : []
            var counts = confusion.flatMap { $0.map(Double.init) } + names.map { Double(blockCorrect[$0] ?? 0) } + [Double(count)]
            parallel.sum(&counts)
            confusion = (0..<classes).map { r in (0..<classes).map { Int(counts[r * classes + $0]) } }
            for (k, name) in names.enumerated() { blockCorrect[name] = Int(counts[classes * classes + k]) }
            count = Int(counts.last!)
        }
        let correct = (0..<classes).reduce(0) { $0 + confusion[$1][$1] }
        let perClass = (0..<classes).compactMap { c -> Double? in
            let n = confusion[c].reduce(0, +)
            return n == 0 ? nil : Double(confusion[c][c]) / Double(n)
        }
        return EvaluationResult(top1: count == 0 ? 0 : Double(correct) / Double(count),
                                meanPerClass: perClass.isEmpty ? 0 : perClass.reduce(0, +) / Double(perClass.count),
                                confusion: confusion,
                                perBlock: blockCorrect.mapValues { Double($0) / Double(max(count, 1)) }, count: count)
    }

    /// The blocks of classifier inputs: for a classifier fed by a widened layer, the ranges of the old and
    /// new units; otherwise a single block. `model` is a flattened network after a forward.
    public static func classifierBlocks(_ model: Sequential) -> [(String, Range<Int>)] {
        guard model.layers.count >= 2 else { return [] }
        let feeder = model.layers.dropLast().last { !$0.1.namedParameters().isEmpty }?.1
        guard let block = feeder as? WidenedBlock, block.widths.count == block.blockNames.count else { return [] }
        var start = 0
        return zip(block.blockNames, block.widths).map { name, width in
            defer { start += width }
            return (name, start..<(start + width))
        }
    }
}
