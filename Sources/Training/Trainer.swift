import Foundation
import Engine
import NN

/// The training loop: forward, loss, backward, optimizer step over epochs, with a learning-rate schedule,
/// a progress display, a learning curve, and clean stops on a NaN loss or Ctrl-C.
public final class Trainer {
    public struct Options: Sendable {
        public var epochs: Int
        public var schedule: any LearningRateSchedule
        /// Evaluate on the test source every this many steps (0 = at the end of each epoch only).
        public var evaluateEvery: Int = 0
        public init(epochs: Int, schedule: any LearningRateSchedule, evaluateEvery: Int = 0) {
            self.epochs = epochs; self.schedule = schedule; self.evaluateEvery = evaluateEvery
        }
    }

    /// One point of the learning curve.
    public struct CurvePoint: Codable, Sendable {
        public let step: Int
        public let epoch: Double
        public let trainLoss: Double
        public let trainAccuracy: Double
        public let testAccuracy: Double?
    }

    /// Why training stopped early.
    public enum Stop: Error, CustomStringConvertible {
        case nonFiniteLoss(step: Int, lastFinite: Double?)
        case interrupted(step: Int)
        public var description: String {
            switch self {
            case let .nonFiniteLoss(step, last):
                return "training diverged: the loss became NaN/inf at step \(step)\(last.map { String(format: " (last finite loss %.4f)", $0) } ?? ""); lower the learning rate (--lr) and try again"
            case let .interrupted(step): return "interrupted at step \(step)"
            }
        }
    }

    public let model: Layer
    /// Any optimizer (SGD, AdamW); the schedule sets its learning rate before every step.
    public let optimizer: any Optimizer
    public let options: Options
    public private(set) var step = 0
    public private(set) var curve: [CurvePoint] = []
    /// Called after backward, before the optimizer step (gradients are in place); receives the step number.
    public var onGradients: ((Int) -> Void)?
    /// Called after each optimizer step; receives the step number.
    public var afterStep: ((Int) -> Void)?
    /// Called at the end of each epoch (1-based), after its evaluation (e.g. to save a checkpoint).
    public var afterEpoch: ((Int) throws -> Void)?
    public var progress: ProgressDisplay?

    public init(model: Layer, optimizer: any Optimizer, options: Options) {
        self.model = model; self.optimizer = optimizer; self.options = options
    }

    /// Trains over `data`; `evaluate` (if given) returns test accuracy for the curve.
    public func fit(_ data: BatchSource, evaluate: (() throws -> Double)? = nil) throws {
        let totalSteps = options.epochs * data.batchCount
        progress?.start(total: totalSteps)
        var lastFinite: Double?
        for epoch in 0..<options.epochs {
            model.setTraining(true)
            var lossSum = 0.0, correct = 0, seen = 0
            // The curve's training loss and accuracy are over the steps since its previous point.
            var window = (loss: 0.0, correct: 0, seen: 0)
            let batches = data.batches(epoch: epoch)
            while let batch = try batches.next() {
                if Interrupt.requested { throw Stop.interrupted(step: step) }
                optimizer.learningRate = options.schedule.rate(at: step)
                let logits = model.forward(batch.inputs)
                let result = SoftmaxCrossEntropy.evaluate(logits: logits, labels: batch.labels)
                guard result.loss.isFinite else { throw Stop.nonFiniteLoss(step: step, lastFinite: lastFinite) }
                lastFinite = Double(result.loss)
                _ = model.backward(result.gradient)
                onGradients?(step + 1)
                optimizer.step()
                step += 1
                afterStep?(step)
                lossSum += Double(result.loss) * Double(batch.labels.count)
                correct += result.correct; seen += batch.labels.count
                window.loss += Double(result.loss) * Double(batch.labels.count); window.correct += result.correct; window.seen += batch.labels.count
                progress?.update(step: step, epoch: epoch + 1, epochs: options.epochs, loss: lossSum / Double(seen),
                                 accuracy: Double(correct) / Double(seen), images: batch.labels.count)
                if options.evaluateEvery > 0 && step % options.evaluateEvery == 0 {
                    try record(epoch: Double(step) / Double(data.batchCount) * data.epochsPerPass, loss: window.loss / Double(window.seen),
                               accuracy: Double(window.correct) / Double(window.seen), evaluate)
                    window = (0, 0, 0)
                }
            }
            if options.evaluateEvery == 0 {
                try record(epoch: Double(epoch + 1), loss: lossSum / Double(max(seen, 1)), accuracy: Double(correct) / Double(max(seen, 1)), evaluate)
            }
            try afterEpoch?(epoch + 1)
        }
        progress?.finish()
        model.setTraining(false)
    }

    private func record(epoch: Double, loss: Double, accuracy: Double, _ evaluate: (() throws -> Double)?) throws {
        let test = try evaluate?()
        model.setTraining(true)
        curve.append(CurvePoint(step: step, epoch: epoch, trainLoss: loss, trainAccuracy: accuracy, testAccuracy: test))
    }
}

/// Ctrl-C handling: the first SIGINT asks the training loop to stop after the current step (so the
/// caller can save what it has); a second one exits at once.
public enum Interrupt {
    nonisolated(unsafe) public private(set) static var requested = false
    nonisolated(unsafe) private static var installed = false

    public static func install() {
        guard !installed else { return }
        installed = true
        signal(SIGINT) { _ in
            if Interrupt.requested { _exit(130) }
            Interrupt.requested = true
            let message = "\ninterrupt: stopping after this step (Ctrl-C again to quit now)\n"
            _ = message.withCString { write(2, $0, strlen($0)) }
        }
    }

    /// For tests.
    public static func reset() { requested = false }
    static func request() { requested = true }
}
