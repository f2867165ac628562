import XCTest
@testable import Engine
@testable import NN
@testable import Training
@testable import Growth
@testable import Zoo

/// What each growth operation promises, old and new units checked separately, by max-abs difference.
final class GrowthTests: XCTestCase {
    override func setUp() { Threads.set(1) }

    let inputShape = [1, 16, 16]

    func base(seed: UInt64 = 1) throws -> GrownNetwork {
        let net = try GrownNetwork.base(MiniAlexNet.descriptor, inputShape: inputShape, classes: 5, seed: seed)
        net.model.setTraining(false)
        return net
    }

    func input(_ n: Int = 4, seed: UInt64 = 9) -> Tensor {
        var rng = RNG(seed: seed)
        let x = Tensor(uninitialized: [n] + inputShape)
        for i in 0..<x.count { x.pointer[i] = rng.uniform() }
        return x
    }

    func maxAbsDiff(_ a: Tensor, _ b: Tensor) -> Float {
        XCTAssertEqual(a.shape, b.shape)
        return zip(a.array, b.array).map { abs($0 - $1) }.max() ?? 0
    }

    /// Growth steps of a method without the final new classifier (which changes the function by design).
    func growthOnly(_ method: GrowthMethod, init initialization: NewUnitInit, normalize: Bool, units: Int = 24) -> [GrowthStep] {
        method.steps(units: units, classes: 5, initialization: initialization, normalize: normalize, initialScale: 20, seed: 3)
            .filter { $0.operation != .newClassifier }
    }

    func testNet2NetGrowthPreservesTheFunction() throws {
        let net = try base()
        let x = input()
        let before = net.model.forward(x)
        for method in [GrowthMethod.wa, .da, .dwa, .wwa] {
            let (grown, _) = try net.grow(growthOnly(method, init: .net2net, normalize: false))
            grown.model.setTraining(false)
            let after = grown.model.forward(x)
            XCTAssertLessThanOrEqual(maxAbsDiff(after, before), 1e-5, "\(method) net2net changed the outputs")
            XCTAssertGreaterThan(grown.model.parameterCounts.total, net.model.parameterCounts.total, "\(method) added units")
        }
    }

    func testGrowthIsPureAndLogged() throws {
        let net = try base()
        let x = input()
        let before = net.model.forward(x)
        let names = net.model.namedParameters().map(\.name)
        let (grown, _) = try net.grow(GrowthMethod.wwa.steps(units: 8, classes: 3, initialization: .random, normalize: true, initialScale: 20, seed: 1))
        XCTAssertEqual(net.model.namedParameters().map(\.name), names, "the old network keeps its structure")
        XCTAssertEqual(maxAbsDiff(net.model.forward(x), before), 0, "the old network keeps its function")
        XCTAssertEqual(grown.spec.growth.map(\.operation), [.widen, .widen, .newClassifier])
        XCTAssertEqual(grown.spec.classes, 3)
        // The spec alone rebuilds the same architecture.
        let rebuilt = try Zoo.network(grown.spec).model
        XCTAssertEqual(rebuilt.namedParameters().map(\.name), grown.model.namedParameters().map(\.name))
        XCTAssertEqual(rebuilt.namedParameters().map(\.parameter.shape), grown.model.namedParameters().map(\.parameter.shape))
    }

    func testRandomWideningKeepsOldUnitsAndNormalisesEachBlock() throws {
        let net = try base()
        let x = input()
        let oldFC7 = net.model.layer(at: "fc7") as! Linear
        // FC7 activations of the original network.
        let trunkOut = Sequential(Array(net.model.layers.prefix(5)))   // trunk, flatten, fc6, relu6, drop6
        let h6 = trunkOut.forward(x)
        let oldActivations = ReLU().forward(oldFC7.forward(h6))

        let (grown, map) = try net.grow(growthOnly(.wa, init: .random, normalize: true))
        grown.model.setTraining(false)
        let fc7 = grown.model.layer(at: "fc7") as! WidenedBlock
        let keptLinear = grown.model.layer(at: "fc7.old.fc7") as! Linear
        XCTAssertEqual(maxAbsDiff(keptLinear.weight.value, oldFC7.weight.value), 0, "old FC7 weights untouched")
        XCTAssertEqual(maxAbsDiff(keptLinear.bias!.value, oldFC7.bias!.value), 0)
        // Old units' activations (before their normalisation) are the original FC7 activations.
        let oldBranch = grown.model.layer(at: "fc7.old") as! Sequential
        let relu = Sequential([oldBranch.layers[0].1, oldBranch.layers[1].1]).forward(h6)
        XCTAssertEqual(maxAbsDiff(relu, oldActivations), 0, "old activations untouched")
        // Each block has unit norm before scaling, and γ starts at 20.
        let y = fc7.forward(h6)
        for (range, label) in [(0..<512, "old"), (512..<536, "new")] {
            for b in 0..<y.shape[0] {
                var s: Float = 0
                for j in range { let v = y[b, j] / 20; s += v * v }
                XCTAssertEqual(s, 1, accuracy: 1e-4, "\(label) block of example \(b) has unit norm before scaling")
            }
        }
        for scale in ["fc7.old_norm.scale", "fc7.new_norm.scale"] {
            let p = grown.model.namedParameters().first { $0.name == scale }!.parameter
            XCTAssertTrue(p.value.array.allSatisfy { $0 == 20 }, "\(scale) starts at 20")
            XCTAssertTrue(map.newParameters.contains(scale))
        }
        XCTAssertEqual(map.sources["fc7.old.fc7.weight"], "fc7.weight")
        XCTAssertEqual(map.sources["fc8.weight"], "fc8.weight", "the widened consumer succeeds the old one")
        XCTAssertEqual(grown.roles.top, LayerSpan(["fc7"]), "the top role now names the widened block")
        XCTAssertEqual((grown.model.layer(at: "fc8") as! Linear).inFeatures, 536, "the consumer reads S more inputs")
    }

    /// Cumulative growth (Table 8): widening the already widened FC7 adds a third block beside the first two,
    /// keeps what they compute, and normalises only the new block (the old ones already are, each on its own).
    func testWideningAWidenedLayerAddsABlock() throws {
        let (once, _) = try base().grow(growthOnly(.wa, init: .random, normalize: true, units: 24))
        once.model.setTraining(false)
        let x = input()
        let firstBlocks = (once.model.layer(at: "fc7") as! WidenedBlock)
        let h6 = Sequential(Array(once.model.layers.prefix(5))).forward(x)
        let before = firstBlocks.forward(h6)

        let (twice, map) = try once.grow(growthOnly(.wa, init: .random, normalize: true, units: 16))
        twice.model.setTraining(false)
        let outer = twice.model.layer(at: "fc7") as! WidenedBlock
        XCTAssertNil(outer.oldNorm, "the first two blocks are not normalised a second time")
        XCTAssertNotNil(outer.newNorm)
        XCTAssertEqual((twice.model.layer(at: "fc8") as! Linear).inFeatures, 512 + 24 + 16)
        let y = outer.forward(h6)
        XCTAssertEqual(y.shape, [x.shape[0], 552])
        var kept = Tensor(zeros: before.shape)
        for b in 0..<y.shape[0] { for j in 0..<536 { kept[b, j] = y[b, j] } }
        XCTAssertEqual(maxAbsDiff(kept, before), 0, "the first two blocks compute what they did")
        let producer = twice.model.layer(at: "fc7.new.producer") as! Linear
        XCTAssertEqual(producer.inFeatures, 512, "the new units read FC6, as the first new block does")
        XCTAssertTrue(map.newParameters.contains("fc7.new_norm.scale"))
        XCTAssertEqual(twice.model.forward(x).shape, [x.shape[0], 5])
    }

    func testWWAOldFC7ReadsOnlyFC6() throws {
        let (grown, _) = try base().grow(growthOnly(.wwa, init: .random, normalize: true, units: 16))
        XCTAssertEqual((grown.model.layer(at: "fc6.new.producer") as! Linear).outFeatures, 8)
        let oldFC7 = grown.model.layer(at: "fc7.old.fc7") as! ReadLeading
        XCTAssertEqual(oldFC7.features, 512)
        XCTAssertEqual((oldFC7.inner as! Linear).inFeatures, 512)
        XCTAssertEqual((grown.model.layer(at: "fc7.new.producer") as! Linear).inFeatures, 520, "FC7+ reads [FC6, FC6+]")
        XCTAssertEqual((grown.model.layer(at: "fc8") as! Linear).inFeatures, 528)
    }

    /// The paper's WWA: right after growth the old FC7 computes exactly what it did (it reads FC6 raw), FC6's block
    /// has no normalisation of its own, and only FC7+ reads [FC6, FC6+], each block normalised.
    func testWWAKeepsTheOldFC7OutputAndNormalisesOnlyWhatFC7PlusReads() throws {
        let net = try base()
        let x = input()
        let h7Before = Sequential(Array(net.model.layers.prefix(7))).forward(x)   // … fc7, relu7
        let (grown, map) = try net.grow(growthOnly(.wwa, init: .random, normalize: true, units: 16))
        grown.model.setTraining(false)
        let fc6 = grown.model.layer(at: "fc6") as! WidenedBlock
        XCTAssertNil(fc6.oldNorm, "FC6's blocks stay raw: the old FC7 reads FC6's own output")
        XCTAssertNil(fc6.newNorm)
        let belowFC7 = Sequential(Array(grown.model.layers.prefix(4))).forward(x)   // trunk, flatten, fc6 block, drop6
        let fc7 = grown.model.layer(at: "fc7") as! WidenedBlock
        let oldBlock = fc7.blockOutputs(belowFC7)[0].raw
        XCTAssertEqual(maxAbsDiff(oldBlock, h7Before), 0, "old FC7 output unchanged by growth")
        let inputNorm = grown.model.layer(at: "fc7.new.input_norm") as! BlockL2NormScale
        XCTAssertEqual(inputNorm.widths, [512, 8])
        XCTAssertTrue(map.newParameters.isSuperset(of: ["fc7.new.input_norm.old_norm.scale", "fc7.new.input_norm.new_norm.scale",
                                                        "fc7.old_norm.scale", "fc7.new_norm.scale"]))
        XCTAssertFalse(grown.model.namedParameters().contains { $0.name.hasPrefix("fc6.old_norm") }, "FC6 has no scale of its own")
    }

    /// FT+norm: FC7's output normalised and scaled as WA's old block is, no new units, FC7 itself untouched.
    func testFTNormScalesTheTopLayerWithoutNewUnits() throws {
        let net = try base()
        let x = input()
        let h7 = Sequential(Array(net.model.layers.prefix(7))).forward(x)
        let (grown, map) = try net.grow(growthOnly(.ftNorm, init: .random, normalize: true))
        grown.model.setTraining(false)
        XCTAssertEqual(grown.model.layers.map(\.0), ["trunk", "flatten", "fc6", "relu6", "drop6", "fc7", "relu7", "fc7_norm", "drop7", "fc8"])
        XCTAssertEqual(map.newParameters, ["fc7_norm.scale"])
        XCTAssertEqual(grown.model.parameterCounts.total, net.model.parameterCounts.total + 512)
        let y = Sequential(Array(grown.model.layers.prefix(8))).forward(x)
        for b in 0..<x.shape[0] {
            let norm = (0..<512).map { y[b, $0] * y[b, $0] }.reduce(0, +).squareRoot()
            XCTAssertEqual(norm, 20, accuracy: 1e-3)
            let raw = (0..<512).map { h7[b, $0] * h7[b, $0] }.reduce(0, +).squareRoot()
            for j in [0, 7, 300] { XCTAssertEqual(y[b, j], 20 * h7[b, j] / raw, accuracy: 1e-4) }
        }
    }

    func testDWAPutsFCaOnTheWidenedLayer() throws {
        let (grown, _) = try base().grow(growthOnly(.dwa, init: .random, normalize: true, units: 16))
        XCTAssertEqual(grown.model.layers.map(\.0), ["trunk", "flatten", "fc6", "relu6", "drop6", "fc7", "drop7", "fca", "fc8"])
        XCTAssertEqual((grown.model.layer(at: "fca.linear") as! Linear).inFeatures, 528)
        XCTAssertNotNil(grown.model.layer(at: "fca.norm"), "DA normalises the new layer's output")
    }

    func testGradientsReachNewUnitsThroughTheOptimizer() throws {
        let (grown, map) = try base().grow(GrowthMethod.wa.steps(units: 8, classes: 3, initialization: .random, normalize: true, initialScale: 20, seed: 2))
        try FineTuneDepth.new.apply(to: grown.model, roles: grown.roles, newParameters: map.newParameters)
        grown.model.setTraining(true)
        let sgd = SGD(model: grown.model, learningRate: 0.1, momentum: 0.9)
        XCTAssertEqual(Set(sgd.parameters.map(\.name)), map.newParameters)
        let newWeight = grown.model.namedParameters().first { $0.name == "fc7.new.producer.weight" }!.parameter
        let before = newWeight.value.copy()
        let loss = SoftmaxCrossEntropy.evaluate(logits: grown.model.forward(input(8)), labels: [0, 1, 2, 0, 1, 2, 0, 1])
        _ = grown.model.backward(loss.gradient)
        sgd.step()
        XCTAssertGreaterThan(maxAbsDiff(newWeight.value, before), 0, "new units were updated")
    }

    func testDepthFreezesExactlyTheExpectedParameters() throws {
        let steps = GrowthMethod.wa.steps(units: 8, classes: 3, initialization: .random, normalize: true, initialScale: 20, seed: 2)
        let expected: [FineTuneDepth: Set<String>] = [
            .new: ["fc7.old_norm.scale", "fc7.new.producer.weight", "fc7.new.producer.bias", "fc7.new_norm.scale", "fc8.weight", "fc8.bias"],
            .fc7: ["fc7.old.fc7.weight", "fc7.old.fc7.bias"],
            .fc6: ["fc6.weight", "fc6.bias"],
            .all: ["trunk.conv1.weight", "trunk.conv1.bias", "trunk.conv2.weight", "trunk.conv2.bias", "trunk.conv3.weight", "trunk.conv3.bias"],
        ]
        var cumulative: Set<String> = []
        for depth in FineTuneDepth.allCases {
            cumulative.formUnion(expected[depth]!)
            let (grown, map) = try base().grow(steps)
            let flat = grown.model.flattened()   // what training runs on
            try depth.apply(to: flat, roles: grown.roles, newParameters: map.newParameters)
            flat.setTraining(true)
            let before = Dictionary(uniqueKeysWithValues: grown.model.namedParameters().map { ($0.name, $0.parameter.value.copy()) })
            let sgd = SGD(model: flat, learningRate: 0.1, momentum: 0.9)
            let loss = SoftmaxCrossEntropy.evaluate(logits: flat.forward(input(6)), labels: [0, 1, 2, 0, 1, 2])
            _ = flat.backward(loss.gradient)
            sgd.step()
            let changed = Set(grown.model.namedParameters().filter { maxAbsDiff($0.parameter.value, before[$0.name]!) > 0 }.map(\.name))
            XCTAssertEqual(changed, cumulative, "depth \(depth.label)")
            for (name, p) in grown.model.namedParameters() {
                XCTAssertEqual(p.lrMultiplier, map.newParameters.contains(name) ? 10 : 1, name)
            }
        }
    }

    func testGrowthCarriesMomentum() throws {
        let net = try base()
        net.model.setTraining(true)
        let sgd = SGD(model: net.model, learningRate: 0.1, momentum: 0.9)
        let loss = SoftmaxCrossEntropy.evaluate(logits: net.model.forward(input(5)), labels: [0, 1, 2, 3, 4])
        _ = net.model.backward(loss.gradient)
        sgd.step()
        let (grown, map) = try net.grow(growthOnly(.wa, init: .random, normalize: true, units: 4))
        let carried = map.carry(sgd.velocity, into: grown.model)
        XCTAssertEqual(carried["fc7.old.fc7.weight"]!.array, sgd.velocity["fc7.weight"]!.array, "old slots copied")
        XCTAssertTrue(carried["fc7.new.producer.weight"]!.array.allSatisfy { $0 == 0 }, "new slots start at zero")
        let consumer = carried["fc8.weight"]!, old = sgd.velocity["fc8.weight"]!
        for r in 0..<5 {
            for c in 0..<512 { XCTAssertEqual(consumer[r, c], old[r, c]) }
            for c in 512..<516 { XCTAssertEqual(consumer[r, c], 0) }
        }
    }

    func testCopyRandCopiesOldUnitsAndRefusesWhereItCannot() throws {
        let net = try base()
        let (grown, _) = try net.grow(growthOnly(.wa, init: .copyRand, normalize: false, units: 6))
        let old = net.model.layer(at: "fc7") as! Linear, new = grown.model.layer(at: "fc7.new.producer") as! Linear
        // Every new unit is close to some old unit (noise 0.1 × weight std) and not identical to it.
        for j in 0..<6 {
            let row = Array(new.weight.value.array[(j * 512)..<((j + 1) * 512)])
            let best = (0..<512).map { u in zip(row, old.weight.value.array[(u * 512)..<((u + 1) * 512)]).map { abs($0 - $1) }.max()! }.min()!
            XCTAssertLessThan(best, 0.05)
            XCTAssertGreaterThan(best, 0)
        }
        XCTAssertThrowsError(try net.grow(growthOnly(.da, init: .copyRand, normalize: false))) { XCTAssertTrue("\($0)".contains("copy+rand")) }
        XCTAssertThrowsError(try net.grow([GrowthStep(operation: .widen, target: .layer("fc9"), units: 3, seed: 1)])) {
            XCTAssertTrue("\($0)".contains("fc9") && "\($0)".contains("fc7"), "names the missing layer and lists the ones there are: \($0)")
        }
    }
}
