import Foundation
import Engine
import Datasets
import Training
import Growth
import Zoo

/// A few-shot target: K training examples per class and a class-balanced, disjoint test split,
/// drawn with a seed from a target data set, served as batch sources in the source network's input shape.
public struct FewShotTask {
    public let name: String
    public let classNames: [String]
    public let draw: FewShotDraw
    /// The training examples in draw order: prepared for evaluation by `orderedBatches`, augmented by `batches(epoch:)`.
    public let trainLoader: DataLoader
    public let augment: Bool
    public let test: BatchSource
    public var classes: Int { classNames.count }

    /// `testPerClass` nil: every image not drawn for training, up to 500 per class (as many as every class allows).
    /// Images are prepared for `network` (its architecture's preprocessing at its input size); training images
    /// are augmented only with `augment` (else they are prepared exactly as test images).
    public init(target: String, shots: Int, testPerClass: Int?, seed: UInt64, network: GrownNetwork, dataDir: String,
                augment: Bool, batchSize: Int) throws {
        let source = try DatasetSource(parsing: target)
        let splits = source.splits(dataDir: dataDir)
        // Few-shot training examples come from the training split when there is one.
        let dataset = try source.load(splits.contains(.train) ? .train : .all, dataDir: dataDir)
        let smallest = dataset.classCounts().min() ?? 0
        let perClass = testPerClass ?? max(1, min(500, smallest - shots))
        draw = try FewShotSampler.draw(dataset, shots: shots, testPerClass: perClass, seed: seed)
        let fixedSide = (dataset as? any FixedShapeDataset)?.imageShape.height
        let prep = network.preprocessing(augment: augment, imageSize: fixedSide)
        let eval = EvalTransform(network.preprocessing(imageSize: fixedSide))
        let trainTransform: any ExampleTransform = augment ? TrainTransform(prep) : eval
        trainLoader = DataLoader(dataset, indices: draw.train, batchSize: batchSize, transform: trainTransform,
                                 evaluationTransform: eval, shuffle: false, seed: seed)
        self.augment = augment
        test = LoaderSource(DataLoader(dataset, indices: draw.test, batchSize: 256, transform: eval, shuffle: false, seed: seed))
        name = dataset.name
        classNames = dataset.classNames
    }

    /// The training examples as `views` prepared views each (view 0 unaugmented; 1 view without augmentation),
    /// fewer if the bank would pass `maxBytes`.
    public func viewBank(views: Int, maxBytes: Int = 1 << 30) throws -> ViewBank {
        let bytes = max(1, trainLoader.exampleCount * trainLoader.transform.outputShape.reduce(4, *))
        let count = augment ? max(1, min(views, maxBytes / bytes)) : 1
        let passes = try (0..<count).map { v in try LoaderSource.adapt(v == 0 ? trainLoader.orderedBatches() : trainLoader.batches(epoch: v)).gathered() }
        return ViewBank(passes: passes)
    }

    public var summary: String {
        "\(name): \(classes) classes, \(draw.shots) shots/class (\(draw.train.count) images), "
            + "\(draw.test.count) held-out test images, draw seed \(draw.seed)"
    }
}

/// Text renderings of evaluation results.
public enum EvaluationText {
    public static func summary(_ r: EvaluationResult, classNames: [String]) -> String {
        var lines = [String(format: "test top-1 %.2f%%, mean per-class %.2f%% (%d images)", 100 * r.top1, 100 * r.meanPerClass, r.count)]
        if !r.perBlock.isEmpty {
            lines.append("per-block accuracy (other block's inputs zeroed): "
                         + r.perBlock.keys.sorted().map { String(format: "%@ %.2f%%", $0, 100 * r.perBlock[$0]!) }.joined(separator: ", "))
        }
        return lines.joined(separator: "\n")
    }

    public static func confusion(_ r: EvaluationResult, classNames: [String]) -> String {
        let names = classNames.map { String($0.prefix(10)) }
        var lines = ["confusion matrix (rows: true class, columns: predicted)"]
        lines.append("".padding(toLength: 12, withPad: " ", startingAt: 0) + names.map { $0.padding(toLength: 6, withPad: " ", startingAt: 0).prefix(6) + " " }.joined())
        for (i, row) in r.confusion.enumerated() {
            lines.append(names[i].padding(toLength: 12, withPad: " ", startingAt: 0) + row.map { String(format: "%6d ", $0) }.joined())
        }
        return lines.joined(separator: "\n")
    }
}
