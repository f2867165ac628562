import ArgumentParser
import Foundation
import Engine
import Datasets
import NN
import Zoo
import Experiments

/// `grow predict`: the top classes of images, after the network's own preprocessing.
struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Classify images with a model: top-k classes with probabilities.",
        discussion: """
        Examples: grow predict --model efficientnet-lite0 photo.jpg
                  grow predict --model runs/my-photos.safetensors --top 3 --json a.png b.jpg
        """)

    @Option(help: "A checkpoint, a zoo network with packaged weights (efficientnet-lite0), or a plain state dict with --arch.")
    var model: String

    @Option(help: "The zoo architecture of a plain state dict given to --model.")
    var arch: String?

    @Option(help: "How many classes to print per image.")
    var top = 5

    @Flag(help: "Print JSON: per image, the top-k class indices, names and probabilities.")
    var json = false

    @Argument(help: "JPEG or PNG files.")
    var images: [String]

    @OptionGroup var runtime: RuntimeOptions

    func validate() throws {
        guard top > 0 else { throw ValidationError("--top must be positive.") }
        guard !images.isEmpty else { throw ValidationError("Give at least one image file.") }
        for path in images where !FileManager.default.fileExists(atPath: path) { throw ValidationError("No image at \(path).") }
    }

    struct Prediction: Encodable {
        let image: String
        let top: [Entry]
        struct Entry: Encodable { let index: Int; let name: String; let probability: Double }
    }

    func run() throws {
        runtime.apply()
        let checkpoint = try ModelSource.load(model, architecture: arch, dataDir: runtime.resolvedDataDir)
        let network = checkpoint.network
        let names = checkpoint.classNames ?? (0..<network.spec.classes).map { "class \($0)" }
        let transform = EvalTransform(network.preprocessing())
        network.model.setTraining(false)
        var results: [Prediction] = []
        for path in images {
            var rng = RNG(seed: 0)
            let x = try transform(try ImageCodec.decode(file: path), rng: &rng)
            let logits = network.model.forward(x.reshaped([1] + x.shape))
            let probabilities = softmax(logits.array)
            let ranked = probabilities.indices.sorted { probabilities[$0] > probabilities[$1] }.prefix(top)
            results.append(Prediction(image: path, top: ranked.map { .init(index: $0, name: names[$0], probability: probabilities[$0]) }))
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            say(String(data: try encoder.encode(results), encoding: .utf8)!)
            return
        }
        for r in results {
            say(r.image)
            for e in r.top { say(String(format: "  %6.2f%%  %4d  %@", 100 * e.probability, e.index, e.name)) }
        }
    }

    func softmax(_ z: [Float]) -> [Double] {
        let m = Double(z.max() ?? 0)
        let e = z.map { exp(Double($0) - m) }
        let s = e.reduce(0, +)
        return e.map { $0 / s }
    }
}
