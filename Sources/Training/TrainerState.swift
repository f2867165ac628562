import Engine
import NN

/// Where the training loop stands, with everything it carries between steps besides weights and optimizer
/// state: the step (which fixes the schedule's position), the epoch and how many of its batches were
/// consumed (the data order and augmentation are functions of the seed, the epoch and the example, so
/// this is the whole data-order position), the running sums behind the learning curve, the curve so far,
/// and the state of every dropout generator. Saved in checkpoints; a run restored from it continues
/// bit-identically (same machine, same threads).
public struct TrainerState: Codable, Sendable, Equatable {
    /// Loss, correct predictions and examples accumulated over some steps.
    public struct Totals: Codable, Sendable, Equatable {
        public var loss = 0.0
        public var correct = 0
        public var seen = 0
        mutating func add(loss batchLoss: Float, correct batchCorrect: Int, count: Int) {
            loss += Double(batchLoss) * Double(count); correct += batchCorrect; seen += count
        }
        var meanLoss: Double { loss / Double(Swift.max(seen, 1)) }
        var accuracy: Double { Double(correct) / Double(Swift.max(seen, 1)) }
    }

    /// Optimizer steps taken.
    public var step = 0
    /// The epoch in progress (0-based).
    public var epoch = 0
    /// Batches of `epoch` already trained on.
    public var batchInEpoch = 0
    /// Over the epoch so far (the curve's point at the end of an epoch).
    public var epochTotals = Totals()
    /// Since the curve's previous point (points every `evaluateEvery` steps).
    public var window = Totals()
    /// The latest finite loss (named when training diverges).
    public var lastFiniteLoss: Double?
    public var curve: [Trainer.CurvePoint] = []
    /// Generator state of every dropout layer, by its path in the trained model.
    public var dropout: [String: RNG] = [:]

    public init() {}
}

extension Layer {
    /// The generator of every `Dropout` in this layer's tree, by path.
    public func dropoutStates() -> [String: RNG] {
        var out: [String: RNG] = [:]
        for (path, layer) in namedLayers() { if let d = layer as? Dropout { out[path] = d.rng } }
        return out
    }

    /// Restores generators saved by `dropoutStates()`; the dropout layers must be the same.
    public func restoreDropoutStates(_ states: [String: RNG]) throws {
        let here = dropoutStates()
        guard Set(here.keys) == Set(states.keys) else {
            throw TrainerStateError("the saved state has dropout layers \(states.keys.sorted()) but the model has \(here.keys.sorted())")
        }
        for (path, layer) in namedLayers() { if let d = layer as? Dropout, let rng = states[path] { d.rng = rng } }
    }
}

public struct TrainerStateError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
