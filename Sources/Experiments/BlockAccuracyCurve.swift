import Foundation

/// One point of the paper's Fig. 6: at a step of a widened network's fine-tuning, the held-out accuracy of the
/// classifier fed by all its inputs (`combined`) and by each block of units alone (`blocks`, e.g. "old" and "new",
/// the other block's inputs zeroed), measured on the learning curve's test examples.
public struct BlockAccuracyPoint: Codable, Sendable, Equatable {
    public let step: Int
    public let combined: Double
    public let blocks: [String: Double]

    public init(step: Int, combined: Double, blocks: [String: Double]) {
        self.step = step; self.combined = combined; self.blocks = blocks
    }
}

extension BlockAccuracyPoint {
    /// The point for `evaluation` at `step`, or nil when the classifier is not fed by a widened layer (one block).
    init?(step: Int, _ evaluation: EvaluationResult) {
        guard !evaluation.perBlock.isEmpty else { return nil }
        self.init(step: step, combined: evaluation.top1, blocks: evaluation.perBlock)
    }
}
