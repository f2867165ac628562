import Foundation
import Engine
import NN
import Training

/// Per-layer forward/backward time of a `Sequential` training step, to see where a workload spends.
public enum LayerProfile {
    public struct Row: Sendable {
        public let name: String
        public let forwardMs: Double, backwardMs: Double
        /// Forward in evaluation mode (what inference runs: BatchNorm on running statistics, nothing kept for backward).
        public let inferenceMs: Double
    }

    /// One row per layer, then the optimizer step (SGD with momentum, which also zeroes the gradients).
    public static func measure(_ w: Workload, steps: Int = 5) -> [Row] {
        let model = w.build()
        let (x, labels) = w.randomBatch()
        model.needsInputGradient = false
        model.setTraining(true)
        // Nested Sequentials are opened up so each layer is timed on its own.
        func flatten(_ s: Sequential, _ prefix: String) -> [(String, Layer)] {
            s.layers.flatMap { (name, layer) in (layer as? Sequential).map { flatten($0, prefix + name + ".") } ?? [(prefix + name, layer)] }
        }
        let layers = flatten(model, "")
        let sgd = SGD(model: model, learningRate: 0.01, momentum: 0.9)
        var fwd = [Double](repeating: 0, count: layers.count), bwd = fwd, update = 0.0
        func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
        for step in 0..<(steps + 1) {
            var h = x
            for (i, (_, l)) in layers.enumerated() {
                let t = now(); h = l.forward(h)
                if step > 0 { fwd[i] += Double(now() - t) / 1e6 }
            }
            var g = SoftmaxCrossEntropy.evaluate(logits: h, labels: labels).gradient
            for (i, (_, l)) in layers.enumerated().reversed() {
                let t = now(); g = l.backward(g)
                if step > 0 { bwd[i] += Double(now() - t) / 1e6 }
            }
            let t = now(); sgd.step()
            if step > 0 { update += Double(now() - t) / 1e6 }
        }
        model.setTraining(false)
        var infer = [Double](repeating: 0, count: layers.count)
        for step in 0..<(steps + 1) {
            var h = x
            for (i, (_, l)) in layers.enumerated() {
                let t = now(); h = l.forward(h)
                if step > 0 { infer[i] += Double(now() - t) / 1e6 }
            }
        }
        let n = Double(steps)
        return layers.enumerated().map { Row(name: "\($0.element.0) \($0.element.1.summary)", forwardMs: fwd[$0.offset] / n,
                                             backwardMs: bwd[$0.offset] / n, inferenceMs: infer[$0.offset] / n) }
            + [Row(name: "optimizer step (SGD, momentum)", forwardMs: 0, backwardMs: update / n, inferenceMs: 0)]
    }
}
