import XCTest
@testable import Engine
@testable import NN
@testable import Training
@testable import Growth
@testable import Zoo

/// What growth promises, on every architecture of the zoo, old and new units checked separately by
/// max-abs difference: random growth leaves the old units' outputs bit-identical, net2net growth leaves
/// the network's function unchanged (replicas of single units, or of a whole ResNet stage), each method trains (forward + backward at depth All), and the
/// depths unfreeze the layers the architecture names.
final class ZooGrowthTests: XCTestCase {
    override func setUp() { Threads.set(1) }

    /// (architecture, input side) small enough for debug-build tests.
    static let cases: [(ArchitectureDescriptor, Int)] = [
        (EfficientNetLite.descriptor, 32), (AlexNet.descriptor, 63), (VGG.descriptor, 32), (ResNet.descriptor(.resnet18), 32), (ResNet.descriptor(.resnet50), 32),
    ]

    func network(_ arch: ArchitectureDescriptor, side: Int, classes: Int = 10) throws -> GrownNetwork {
        let net = try GrownNetwork(arch, spec: NetworkSpec(architecture: arch.id, inputShape: [3, side, side], baseClasses: classes),
                                   initialize: false)
        DeterministicWeights.fill(net.model)   // non-trivial weights, fast in debug builds
        net.model.setTraining(false)
        return net
    }

    func input(_ side: Int, n: Int = 2) -> Tensor {
        var rng = RNG(seed: 5)
        let x = Tensor(uninitialized: [n, 3, side, side])
        for i in 0..<x.count { x.pointer[i] = 2 * rng.uniform() - 1 }
        return x
    }

    func relativeMaxDiff(_ a: Tensor, _ b: Tensor) -> Float {
        XCTAssertEqual(a.shape, b.shape)
        let scale = max(b.array.map(abs).max() ?? 0, 1e-12)
        return (zip(a.array, b.array).map { abs($0 - $1) }.max() ?? 0) / scale
    }

    /// Output of the flattened network's leaves up to and including the last leaf under `paths`.
    func output(_ model: Sequential, through paths: [String], _ x: Tensor) -> Tensor {
        let flat = model.flattened()
        let last = flat.layers.lastIndex { leaf in paths.contains { leaf.0 == $0 || leaf.0.hasPrefix($0 + ".") } }!
        return flat.layers.prefix(last + 1).reduce(x) { $1.1.forward($0) }
    }

    func growthOnly(_ method: GrowthMethod, _ initialization: NewUnitInit, normalize: Bool) -> [GrowthStep] {
        method.steps(units: 16, classes: 4, initialization: initialization, normalize: normalize, initialScale: 20, seed: 7)
            .filter { $0.operation != .newClassifier }
    }

    func testRandomWideningKeepsOldUnitsBitIdentical() throws {
        for (arch, side) in Self.cases {
            let net = try network(arch, side: side)
            let x = input(side)
            let top = output(net.model, through: arch.roles.top.paths, x)
            for method in [GrowthMethod.wa, .wwa] {
                let (grown, _) = try net.grow(growthOnly(method, .random, normalize: true))
                grown.model.setTraining(false)
                let blockPath = grown.roles.top.paths[0]
                let block = grown.model.layer(at: blockPath) as! WidenedBlock
                let below = grown.model.flattened().layers.prefix { $0.0 != blockPath }.reduce(x) { $1.1.forward($0) }
                let outputs = block.blockOutputs(below)
                if method == .wa {
                    XCTAssertEqual(relativeMaxDiff(outputs[0].raw, top), 0, "\(arch.id) WA: old units' outputs changed")
                }
                XCTAssertEqual(outputs[1].raw.shape[1], 16, "\(arch.id) \(method): 16 new units")
                // Each block is unit-norm before its γ (20) on the pooled features.
                for o in outputs {
                    let n = o.scaled.shape[1]
                    for b in 0..<o.scaled.shape[0] {
                        let norm = (0..<n).reduce(Float(0)) { $0 + pow(o.scaled.pointer[b * n + $1] / 20, 2) }
                        XCTAssertEqual(norm, 1, accuracy: 1e-3, "\(arch.id) \(method) \(o.name) block")
                    }
                }
            }
        }
    }

    func testNet2NetGrowthPreservesTheFunction() throws {
        for (arch, side) in Self.cases {
            let net = try network(arch, side: side)
            let x = input(side)
            let before = net.model.forward(x)
            for method in [GrowthMethod.wa, .da, .dwa] {
                let (grown, _) = try net.grow(growthOnly(method, .net2net, normalize: false))
                grown.model.setTraining(false)
                XCTAssertLessThanOrEqual(relativeMaxDiff(grown.model.forward(x), before), 1e-5, "\(arch.id) \(method) net2net changed the logits")
            }
        }
    }

    func testEveryMethodTrainsAndDepthsUnfreezeTheNamedLayers() throws {
        for (arch, side) in Self.cases {
            let net = try network(arch, side: side)
            for method in GrowthMethod.allCases {
                let (grown, map) = try net.grow(method.steps(units: 8, classes: 3, initialization: .random, normalize: true, initialScale: 20, seed: 3))
                let flat = grown.model.flattened()
                let trainable = try FineTuneDepth.fc7.apply(to: flat, roles: grown.roles, newParameters: map.newParameters)
                let old = trainable.filter { !map.newParameters.contains($0) }
                XCTAssertFalse(old.isEmpty, "\(arch.id) \(method): fc7 trains some pre-trained parameters")
                XCTAssertTrue(old.allSatisfy { n in grown.roles.top.paths.contains { n.hasPrefix($0 + ".") } }, "\(arch.id) \(method): \(old.prefix(3))")
                try FineTuneDepth.all.apply(to: flat, roles: grown.roles, newParameters: map.newParameters)
                flat.setTraining(true)
                let loss = SoftmaxCrossEntropy.evaluate(logits: flat.forward(input(side)), labels: [0, 2])
                XCTAssertTrue(loss.loss.isFinite, "\(arch.id) \(method)")
                _ = flat.backward(loss.gradient)
                let newGrad = flat.namedParameters().filter { map.newParameters.contains($0.name) }.map { $0.parameter.grad.array.map(abs).max() ?? 0 }.max() ?? 0
                XCTAssertGreaterThan(newGrad, 0, "\(arch.id) \(method): gradients reach the new parameters")
            }
        }
    }

    func testDepthRefusesALayerTheNetworkDoesNotHave() throws {
        let net = try network(ResNet.descriptor(.resnet18), side: 32)
        var roles = net.roles
        roles.top = LayerSpan(["layer9"])
        XCTAssertThrowsError(try FineTuneDepth.fc7.apply(to: net.model.flattened(), roles: roles, newParameters: [])) {
            XCTAssertTrue("\($0)".contains("layer9") && "\($0)".contains("layer4.1"), "names the missing layer and lists the real ones: \($0)")
        }
    }
}
