import Foundation
import Training
import Growth

/// What a checkpoint written during training adds so the run can continue exactly where it stopped:
/// the options that determine the run, the trainer's position (step, epoch, batch, running sums, curve,
/// dropout generators) and what the run measured so far. Weights and optimizer state are the checkpoint's own.
public struct ResumeState: Codable, Sendable {
    /// The options that determine the run, by option name; a resume with different values is refused.
    public var run: [String: String]
    public var trainer: TrainerState
    /// Learning-pace points of a fine-tuning run so far.
    public var pace: [PacePoint]
    /// Per-block accuracy points of a fine-tuning run of a widened network so far (nil in checkpoints of older versions).
    public var blockCurve: [BlockAccuracyPoint]?
    /// The held-out accuracy of the latest curve point (what `--keep-best` ranks by).
    public var accuracy: Double?

    public init(run: [String: String], trainer: TrainerState, pace: [PacePoint] = [], blockCurve: [BlockAccuracyPoint] = []) {
        self.run = run; self.trainer = trainer; self.pace = pace; self.blockCurve = blockCurve
        self.accuracy = trainer.curve.last?.testAccuracy
    }

    /// Refuses to continue with options other than the checkpoint's, naming each difference.
    public func checkSameRun(as current: [String: String], checkpoint: String) throws {
        let keys = Set(run.keys).union(current.keys).sorted()
        let differences = keys.filter { run[$0] != current[$0] }.map { key in
            "\(key): the checkpoint has \(run[key] ?? "(unset)"), this command \(current[key] ?? "(unset)")"
        }
        guard differences.isEmpty else {
            throw CheckpointError("cannot resume from \(checkpoint): it belongs to a different run (\(differences.joined(separator: "; "))); "
                                  + "resume with the original options, or start afresh without --resume")
        }
    }
}

extension Checkpoint {
    /// Copies this checkpoint's weights into `network`, refusing a checkpoint of another network or growth log.
    public func loadWeights(into network: GrownNetwork) throws {
        try self.network.spec.checkSame(as: network.spec, checkpoint: "the checkpoint")
        try network.model.load(self.network.model.stateDictByName(), origin: "the checkpoint")
    }
}

extension NetworkSpec {
    /// Refuses a checkpoint whose network is not this one, naming what differs.
    func checkSame(as expected: NetworkSpec, checkpoint: String) throws {
        var differences: [String] = []
        if architecture != expected.architecture { differences.append("architecture \(architecture), expected \(expected.architecture)") }
        if inputShape != expected.inputShape { differences.append("input \(inputShape), expected \(expected.inputShape)") }
        if baseClasses != expected.baseClasses { differences.append("\(baseClasses) source classes, expected \(expected.baseClasses)") }
        if growth != expected.growth {
            func log(_ steps: [GrowthStep]) -> String { steps.isEmpty ? "none" : steps.map(\.summary).joined(separator: "; ") }
            differences.append("growth log [\(log(growth))], expected [\(log(expected.growth))]")
        }
        guard differences.isEmpty else {
            throw CheckpointError("\(checkpoint) holds a different network: \(differences.joined(separator: "; "))")
        }
    }
}
