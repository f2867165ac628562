import Foundation
import Engine
import NN
import Training
import Growth

/// Source-task retention (the paper's Table 4, our protocol): after adapting to the target, how well
/// does the adapted representation still serve the source task?
///
/// Protocol: take the *original* source network (trunk, FC6, FC7 and its source classifier FC8);
/// replace its trunk, FC6 and FC7 weights by the adapted network's *old* units (new units, new layers,
/// normalisation scales and the target classifier are left out); evaluate on source test images.
/// No retraining of any kind: the number measures how far fine-tuning moved the pre-trained units.
public struct RetentionProbe {
    public let source: GrownNetwork
    public let sourceTest: BatchSource
    public let sourceClasses: Int

    public init(source: GrownNetwork, sourceTest: BatchSource) {
        self.source = source; self.sourceTest = sourceTest; self.sourceClasses = source.spec.classes
    }

    /// Accuracy of the original source network itself.
    public func baseline() throws -> Double {
        try Evaluator.evaluate(source.model, on: sourceTest, classes: sourceClasses).top1
    }

    /// Source accuracy of `adapted`'s old units with the source classifier.
    public func accuracy(of adapted: GrownNetwork) throws -> Double {
        let view = try source.clone()
        let old = Self.oldUnitWeights(adapted.model)
        var weights = Dictionary(uniqueKeysWithValues: view.model.stateDict().map { ($0.name, $0.tensor) })
        for (name, tensor) in weights where !name.hasPrefix("fc8.") {
            guard let adaptedTensor = old[name] else { continue }
            if adaptedTensor.shape == tensor.shape { weights[name] = adaptedTensor }
            else if let lead = leadingBlock(adaptedTensor, shape: tensor.shape) { weights[name] = lead }
        }
        try view.model.load(weights)
        return try Evaluator.evaluate(view.model, on: sourceTest, classes: sourceClasses).top1
    }

    /// The adapted network's pre-trained units under their original names: `fc7.old.linear.weight` →
    /// `fc7.linear.weight` (any depth of growth); new branches, new layers and scales are dropped.
    static func oldUnitWeights(_ model: Layer) -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (name, tensor) in model.stateDict() {
            var parts = name.split(separator: ".").map(String.init)
            if parts.contains("new") || parts.contains("norm") { continue }
            // A widened conv's old filters live at L.old.conv.*; a widened FC block's at L.old.linear.*.
            while let i = parts.firstIndex(of: "old") {
                parts.remove(at: i)
                if i < parts.count, parts[i] == "conv" { parts.remove(at: i) }
            }
            out[parts.joined(separator: ".")] = tensor
        }
        return out
    }
}
