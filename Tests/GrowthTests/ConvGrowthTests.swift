import XCTest
@testable import Engine
@testable import NN
@testable import Growth
@testable import Zoo

/// WA on convolutions: new channels beside a conv layer, read by the next conv or by FC6 after flattening.
final class ConvGrowthTests: XCTestCase {
    override func setUp() { Threads.set(1) }

    func widen(_ layer: String, _ initialization: NewUnitInit, normalize: Bool) -> [GrowthStep] {
        [GrowthStep(operation: .widen, target: .layer(layer), units: 5, initialization: initialization, normalize: normalize, initialScale: 20, seed: 4)]
    }

    func setup() throws -> (GrownNetwork, Tensor) {
        let net = try GrownNetwork.base(MiniAlexNet.descriptor, inputShape: [1, 16, 16], classes: 5, seed: 1)
        var rng = RNG(seed: 9)
        let x = Tensor(uninitialized: [3, 1, 16, 16])
        for i in 0..<x.count { x.pointer[i] = rng.uniform() }
        return (net, x)
    }

    func testNet2NetConvWideningPreservesTheFunction() throws {
        let (net, x) = try setup()
        net.model.setTraining(false)
        let before = net.model.forward(x)
        for layer in ["trunk.conv2", "trunk.conv3"] {   // a conv consumer, and FC6 after flattening
            let (grown, _) = try net.grow(widen(layer, .net2net, normalize: false))
            grown.model.setTraining(false)
            let d = zip(grown.model.forward(x).array, before.array).map { abs($0 - $1) }.max()!
            XCTAssertLessThanOrEqual(d, 1e-5, "\(layer) net2net changed the outputs")
        }
    }

    func testRandomConvWideningKeepsOldChannelsAndRebuildsFromTheLog() throws {
        let (net, x) = try setup()
        let (grown, map) = try net.grow(widen("trunk.conv3", .random, normalize: true))
        let old = net.model.layer(at: "trunk.conv3") as! Conv2d, kept = grown.model.layer(at: "trunk.conv3.old.conv3") as! Conv2d
        XCTAssertEqual(kept.weight.value.array, old.weight.value.array)
        XCTAssertEqual((grown.model.layer(at: "trunk.conv3.new.producer") as! Conv2d).outChannels, 5)
        XCTAssertEqual((grown.model.layer(at: "fc6") as! Linear).inFeatures, (128 + 5) * 2 * 2)
        XCTAssertEqual(map.sources["trunk.conv3.old.conv3.weight"], "trunk.conv3.weight")
        XCTAssertTrue(map.newParameters.contains("trunk.conv3.new.producer.weight"))
        // Old channels' activations are untouched; each block is unit-norm over channels before scaling.
        grown.model.setTraining(false); net.model.setTraining(false)
        let stem = Array(net.model.layer(at: "trunk")!.children.prefix(6)).map(\.1)
        var h = x
        for l in stem { h = l.forward(h) }
        let oldOut = ReLU().forward(old.forward(h))
        let oldBranch = grown.model.layer(at: "trunk.conv3.old") as! Sequential
        let keptOut = Sequential([oldBranch.layers[0].1, oldBranch.layers[1].1]).forward(h)
        XCTAssertEqual(keptOut.array, oldOut.array)
        let y = grown.model.layer(at: "trunk.conv3")!.forward(h)   // [3, 133, 4, 4]
        for (range, scale) in [(0..<128, Float(20)), (128..<133, Float(20))] {
            var s: Float = 0
            for c in range { let v = y[0, c, 1, 2] / scale; s += v * v }
            XCTAssertEqual(s, 1, accuracy: 1e-4)
        }
        let rebuilt = try Zoo.network(grown.spec).model
        XCTAssertEqual(rebuilt.namedParameters().map(\.parameter.shape), grown.model.namedParameters().map(\.parameter.shape))
        XCTAssertThrowsError(try net.grow(widen("trunk.pool1", .random, normalize: true)))
    }
}

extension ConvGrowthTests {
    /// Momentum of a consumer conv that now reads more channels: old input channels keep theirs.
    func testMomentumCarriesThroughConvWidening() throws {
        let (net, _) = try setup()
        var velocity: [String: Tensor] = [:]
        for (name, p) in net.model.namedParameters() {
            let v = Tensor(uninitialized: p.shape)
            for i in 0..<v.count { v.pointer[i] = Float(i % 7) + 1 }
            velocity[name] = v
        }
        let (grown, map) = try net.grow(widen("trunk.conv2", .random, normalize: true))
        let carried = map.carry(velocity, into: grown.model)
        let old = velocity["trunk.conv3.weight"]!, new = carried["trunk.conv3.weight"]!   // [128, 64, 3, 3] → [128, 69, 3, 3]
        XCTAssertEqual(new.shape, [128, 69, 3, 3])
        for o in [0, 77, 127] {
            for c in [0, 63] { for k in 0..<9 { XCTAssertEqual(new[o, c, k / 3, k % 3], old[o, c, k / 3, k % 3]) } }
            for c in 64..<69 { for k in 0..<9 { XCTAssertEqual(new[o, c, k / 3, k % 3], 0) } }
        }
        XCTAssertEqual(carried["trunk.conv2.old.conv2.weight"]!.array, velocity["trunk.conv2.weight"]!.array)
    }
}
