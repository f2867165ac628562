import Foundation
import Engine
import NN
import Training
import Growth
import Zoo

/// How a workload is timed: `warmup` untimed calls, then the best of `rounds` rounds, each running whole
/// calls until at least `minSeconds` have passed (so at least one call per round).
public struct Timing: Sendable {
    public let warmup: Int
    public let rounds: Int
    public let minSeconds: Double

    /// The small workloads: 3 warm-up calls, best of 3 rounds of at least 1 s.
    public static let standard = Timing(warmup: 3, rounds: 3, minSeconds: 1.0)
    /// ImageNet-size networks, whose training step takes seconds: 1 warm-up call, best of 2 single calls.
    public static let large = Timing(warmup: 1, rounds: 2, minSeconds: 0)
    /// `--quick` smoke tests.
    public static let quick = Timing(warmup: 1, rounds: 1, minSeconds: 0.2)
}

/// One benchmark workload: a model, an input shape and a class count.
public struct Workload: Sendable {
    public let name: String
    public let batch: Int
    public let inputShape: [Int]   // per example
    public let classes: Int
    public var timing: Timing = .standard
    public let build: @Sendable () -> Sequential

    /// The same workload at another batch size (`grow bench --batch`, e.g. the comparison grid's 32 for MiniAlexNet).
    public func withBatch(_ batch: Int) -> Workload {
        Workload(name: name, batch: batch, inputShape: inputShape, classes: classes, timing: timing, build: build)
    }

    /// A fixed random input batch and labels.
    public func randomBatch() -> (Tensor, [Int]) {
        var rng = RNG(seed: 7)
        let x = Tensor(uninitialized: [batch] + inputShape)
        for i in 0..<x.count { x.pointer[i] = rng.normal() }
        return (x, (0..<batch).map { _ in rng.below(classes) })
    }

    /// The three workloads of the engine issue, in order.
    public static let standard: [Workload] = [
        Workload(name: "cifar-cnn", batch: 64, inputShape: [3, 32, 32], classes: 10, build: { ReferenceModels.cifarCNN() }),
        Workload(name: "resnet18-64", batch: 32, inputShape: [3, 64, 64], classes: 1000, build: { ReferenceModels.resnet18() }),
        Workload(name: "mlp-head", batch: 128, inputShape: [4096], classes: 100, build: { ReferenceModels.mlpHead() }),
        miniAlexNet,
    ]

    /// GrowingBrain's own source network, as `grow pretrain` trains it.
    public static let miniAlexNet = Workload(name: "mini-alexnet", batch: 64, inputShape: [1, 28, 28], classes: 10,
                                             build: { MiniAlexNet.build(inputShape: [1, 28, 28], classes: 10, seed: 1) })

    /// ImageNet-size zoo networks at 1000 classes; `bench/pytorch_reference.py` builds the same ones. Not run by
    /// default (about half a minute per thread count); pick them with `--only`.
    public static let large: [Workload] = [
        Workload(name: "efficientnet-lite0-224", batch: 16, inputShape: [3, 224, 224], classes: 1000, timing: .large,
                 build: { EfficientNetLite.build(classes: 1000, seed: 1) }),
        Workload(name: "efficientnet-lite0-112", batch: 32, inputShape: [3, 112, 112], classes: 1000, timing: .large,
                 build: { EfficientNetLite.build(classes: 1000, seed: 1) }),
        Workload(name: "resnet18-224", batch: 16, inputShape: [3, 224, 224], classes: 1000, timing: .large,
                 build: { ResNet.build(depth: .resnet18, classes: 1000, seed: 1) }),
    ]

    public static let all = standard + large
}

/// Throughput of one workload.
public struct WorkloadResult: Codable, Sendable {
    public let name: String
    public let batch: Int
    public let trainImagesPerSecond: Double
    public let inferenceImagesPerSecond: Double
    /// Floating-point operations of one training step per image (convolutions and fully connected layers, forward
    /// and backward), counted at the kernels: with a rate and the machine's peak, the share of the peak a workload uses.
    public let trainFLOPsPerImage: Double

    enum CodingKeys: String, CodingKey {
        case name, batch
        case trainImagesPerSecond = "train_images_per_s"
        case inferenceImagesPerSecond = "inference_images_per_s"
        case trainFLOPsPerImage = "train_flops_per_image"
    }

    /// Share of `peakGFLOPS` a training step runs at.
    public func peakShare(_ peakGFLOPS: Double) -> Double { trainImagesPerSecond * trainFLOPsPerImage / (peakGFLOPS * 1e9) }
}

/// Measures training (forward + loss + backward + SGD step) and inference throughput.
public enum Benchmark {
    /// Calls per second of `body`, best of `timing.rounds` rounds after `timing.warmup` calls.
    static func bestRate(_ timing: Timing, _ body: () -> Void) -> Double {
        for _ in 0..<timing.warmup { body() }
        var best = 0.0
        for _ in 0..<timing.rounds {
            var calls = 0
            let start = DispatchTime.now().uptimeNanoseconds
            var elapsed = 0.0
            repeat {
                body(); calls += 1
                elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            } while elapsed < timing.minSeconds
            best = Swift.max(best, Double(calls) / elapsed)
        }
        return best
    }

    public static func run(_ w: Workload, quick: Bool) -> WorkloadResult {
        let model = w.build()
        let (x, labels) = w.randomBatch()
        model.needsInputGradient = false
        let sgd = SGD(model: model, learningRate: 0.01, momentum: 0.9)
        let timing = quick ? Timing.quick : w.timing
        model.setTraining(true)
        func step() {
            let logits = model.forward(x)
            let loss = SoftmaxCrossEntropy.evaluate(logits: logits, labels: labels)
            _ = model.backward(loss.gradient)
            sgd.step()
        }
        let train = bestRate(timing, step)
        let flops = FLOPCounter.count(step)
        model.setTraining(false)
        let infer = bestRate(timing) { _ = model.forward(x) }
        return WorkloadResult(name: w.name, batch: w.batch, trainImagesPerSecond: train * Double(w.batch),
                              inferenceImagesPerSecond: infer * Double(w.batch), trainFLOPsPerImage: flops / Double(w.batch))
    }

    /// SGEMM GFLOP/s at n×n×n through the engine's GEMM seam.
    public static func sgemmGFLOPS(n: Int = 1024, quick: Bool) -> Double {
        let a = Tensor(shape: [n, n], repeating: 0.5), b = Tensor(shape: [n, n], repeating: 0.25), c = Tensor(zeros: [n, n])
        let rate = bestRate(Timing(warmup: 2, rounds: quick ? 2 : 5, minSeconds: quick ? 0.1 : 0.3)) {
            GEMM.sgemm(m: n, n: n, k: n, a: a.pointer, lda: n, b: b.pointer, ldb: n, c: c.pointer, ldc: n)
        }
        return rate * 2 * Double(n * n * n) / 1e9
    }
}
