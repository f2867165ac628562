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
///
/// Runs that leave the bottom of the network untouched (frozen depths) share its outputs on the source images: the
/// layers before the first one whose weights moved run once per split point (`prefixes`), and each run
/// evaluates only the rest — the same batches through the same layers, so the same logits.
public struct RetentionProbe {
    public let source: GrownNetwork
    public let sourceTest: BatchSource
    public let sourceClasses: Int
    /// The source network's outputs on the source test images after its first `key` layers (evaluation mode).
    private let prefixes = SharedMemo<(Tensor, [Int])>()

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
        guard let batches = sourceTest as? TensorBatches else {
            return try Evaluator.evaluate(view.model, on: sourceTest, classes: sourceClasses).top1
        }
        let layers = view.model.flattened().layers, sourceLayers = source.model.flattened().layers
        // The evaluator needs the classifier (the last layer) in what it runs.
        let unchanged = min(zip(layers, sourceLayers).prefix { Self.sameState($0.1, $1.1) }.count, layers.count - 1)
        guard unchanged > 0 else { return try Evaluator.evaluate(view.model, on: sourceTest, classes: sourceClasses).top1 }
        let (features, labels) = try prefixes.value(for: unchanged) {
            let prefix = Sequential(Array(layers.prefix(unchanged)))   // this run's copies, equal to the source's
            prefix.setTraining(false)
            return try batches.gathered { prefix.forward($0) }
        }
        let rest = Sequential(Array(layers.suffix(from: unchanged)))
        rest.setTraining(false)
        return try Evaluator.evaluate(rest, on: TensorBatches(inputs: features, labels: labels, batchSize: batches.batchSize, shuffleSeed: nil),
                                      classes: sourceClasses).top1
    }

    /// Whether two layers hold equal parameters and buffers (a frozen layer of an adapted network and its source).
    static func sameState(_ a: Layer, _ b: Layer) -> Bool {
        let (pa, pb) = (a.namedParameters(), b.namedParameters()), (ba, bb) = (a.namedBuffers(), b.namedBuffers())
        return pa.count == pb.count && ba.count == bb.count
            && zip(pa.map(\.parameter.value) + ba.map(\.tensor), pb.map(\.parameter.value) + bb.map(\.tensor)).allSatisfy {
                $0.shape == $1.shape && memcmp($0.pointer, $1.pointer, $0.count * MemoryLayout<Float>.size) == 0
            }
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

