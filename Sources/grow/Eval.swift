import ArgumentParser
import Foundation
import Engine
import Datasets
import Growth
import Experiments

/// `grow eval`: accuracy of a checkpoint on a data set.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate a checkpoint: top-1, mean per-class accuracy, confusion matrix, per-block accuracy when grown.")

    @Option(help: "The checkpoint.")
    var model: String

    @Option(help: "Data to evaluate on (its test split when it has one).")
    var dataset: String

    @Option(help: "Evaluate on at most this many images (a seeded, class-balanced selection).")
    var limit: Int?

    @OptionGroup var runtime: RuntimeOptions

    func validate() throws {
        guard FileManager.default.fileExists(atPath: model) else { throw ValidationError("No checkpoint at \(model).") }
        _ = try parseDataset(dataset, option: "--dataset")
        if let limit, limit < 1 { throw ValidationError("--limit must be positive.") }
    }

    func run() throws {
        runtime.apply()
        let checkpoint = try Checkpoint.load(from: URL(fileURLWithPath: model))
        let source = try DatasetSource(parsing: dataset)
        let dir = runtime.resolvedDataDir
        let data = try source.load(source.splits(dataDir: dir).contains(.test) ? .test : .all, dataDir: dir)
        let classes = checkpoint.network.spec.classes
        guard data.classNames.count == classes else {
            throw ValidationError("\(data.name) has \(data.classNames.count) classes but the model's classifier has \(classes); evaluate it on the data it was trained for.")
        }
        var indices = Array(0..<data.count)
        if let limit, limit < data.count {
            var rng = RNG(seed: 1)
            rng.shuffle(&indices)
            indices = Array(indices.prefix(limit)).sorted()
        }
        let prep = checkpoint.network.preprocessing(imageSize: (data as? any FixedShapeDataset)?.imageShape.height)
        let loader = DataLoader(data, indices: indices, batchSize: 256, transform: EvalTransform(prep), shuffle: false)
        let result = try Evaluator.evaluate(checkpoint.network.model, on: LoaderSource(loader), classes: classes)
        say("\(model) on \(data.name)")
        say(EvaluationText.summary(result, classNames: data.classNames))
        say(EvaluationText.confusion(result, classNames: data.classNames))
    }
}
