import Foundation
import Engine
import NN
import Training
import Growth

/// Source-task retention (the paper's Table 4, our protocol): after adapting to the target, how well
/// does the adapted representation still serve the source task?
///
/// Protocol: take the *original* source network (trunk, FC6, FC7 and its source classifier FC8);
/// replace every pre-trained tensor but the classifier by its successor in the adapted network — found
/// through the growth map, the leading block where a consumer was widened (new units, new layers,
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

    /// Source accuracy of `adapted`'s old units with the source classifier. `map` is the growth map from the
    /// source to `adapted` (the one `grow` returned): it says where every pre-trained tensor went.
    public func accuracy(of adapted: GrownNetwork, map: GrowthMap) throws -> Double {
        let view = try source.clone()
        try view.model.load(retainedWeights(of: adapted, map: map))
        return try Evaluator.evaluate(view.model, on: sourceTest, classes: sourceClasses).top1
    }

    /// The source network's state dict with every pre-trained tensor but the classifier's replaced by its
    /// successor in `adapted` (the leading block where the successor grew).
    public func retainedWeights(of adapted: GrownNetwork, map: GrowthMap) -> [String: Tensor] {
        let adaptedTensors = Dictionary(adapted.model.stateDict().map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
        var successor: [String: String] = [:]
        for (new, old) in map.sources { successor[old] = new }
        let classifier = source.roles.classifier + "."
        var weights = source.model.stateDictByName()
        for (name, tensor) in weights where !name.hasPrefix(classifier) {
            guard let adaptedName = successor[name], let adaptedTensor = adaptedTensors[adaptedName] else { continue }
            if adaptedTensor.shape == tensor.shape { weights[name] = adaptedTensor }
            else if let lead = leadingBlock(adaptedTensor, shape: tensor.shape) { weights[name] = lead }
        }
        return weights
    }
}
