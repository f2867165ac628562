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
    public struct CurvePoint: Codable, Sendable, Equatable {
        public let step: Int
        public let epoch: Double
        public let trainLoss: Double
        public let trainAccuracy: Double
        public let testAccuracy: Double?
    }

    /// Why training stopped early.
    public enum Stop: Error, CustomStringConvertible {
        /// The loss, or a gradient, was NaN or infinite at `step` (1-based: the step that would have been taken).
        case nonFinite(step: Int, what: String, lastFinite: Double?)
        /// A signal asked to stop; `step` steps were completed and the state is consistent.
        case interrupted(step: Int, signal: Int32)
        public var description: String {
            switch self {
            case let .nonFinite(step, what, last):
                return "training diverged at step \(step): the \(what) became NaN or infinite"
                    + (last.map { String(format: " (last finite loss %.4f)", $0) } ?? "")
                    + "; the usual cause is a step too large: lower the learning rate (--lr) or, for a grown network, "
                    + "the initial scale of its normalised blocks (--scale), and run again"
            case let .interrupted(step, signal): return "\(signal == SIGTERM ? "terminated" : "interrupted") after step \(step)"
            }
        }
    }

    public let model: Layer
    /// Any optimizer (SGD, AdamW); the schedule sets its learning rate before every step.
    public let optimizer: any Optimizer
    public let options: Options
    private var position = TrainerState()
    public var step: Int { position.step }
    public var curve: [CurvePoint] { position.curve }
    /// Called after backward, before the optimizer step (gradients are in place); receives the step number.
    public var onGradients: ((Int) -> Void)?
    /// Called after each optimizer step and its bookkeeping (the state is consistent: a checkpoint written
    /// here resumes exactly); receives the step number.
    public var afterStep: ((Int) throws -> Void)?
    /// Called at the end of each epoch (1-based), after its evaluation (e.g. to save a checkpoint).
    public var afterEpoch: ((Int) throws -> Void)?
    public var progress: ProgressDisplay?
    /// Data parallelism: every process runs this trainer on the same batches and trains on its own rows of each.
    public var parallel: (any DataParallelism)?

    public init(model: Layer, optimizer: any Optimizer, options: Options) {
        self.model = model; self.optimizer = optimizer; self.options = options
    }

    /// Everything besides weights and optimizer state that continuing this run needs.
    public func state() -> TrainerState {
        var s = position
        s.dropout = model.dropoutStates()
        return s
    }

    /// Continues from `state` (saved by `state()` from a trainer of the same model, data and options).
    public func restore(_ state: TrainerState) throws {
        try model.restoreDropoutStates(state.dropout)
        position = state
    }

    /// Trains over `data` from the current position to the end of the last epoch; `evaluate` (if given)
    /// returns test accuracy for the curve. Throws `Stop` on divergence or a stop signal (`Interrupt`),
    /// leaving the state at the last completed step.
    public func fit(_ data: BatchSource, evaluate: (() throws -> Double)? = nil) throws {
        let totalSteps = options.epochs * data.batchCount
        progress?.start(total: totalSteps, at: position.step)
        if let parallel {
            // Every process starts from rank 0's weights and buffers (they are built alike; this makes sure).
            parallel.broadcast(model.namedParameters().map { $0.parameter.value.buffer } + model.namedBuffers().map { $0.tensor.buffer })
        }
        while position.epoch < options.epochs {
            model.setTraining(true)
            let batches = data.batches(epoch: position.epoch, skipping: position.batchInEpoch)
            while true {
                if let signal = stopSignal() { throw Stop.interrupted(step: position.step, signal: signal) }
                guard let batch = try batches.next() else { break }
                try train(on: batch)
                position.batchInEpoch += 1
                progress?.update(step: position.step, epoch: position.epoch + 1, epochs: options.epochs, loss: position.epochTotals.meanLoss,
                                 accuracy: position.epochTotals.accuracy, images: batch.shareOf?.total ?? batch.labels.count)
                if options.evaluateEvery > 0 && position.step % options.evaluateEvery == 0 {
                    try record(epoch: Double(position.step) / Double(data.batchCount) * data.epochsPerPass, position.window, evaluate)
                    position.window = .init()
                }
                try afterStep?(position.step)
                FaultInjection.afterStep(position.step)
                if let parallel, let f = FaultInjection.failRank, f == (parallel.rank, position.step) {
                    throw FaultInjection.Injected("injected failure of rank \(parallel.rank) after step \(position.step)")
                }
            }
            if options.evaluateEvery == 0 { try record(epoch: Double(position.epoch + 1), position.epochTotals, evaluate) }
            position.epoch += 1
            position.batchInEpoch = 0
            position.epochTotals = .init()
            try afterEpoch?(position.epoch)
        }
        progress?.finish()
        model.setTraining(false)
    }

    /// The signal that asks this run to stop, if any; with data parallelism, one any process received (so all stop
    /// after the same step).
    private func stopSignal() -> Int32? {
        guard let parallel else { return Interrupt.requested }
        var flags = [Interrupt.requested == SIGINT ? 1.0 : 0, Interrupt.requested == SIGTERM ? 1.0 : 0]
        parallel.sum(&flags)
        return flags[1] > 0 ? SIGTERM : flags[0] > 0 ? SIGINT : nil
    }

    /// One step: forward, loss, backward, optimizer update; refuses a non-finite loss or gradient before
    /// anything is updated, so the weights stay those of the last good step. With data parallelism this process
    /// trains on its rows of the global batch, and the gradient of the global mean loss is summed across processes.
    private func train(on global: Batch) throws {
        optimizer.learningRate = options.schedule.rate(at: position.step)
        if FaultInjection.nanAtStep == position.step + 1, let (_, p) = model.namedParameters().last(where: { $0.parameter.trainable }) {
            p.value.pointer[0] = .nan
        }
        // This process's rows: as the source prepared them (it then decoded only those), or cut from the whole batch.
        let (batch, offset, total): (Batch, Int, Int)
        if let share = global.shareOf {
            (batch, offset, total) = (global, share.offset, share.total)
        } else {
            let rows = parallel?.rows(of: global.labels.count) ?? 0..<global.labels.count
            (batch, offset, total) = (global.rows(rows), rows.lowerBound, global.labels.count)
        }
        if parallel != nil {
            for case let dropout as Dropout in model.namedLayers().map(\.layer) { dropout.slice = (offset, total) }
        }
        let logits = model.forward(batch.inputs)
        let result = SoftmaxCrossEntropy.evaluate(logits: logits, labels: batch.labels)
        // The step's loss (mean over the global batch) and correct predictions, summed over processes.
        var totals = [Double(result.loss) * Double(batch.labels.count), Double(result.correct)]
        parallel?.sum(&totals)
        let loss = totals[0] / Double(total), correct = Int(totals[1])
        guard loss.isFinite else { throw Stop.nonFinite(step: position.step + 1, what: "loss", lastFinite: position.lastFiniteLoss) }
        _ = model.backward(result.gradient)
        if let parallel {
            // Each process's gradient is of its rows' mean loss: weighted by its share of the batch, the sum is the global mean's.
            let share = Float(batch.labels.count) / Float(total)
            let grads = model.namedParameters().filter { $0.parameter.trainable }.map { $0.parameter.grad.buffer }
            for g in grads { for i in g.indices { g[i] *= share } }
            parallel.sum(grads)
        }
        if let bad = model.firstNonFiniteGradient() {
            throw Stop.nonFinite(step: position.step + 1, what: "gradient of \(bad)", lastFinite: position.lastFiniteLoss)
        }
        onGradients?(position.step + 1)
        optimizer.step()
        position.step += 1
        position.lastFiniteLoss = loss
        position.epochTotals.add(loss: Float(loss), correct: correct, count: total)
        position.window.add(loss: Float(loss), correct: correct, count: total)
    }

    private func record(epoch: Double, _ totals: TrainerState.Totals, _ evaluate: (() throws -> Double)?) throws {
        let test = try evaluate?()
        model.setTraining(true)
        position.curve.append(CurvePoint(step: position.step, epoch: epoch, trainLoss: totals.meanLoss,
                                         trainAccuracy: totals.accuracy, testAccuracy: test))
    }
}

extension Layer {
    /// The name of the first trainable parameter whose gradient holds a NaN or infinity, if any.
    public func firstNonFiniteGradient() -> String? {
        for (name, p) in namedParameters() where p.trainable {
            // NaN·0 and ∞·0 are NaN, everything else 0: one branch-free pass, eight lanes at a time.
            let g = p.grad.pointer, n = p.grad.count
            let raw = UnsafeRawPointer(g)
            var lanes = SIMD8<Float>(repeating: 0)
            for i in 0..<(n / 8) { lanes += raw.loadUnaligned(fromByteOffset: 32 * i, as: SIMD8<Float>.self) * 0 }
            var sum = lanes.sum()
            for i in (n / 8 * 8)..<n { sum += g[i] * 0 }
            if !sum.isFinite { return name }
        }
        return nil
    }
}

/// Ctrl-C and SIGTERM: the first signal asks the training loop to stop after the current step (so the
/// caller can save a checkpoint and say how to resume); a second one removes any half-written file and
/// exits at once (130 for SIGINT, 143 for SIGTERM).
public enum Interrupt {
    nonisolated(unsafe) private static var signalNumber: Int32 = 0
    nonisolated(unsafe) private static var installed = false

    /// The signal that asked to stop, if one did.
    public static var requested: Int32? { signalNumber == 0 ? nil : signalNumber }

    public static func install() {
        guard !installed else { return }
        installed = true
        for sig in [SIGINT, SIGTERM] {
            signal(sig) { sig in
                if Interrupt.signalNumber != 0 {
                    AtomicFile.removeInFlight()
                    _exit(128 + sig)
                }
                Interrupt.signalNumber = sig
                // Only async-signal-safe calls here: a static string and write(2).
                let message: StaticString = "\nstop requested: finishing this step and saving (signal again to quit now)\n"
                _ = write(2, message.utf8Start, message.utf8CodeUnitCount)
            }
        }
    }

    /// The process exit status for a stop by `signal`: 128 + the signal number.
    public static func exitCode(_ signal: Int32) -> Int32 { 128 + signal }

    /// For tests.
    public static func reset() { signalNumber = 0 }
    public static func request(_ signal: Int32 = SIGINT) { signalNumber = signal }
}
