import Foundation
import Engine
import NN
import Growth

/// The paper's "learning pace" (section 3): how strongly old and new units of a widened layer
/// activate and learn. Measured on a fixed probe batch during training, for each block of the
/// layer feeding the classifier:
/// - activation: mean over examples of the block's L2 norm *before* normalisation (ReLU output),
///   divided by √units so blocks of different sizes compare;
/// - scaled activation: the same after normalise-and-scale (what the classifier sees);
/// - gradient: RMS over units of the per-unit weight-gradient norm ‖∂L/∂wᵤ‖.
public struct PacePoint: Codable, Sendable {
    public let step: Int
    public let activation: [String: Double]
    public let scaledActivation: [String: Double]
    public let gradient: [String: Double]
}

public final class LearningPaceProbe {
    let widened: WidenedBlock
    let below: [Layer]
    let probe: Tensor
    public private(set) var points: [PacePoint] = []
    private var pendingGradient: [String: Double] = [:]

    /// nil unless the classifier of `model` (a flattened network) is fed by a widened layer.
    /// `probe` is a batch of the model's inputs.
    public init?(model: Sequential, probe: Tensor) {
        guard let index = model.layers.dropLast().lastIndex(where: { !$0.1.namedParameters().isEmpty }),
              let block = model.layers[index].1 as? WidenedBlock else { return nil }
        widened = block
        below = model.layers.prefix(index).map(\.1)
        self.probe = probe
    }

    /// Continues a resumed run's record.
    public func restore(_ saved: [PacePoint]) { points = saved }

    /// Call with gradients in place (after backward, before the optimizer step).
    public func recordGradients() {
        pendingGradient = [:]
        for (name, weight) in widened.producers {
            let g = weight.grad, units = g.shape[0], width = g.count / max(units, 1)
            var sum = 0.0
            for u in 0..<units {
                var s: Float = 0
                for i in 0..<width { let v = g.pointer[u * width + i]; s += v * v }
                sum += Double(s)
            }
            pendingGradient[name] = (sum / Double(max(units, 1))).squareRoot()
        }
    }

    /// Measures activations on the probe batch (evaluation mode) and stores a point.
    public func record(step: Int) {
        var activation: [String: Double] = [:], scaled: [String: Double] = [:]
        let modes = below.map(\.isTraining) + [widened.isTraining]
        below.forEach { $0.setTraining(false) }
        widened.setTraining(false)
        var h = probe
        for layer in below { h = layer.forward(h) }
        for (name, raw, out) in widened.blockOutputs(h) {
            activation[name] = meanNorm(raw)
            scaled[name] = meanNorm(out)
        }
        for (layer, mode) in zip(below + [widened], modes) { layer.setTraining(mode) }
        points.append(PacePoint(step: step, activation: activation, scaledActivation: scaled, gradient: pendingGradient))
    }

    /// Mean over examples of ‖row‖₂ / √width.
    func meanNorm(_ x: Tensor) -> Double {
        let n = x.shape[0], w = x.count / max(n, 1)
        var total = 0.0
        for i in 0..<n {
            var s: Float = 0
            for j in 0..<w { let v = x.pointer[i * w + j]; s += v * v }
            total += Double(s.squareRoot()) / Double(w).squareRoot()
        }
        return total / Double(max(n, 1))
    }
}
