import ArgumentParser
import Foundation
import NN
import Growth
import Experiments
import Zoo

/// `grow inspect FILE`: what a checkpoint holds.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a checkpoint's layers, shapes, parameter counts, growth log and training provenance; or any safetensors/.pth file's tensors.")

    @Argument(help: "A checkpoint, or any safetensors file or PyTorch state dict (.pth/.pt).")
    var file: String

    func validate() throws {
        guard FileManager.default.fileExists(atPath: file) else {
            throw ValidationError("No file at \(file). Give the path of a checkpoint made by `grow pretrain` or `grow finetune`.")
        }
    }

    func run() throws {
        let url = URL(fileURLWithPath: file)
        guard url.pathExtension == "safetensors", let st = try? SafeTensors.read(contentsOf: url), Checkpoint.isCheckpoint(st) else {
            return try Self.tensors(url)
        }
        let checkpoint = try Checkpoint.load(st, name: url.lastPathComponent)
        let net = checkpoint.network
        print("checkpoint: \(file)")
        print("architecture: \(net.spec.architecture), input \(net.spec.inputShape.map(String.init).joined(separator: "×")), \(net.spec.classes) classes")
        print("\nlayers:")
        for (name, layer) in net.model.namedLayers() where !name.isEmpty {
            let depth = name.split(separator: ".").count
            let params = layer.localParameters.map { "\($0.0) \($0.1.shape)" }.joined(separator: ", ")
            print(String(repeating: "  ", count: depth) + "\(name.split(separator: ".").last!): \(layer.summary)" + (params.isEmpty ? "" : "  [\(params)]"))
        }
        let newCount = net.model.namedParameters().filter { checkpoint.newParameters.contains($0.name) }.reduce(0) { $0 + $1.parameter.value.count }
        // Trainable as in the latest fine-tuning (its depth), else everything (pretraining).
        if let depth = checkpoint.history.last?.depth.flatMap(FineTuneDepth.init(rawValue:)) {
            try depth.apply(to: net.model.flattened(), roles: net.roles, newParameters: checkpoint.newParameters)
        }
        let counts = net.model.parameterCounts
        print("\nparameters: \(counts.total) total, \(counts.trainable) trainable in the latest training, \(newCount) added by the latest growth")
        print("\ngrowth log:" + (net.spec.growth.isEmpty ? " (none: a base network)" : ""))
        for (i, step) in net.spec.growth.enumerated() { print("  \(i + 1). \(step.summary) [seed \(step.seed)]") }
        print("\nhistory:")
        for r in checkpoint.history {
            var line = "  \(r.date) \(r.command) on \(r.dataset)"
            if let m = r.method { line += ", method \(m)" }
            if let d = r.depth { line += ", depth \(d)" }
            if let s = r.shots { line += ", \(s) shots/class" }
            line += (r.epochs > 0 ? ", \(r.epochs) epochs (\(r.steps) steps" : ", \(r.steps) iterations (") + ", batch \(r.batchSize), lr \(String(format: "%g", r.learningRate))), seed \(r.seed)"
            if let a = r.testAccuracy { line += String(format: ", test accuracy %.2f%%", 100 * a) }
            line += String(format: ", %.0f s on %d threads, grow %@", r.seconds, r.threads, r.version)
            print(line)
        }
    }

    /// A plain state dict: every tensor with shape and dtype, the parameter count, and the zoo architectures it fits.
    static func tensors(_ url: URL) throws {
        var rows: [(String, [Int], String)] = []
        if url.pathExtension == "safetensors" {
            let f = try SafeTensors.read(contentsOf: url)
            rows = f.order.map { ($0, f.tensors[$0]!.shape, f.dtypes[$0] ?? "?") }
        } else {
            let d = try TorchStateDict(contentsOf: url)
            rows = d.order.map { name in d.tensors[name].map { (name, $0.shape, "float") } ?? (name, d.integers[name]?.shape ?? [], d.integers[name]?.dtype.rawValue ?? "?") }
        }
        print("\(url.lastPathComponent): \(rows.count) tensors, \(rows.filter { $0.2 != "I64" && $0.2 != "long" }.reduce(0) { $0 + $1.1.reduce(1, *) }) values (a plain state dict, not a GrowingBrain checkpoint)")
        for (name, shape, dtype) in rows { print("  \(name)  \(shape)  \(dtype)") }
        let names = Set(rows.map(\.0).filter { !TorchvisionStateDict.isIgnored($0) })
        let fits = Zoo.architectures.filter { a in
            (try? a.build(inputShape: a.defaultInputShape, classes: 10, seed: 0, initialize: false)).map { Set($0.stateDict().map(\.name)) == names } ?? false
        }
        print(fits.isEmpty ? "matches no zoo architecture by tensor names" : "tensor names match: \(fits.map(\.id).joined(separator: ", ")) — import with `grow import --arch \(fits[0].id) \(url.lastPathComponent) --out CHECKPOINT`")
    }
}
