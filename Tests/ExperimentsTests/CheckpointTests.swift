import XCTest
@testable import Engine
@testable import NN
@testable import Training
@testable import Growth
@testable import Zoo
@testable import Experiments

final class CheckpointTests: XCTestCase {
    override func setUp() { Threads.set(1) }

    var directory: URL!
    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("grow-ckpt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func grownNetwork() throws -> (GrownNetwork, GrowthMap) {
        let base = try GrownNetwork.base(MiniAlexNet.descriptor, inputShape: [1, 16, 16], classes: 4, seed: 2)
        return try base.grow(GrowthMethod.dwa.steps(units: 6, classes: 3, initialization: .random, normalize: true, initialScale: 10, seed: 5))
    }

    func input() -> Tensor {
        var rng = RNG(seed: 1)
        let x = Tensor(uninitialized: [3, 1, 16, 16])
        for i in 0..<x.count { x.pointer[i] = rng.uniform() }
        return x
    }

    func testRoundTripOfAGrownNetwork() throws {
        let (net, map) = try grownNetwork()
        net.model.setTraining(false)
        let record = TrainingRecord(command: "finetune", dataset: "test", method: "dwa", epochs: 1, steps: 3, batchSize: 2,
                                    learningRate: 0.01, seed: 5, testAccuracy: 0.5, seconds: 1)
        let velocity = ["fca.linear.weight": Tensor(shape: [6, 518], repeating: 0.25)]
        XCTAssertNotNil(net.model.layer(at: "fca.linear"))
        let url = directory.appendingPathComponent("model.safetensors")
        try Checkpoint(network: net, history: [record], optimizer: OptimizerState(kind: "sgd", slots: ["velocity": velocity]),
                       newParameters: map.newParameters).save(to: url)

        let loaded = try Checkpoint.load(from: url)
        loaded.network.model.setTraining(false)
        XCTAssertEqual(loaded.network.spec, net.spec, "growth log intact")
        XCTAssertEqual(loaded.network.model.forward(input()).array, net.model.forward(input()).array, "identical outputs")
        XCTAssertEqual(loaded.optimizer?.slots["velocity"]?["fca.linear.weight"]?.array, velocity["fca.linear.weight"]!.array)
        XCTAssertEqual(loaded.newParameters, map.newParameters)
        XCTAssertEqual(loaded.history.first?.method, "dwa")
    }

    func testRefusesFilesThatAreNotCheckpointsOrDoNotFit() throws {
        let plain = directory.appendingPathComponent("plain.safetensors")
        try SafeTensors.write([("w", Tensor(zeros: [2]))], to: plain)
        XCTAssertThrowsError(try Checkpoint.load(from: plain)) { XCTAssertTrue("\($0)".contains("not a GrowingBrain checkpoint"), "\($0)") }

        let (net, _) = try grownNetwork()
        let url = directory.appendingPathComponent("a.safetensors")
        try Checkpoint(network: net, history: []).save(to: url)
        // Same metadata, weights of a different architecture.
        let file = try SafeTensors.read(contentsOf: url)
        var tensors = file.order.map { ($0, file.tensors[$0]!) }
        tensors[tensors.firstIndex { $0.0 == "fc8.weight" }!].1 = Tensor(zeros: [7, 6])
        let bad = directory.appendingPathComponent("bad.safetensors")
        try SafeTensors.write(tensors.map { (name: $0.0, tensor: $0.1) }, metadata: file.metadata, to: bad)
        XCTAssertThrowsError(try Checkpoint.load(from: bad)) { XCTAssertTrue("\($0)".contains("fc8.weight: expected shape [3, 6]"), "\($0)") }

        var metadata = file.metadata
        metadata["format_version"] = "99"
        let future = directory.appendingPathComponent("future.safetensors")
        try SafeTensors.write(tensors.map { (name: $0.0, tensor: $0.1) }, metadata: metadata, to: future)
        XCTAssertThrowsError(try Checkpoint.load(from: future)) { XCTAssertTrue("\($0)".contains("version 99"), "\($0)") }

        XCTAssertThrowsError(try Checkpoint.load(from: directory.appendingPathComponent("missing.safetensors")))
    }

    func testEvaluationReportsPerBlockAccuracyForWidenedNetworks() throws {
        let base = try GrownNetwork.base(MiniAlexNet.descriptor, inputShape: [1, 16, 16], classes: 4, seed: 2)
        let (wa, _) = try base.grow(GrowthMethod.wa.steps(units: 6, classes: 3, initialization: .random, normalize: true, initialScale: 10, seed: 5))
        let data = TensorBatches(inputs: input(), labels: [0, 1, 2], batchSize: 2, shuffleSeed: nil)
        let result = try Evaluator.evaluate(wa.model, on: data, classes: 3)
        XCTAssertEqual(result.count, 3)
        XCTAssertEqual(Set(result.perBlock.keys), ["old", "new"])
        XCTAssertEqual(result.confusion.flatMap { $0 }.reduce(0, +), 3)
        XCTAssertTrue(try Evaluator.evaluate(base.model, on: data, classes: 4).perBlock.isEmpty, "no blocks for an ungrown net")
    }
}

/// The retention probe reads the adapted network's old units back into the source network.
final class RetentionTests: XCTestCase {
    override func setUp() { Threads.set(1) }

    func testUntrainedGrowthRetainsTheSourceExactly() throws {
        let source = try GrownNetwork.base(MiniAlexNet.descriptor, inputShape: [1, 16, 16], classes: 4, seed: 2)
        var rng = RNG(seed: 3)
        let x = Tensor(uninitialized: [8, 1, 16, 16])
        for i in 0..<x.count { x.pointer[i] = rng.uniform() }
        let probe = RetentionProbe(source: source, sourceTest: TensorBatches(inputs: x, labels: [0, 1, 2, 3, 0, 1, 2, 3], batchSize: 4, shuffleSeed: nil))
        let baseline = try probe.baseline()
        let growths: [[GrowthStep]] = [
            GrowthMethod.wwa.steps(units: 6, classes: 3, initialization: .random, normalize: true, initialScale: 20, seed: 1),
            GrowthMethod.dwa.steps(units: 6, classes: 3, initialization: .random, normalize: true, initialScale: 20, seed: 1),
            GrowthMethod.wa.steps(units: 6, classes: 3, initialization: .random, normalize: true, initialScale: 20, seed: 1, widen: .layer("trunk.conv3")),
        ]
        for steps in growths {
            let (grown, map) = try source.grow(steps)
            XCTAssertEqual(try probe.accuracy(of: grown, map: map), baseline, "\(steps.map(\.summary))")
        }
        // Changed old weights do change what is retained: zeroing FC7's old units is seen.
        let (wa, waMap) = try source.grow(GrowthMethod.wa.steps(units: 6, classes: 3, initialization: .random, normalize: true, initialScale: 20, seed: 1))
        (wa.model.layer(at: "fc7.old.fc7") as! Linear).weight.value.zero()
        XCTAssertTrue(probe.retainedWeights(of: wa, map: waMap)["fc7.weight"]!.array.allSatisfy { $0 == 0 })
        // A widened conv maps back to its own name, and FC6's old columns are its leading block.
        let (conv, convMap) = try source.grow(growths[2])
        let convView = probe.retainedWeights(of: conv, map: convMap)
        XCTAssertEqual(convView["trunk.conv3.weight"]?.array, (source.model.layer(at: "trunk.conv3") as! Conv2d).weight.value.array)
        let fc6 = (source.model.layer(at: "fc6") as! Linear).weight.value
        XCTAssertEqual(convView["fc6.weight"]?.array, fc6.array)
    }
}

/// The source test images behind a plain `BatchSource`, so the probe evaluates every layer (no shared prefix).
private struct Uncached: BatchSource {
    let inner: TensorBatches
    var batchCount: Int { inner.batchCount }
    var exampleCount: Int { inner.exampleCount }
    func batches(epoch: Int, skipping: Int) -> BatchIterator { inner.batches(epoch: epoch, skipping: skipping) }
    func orderedBatches() -> BatchIterator { inner.orderedBatches() }
}

extension RetentionTests {
    /// Runs that moved different layers (none, the classifier's input FC7, FC6, conv2, conv1) score with the shared
    /// prefix exactly as with every layer evaluated, also when a later run reuses a prefix an earlier one computed.
    func testSharedSourcePrefixScoresLikeTheWholeNetwork() throws {
        let source = try GrownNetwork.base(MiniAlexNet.descriptor, inputShape: [1, 16, 16], classes: 4, seed: 2)
        var rng = RNG(seed: 9)
        let x = Tensor(uninitialized: [40, 1, 16, 16])
        for i in 0..<x.count { x.pointer[i] = rng.uniform() }
        let labels = (0..<40).map { ($0 * 7) % 4 }
        let test = TensorBatches(inputs: x, labels: labels, batchSize: 16, shuffleSeed: nil)
        let cached = RetentionProbe(source: source, sourceTest: test), whole = RetentionProbe(source: source, sourceTest: Uncached(inner: test))
        var scores: Set<Double> = []
        for round in 0..<2 {
            for moved in ["", "fc7", "fc6", "trunk.conv2", "trunk.conv1"] {
                let (adapted, map) = try source.grow(GrowthMethod.ft.steps(units: 6, classes: 3, initialization: .random, normalize: false,
                                                                            initialScale: 20, seed: 1))
                if !moved.isEmpty {
                    let weight = adapted.model.namedParameters().first { $0.name == moved + ".weight" }!.parameter.value
                    for i in 0..<weight.count { weight.pointer[i] *= 1 + 0.5 * (rng.uniform() - 0.5) }
                }
                let a = try cached.accuracy(of: adapted, map: map), b = try whole.accuracy(of: adapted, map: map)
                XCTAssertEqual(a, b, "moved \(moved.isEmpty ? "nothing" : moved), round \(round)")
                scores.insert(b)
            }
        }
        XCTAssertGreaterThan(scores.count, 1, "the moved layers change what is retained")
    }
}

/// Checkpoints of format 1 (MiniAlexNet with `fcK.linear.*` FC blocks) still load when they hold a base network.
final class LegacyCheckpointTests: XCTestCase {
    override func setUp() { Threads.set(1) }

    func legacyFile(growth: String, in directory: URL) throws -> (URL, GrownNetwork) {
        let net = try GrownNetwork.base(MiniAlexNet.descriptor, inputShape: [1, 16, 16], classes: 4, seed: 2)
        let tensors = net.model.stateDict().map { entry -> (name: String, tensor: Tensor) in
            var name = entry.name
            for k in ["fc6", "fc7"] where name.hasPrefix(k + ".") { name = k + ".linear." + name.dropFirst(k.count + 1) }
            return (name, entry.tensor)
        }
        let spec = #"{"architecture":"mini-alexnet","baseClasses":4,"growth":\#(growth),"inputShape":[1,16,16]}"#
        let url = directory.appendingPathComponent("v1-\(UUID().uuidString).safetensors")
        try SafeTensors.write(tensors + [(name: "optimizer.velocity.fc7.linear.weight", tensor: Tensor(shape: [512, 512], repeating: 0.5))],
                              metadata: ["format": Checkpoint.format, "format_version": "1", "spec": spec, "history": "[]", "new_parameters": "[]"],
                              to: url)
        return (url, net)
    }

    func testBaseNetworksOfFormatOneConvertAndGrownOnesAreRefusedWithAHint() throws {
        let dir = FileManager.default.temporaryDirectory
        let (url, net) = try legacyFile(growth: "[]", in: dir)
        defer { try? FileManager.default.removeItem(at: url) }
        let loaded = try Checkpoint.load(from: url)
        var rng = RNG(seed: 4)
        let x = Tensor(uninitialized: [2, 1, 16, 16])
        for i in 0..<x.count { x.pointer[i] = rng.uniform() }
        net.model.setTraining(false); loaded.network.model.setTraining(false)
        XCTAssertEqual(loaded.network.model.forward(x).array, net.model.forward(x).array, "same function under the new names")
        XCTAssertEqual(loaded.optimizer?.slots["velocity"]?["fc7.weight"]?.shape, [512, 512], "momentum renamed too")

        let (grownURL, _) = try legacyFile(growth: #"[{"operation":"widen","layer":"fc7"}]"#, in: dir)
        defer { try? FileManager.default.removeItem(at: grownURL) }
        XCTAssertThrowsError(try Checkpoint.load(from: grownURL)) { XCTAssertTrue("\($0)".contains("grow finetune --from"), "\($0)") }
    }
}


/// Grown networks of every ImageNet architecture round-trip through a checkpoint: architecture id, growth log
/// (replayed before the weights load), weights and the origins map.
final class ZooCheckpointTests: XCTestCase {
    override func setUp() { Threads.set(1) }

    func testGrownZooNetworksRoundTrip() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("grow-zoo-ckpt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var rng = RNG(seed: 2)
        let x = Tensor(uninitialized: [2, 3, 32, 32])
        for i in 0..<x.count { x.pointer[i] = rng.uniform() }
        for (arch, method) in [(EfficientNetLite.descriptor, GrowthMethod.wwa), (ResNet.descriptor(.resnet18), .dwa)] {
            let base = try GrownNetwork.base(arch, inputShape: [3, 32, 32], classes: 7, seed: 1)
            let (grown, map) = try base.grow(method.steps(units: 8, classes: 3, initialization: .random, normalize: true, initialScale: 20, seed: 4))
            let url = dir.appendingPathComponent("\(arch.id).safetensors")
            try Checkpoint(network: grown, history: [], newParameters: map.newParameters, classNames: ["a", "b", "c"]).save(to: url)
            let loaded = try Checkpoint.load(from: url)
            XCTAssertEqual(loaded.network.spec, grown.spec, arch.id)
            XCTAssertEqual(loaded.network.origins, grown.origins, arch.id)
            XCTAssertEqual(loaded.classNames, ["a", "b", "c"])
            grown.model.setTraining(false); loaded.network.model.setTraining(false)
            XCTAssertEqual(loaded.network.model.forward(x).array, grown.model.forward(x).array, "\(arch.id): identical outputs")
        }
    }
}
