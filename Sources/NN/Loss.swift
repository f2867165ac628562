import Foundation
import Engine

/// Softmax cross-entropy, averaged over the batch, computed stably (log-sum-exp with the max subtracted).
public enum SoftmaxCrossEntropy {
    /// The loss value, the gradient w.r.t. the logits, and how many predictions were right.
    public struct Result {
        public let loss: Float
        public let gradient: Tensor
        public let correct: Int
        public var accuracy: Float { gradient.shape[0] == 0 ? 0 : Float(correct) / Float(gradient.shape[0]) }
    }

    /// logits: [N, K]; labels: N class indices in 0..<K.
    public static func evaluate(logits: Tensor, labels: [Int]) -> Result {
        precondition(logits.shape.count == 2 && logits.shape[0] == labels.count,
                     "SoftmaxCrossEntropy: expected logits [\(labels.count), K], got \(logits.shape)")
        let (n, k) = (logits.shape[0], logits.shape[1])
        let grad = Tensor(uninitialized: [n, k])
        var total = 0.0, correct = 0
        for i in 0..<n {
            let l = logits.pointer + i * k, g = grad.pointer + i * k
            let label = labels[i]
            precondition(label >= 0 && label < k, "SoftmaxCrossEntropy: label \(label) outside 0..<\(k)")
            var maxV = l[0], arg = 0
            for j in 1..<k where l[j] > maxV { maxV = l[j]; arg = j }
            if arg == label { correct += 1 }
            var sum: Double = 0
            for j in 0..<k { let e = Foundation.exp(Double(l[j] - maxV)); g[j] = Float(e); sum += e }
            total += (log(sum) + Double(maxV)) - Double(l[label])
            let invSum = Float(1 / sum), invN = 1 / Float(n)
            for j in 0..<k { g[j] = g[j] * invSum * invN }
            g[label] -= invN
        }
        return Result(loss: Float(total / Double(n)), gradient: grad, correct: correct)
    }

    /// Index of the largest logit in each row.
    public static func predictions(_ logits: Tensor) -> [Int] {
        let (n, k) = (logits.shape[0], logits.shape[1])
        return (0..<n).map { i in
            let l = logits.pointer + i * k
            var arg = 0
            for j in 1..<k where l[j] > l[arg] { arg = j }
            return arg
        }
    }
}
