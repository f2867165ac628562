import XCTest
import Foundation
@testable import Engine
@testable import NN
@testable import Training
@testable import Growth
@testable import Zoo
@testable import Experiments

/// A fine-tuning run stopped right after growth (step 0) or in the middle, saved as a checkpoint file and
/// resumed from it, ends with bit-identical weights, curve, pace and test accuracy to an uninterrupted run.
final class FineTuneResumeTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws {
        Threads.set(1); Interrupt.reset()
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("resume-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }
    override func tearDownWithError() throws { Interrupt.reset(); try? FileManager.default.removeItem(at: dir) }

    func data(_ n: Int, seed: UInt64) -> (Tensor, [Int]) {
        var rng = RNG(seed: seed)
        let x = Tensor(zeros: [n, 1, 16, 16])
        var labels: [Int] = []
        for i in 0..<n {
            let c = i % 4; labels.append(c)
            for j in 0..<256 { x.pointer[i * 256 + j] = (j / 64 == c ? 0.8 : 0) + 0.3 * rng.normal() }
        }
        return (x, labels)
    }

    func testResumedFineTuningIsBitIdenticalForEveryKindOfRun() throws {
        let source = try GrownNetwork.base(MiniAlexNet.descriptor, inputShape: [1, 16, 16], classes: 6, seed: 3)
        let (x, y) = data(24, seed: 1), (tx, ty) = data(16, seed: 2)
        let shifted = Tensor(zeros: x.shape)
        for i in 0..<(x.count - 1) { shifted.pointer[i + 1] = x.pointer[i] }
        let train = ViewBank(passes: [(x, y), (shifted, y)])
        let test = TensorBatches(inputs: tx, labels: ty, batchSize: 256, shuffleSeed: nil)
        // WA at All (whole network, dropout), WWA at fc6 (cached features), DA at new; and WA at All with AdamW.
        for (method, depth, optimizer) in [(GrowthMethod.wa, FineTuneDepth.all, OptimizerKind.sgd), (.wwa, .fc6, .sgd), (.da, .new, .sgd), (.wa, .all, .adamw)] {
            var config = FineTuneConfig()
            config.method = method; config.units = 8; config.depth = depth; config.budget = .iterations(12); config.batchSize = 8
            config.learningRate = optimizer == .sgd ? 0.01 : 0.001; config.optimizer = optimizer
            func run(_ checkpointing: FineTuneCheckpointing? = nil) throws -> FineTuneOutcome {
                try FineTune.run(source: source, config: config, classes: 4, train: train, test: test, cacheFrozenFeatures: true,
                                 evaluations: 4, checkpointing: checkpointing)
            }
            let full = try run()
            for stopAt in [0, 5] {   // right after growth; mid-run, before the decay at step 8
                let label = "\(method.rawValue) at \(depth.rawValue) (\(optimizer.rawValue)), stopped at step \(stopAt)"
                let file = dir.appendingPathComponent("\(method.rawValue)-\(optimizer.rawValue)-\(stopAt).safetensors")
                // Every step hands a snapshot over: at step `stopAt` it asks to stop (as a signal would), and the snapshot
                // handed over on the stop is written to a file.
                let checkpointing = FineTuneCheckpointing(every: 1) { s in
                    if Interrupt.requested != nil {
                        try Checkpoint(network: s.network, history: [], optimizer: s.optimizer, newParameters: s.newParameters,
                                       resume: ResumeState(run: ["seed": "1"], trainer: s.trainer, pace: s.pace,
                                                           blockCurve: s.blockCurve)).save(to: file)
                    } else if s.trainer.step == stopAt {
                        Interrupt.request()
                    }
                }
                Interrupt.reset()
                if stopAt == 0 { Interrupt.request() }
                XCTAssertThrowsError(try run(checkpointing), label) { error in
                    guard case let Trainer.Stop.interrupted(step, _) = error else { return XCTFail("\(label): \(error)") }
                    XCTAssertEqual(step, stopAt, label)
                }
                Interrupt.reset()
                let checkpoint = try Checkpoint.load(from: file)
                XCTAssertEqual(checkpoint.resume?.trainer.step, stopAt, label)
                let resumed = try run(FineTuneCheckpointing(resume: checkpoint, every: 0) { _ in })

                XCTAssertEqual(resumed.steps, full.steps, label)
                XCTAssertEqual(resumed.curve, full.curve, label)
                XCTAssertEqual(resumed.blockCurve, full.blockCurve, label)
                XCTAssertEqual(resumed.evaluation.top1, full.evaluation.top1, label)
                XCTAssertEqual(resumed.pace.map(\.step), full.pace.map(\.step), label)
                XCTAssertEqual(resumed.pace.map(\.activation), full.pace.map(\.activation), label)
                for ((name, a), (_, b)) in zip(full.network.model.stateDict(), resumed.network.model.stateDict()) {
                    XCTAssertEqual(a.array.map(\.bitPattern), b.array.map(\.bitPattern), "\(label): \(name)")
                }
            }
        }
    }

    func testResumeRefusesACheckpointOfAnotherGrowthOrRun() throws {
        let source = try GrownNetwork.base(MiniAlexNet.descriptor, inputShape: [1, 16, 16], classes: 6, seed: 3)
        let (x, y) = data(8, seed: 1)
        var config = FineTuneConfig()
        config.method = .da; config.units = 8; config.budget = .iterations(2); config.batchSize = 4
        let (grown, _) = try source.grow(config.steps(classes: 4))
        let checkpoint = Checkpoint(network: grown, history: [], optimizer: OptimizerState(kind: "sgd"),
                                    resume: ResumeState(run: ["lr": "0.003", "seed": "1"], trainer: TrainerState()))
        config.method = .wa
        XCTAssertThrowsError(try FineTune.run(source: source, config: config, classes: 4, train: ViewBank(passes: [(x, y)]),
                                              test: TensorBatches(inputs: x, labels: y, batchSize: 8, shuffleSeed: nil), cacheFrozenFeatures: true,
                                              checkpointing: FineTuneCheckpointing(resume: checkpoint) { _ in })) {
            XCTAssertTrue("\($0)".contains("different network") && "\($0)".contains("growth log"), "\($0)")
        }
        XCTAssertThrowsError(try checkpoint.resume!.checkSameRun(as: ["lr": "0.01", "seed": "1"], checkpoint: "c.safetensors")) {
            XCTAssertTrue("\($0)".contains("lr: the checkpoint has 0.003, this command 0.01"), "\($0)")
        }
    }

    func testSeriesKeepsTheLastAndTheBestAndFindsTheNewestReadable() throws {
        let series = CheckpointSeries(output: dir.appendingPathComponent("run.safetensors").path, keepLast: 2, keepBest: true)
        XCTAssertEqual(series.directory.lastPathComponent, "run.checkpoints")
        let network = try GrownNetwork.base(MiniAlexNet.descriptor, inputShape: [1, 16, 16], classes: 3, seed: 1)
        for (step, accuracy) in [(10, 0.5), (20, 0.9), (30, 0.6), (40, 0.7), (50, 0.4)] {
            var state = TrainerState()
            state.step = step
            state.curve = [Trainer.CurvePoint(step: step, epoch: 1, trainLoss: 1, trainAccuracy: 0.5, testAccuracy: accuracy)]
            try series.save(Checkpoint(network: network, history: [], resume: ResumeState(run: [:], trainer: state)), step: step)
        }
        XCTAssertEqual(series.files().map(\.step), [20, 40, 50])   // the newest two and the best (0.9 at step 20)
        // A damaged newest file is passed over, with the reason.
        try Data("not a checkpoint".utf8).write(to: series.url(step: 60))
        var skipped: [String] = []
        let latest = series.latest { url, _ in skipped.append(url.lastPathComponent) }
        XCTAssertEqual(latest?.checkpoint.resume?.trainer.step, 50)
        XCTAssertEqual(skipped, ["step-0000060.safetensors"])
    }
}
