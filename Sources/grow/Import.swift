import ArgumentParser
import Foundation
import Experiments
import Zoo

/// `grow import`: a torchvision-style state dict becomes a checkpoint every verb accepts.
struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Turn a state dict (safetensors, or a PyTorch .pth/.pt) of a zoo architecture into a GrowingBrain checkpoint.",
        discussion: """
        Names and shapes must match the architecture exactly (torchvision's, for alexnet, vgg16, resnet18, resnet50);
        num_batches_tracked entries are ignored; a mismatch names every missing, unexpected and mis-shaped tensor.
        Example: grow import --arch resnet18 resnet18.safetensors --out runs/resnet18.safetensors
        """)

    @Option(help: "The architecture (see `grow zoo`).")
    var arch: String

    @Argument(help: "The state dict file.")
    var file: String

    @Option(help: "The checkpoint to write.")
    var out: String

    @Option(help: "Input side in pixels (default: the architecture's; MiniAlexNet's FC6 is sized by it).")
    var size: Int?

    @OptionGroup var runtime: RuntimeOptions

    func validate() throws {
        guard Zoo.ids.contains(arch) else { throw ValidationError("--arch \(arch): the zoo has \(Zoo.ids.joined(separator: ", ")).") }
        guard FileManager.default.fileExists(atPath: file) else { throw ValidationError("No file at \(file).") }
    }

    func run() throws {
        runtime.apply()
        try prepareOutputFile(out)
        let checkpoint = try ModelSource.load(file, architecture: arch, size: size, dataDir: runtime.resolvedDataDir)
        try checkpoint.save(to: URL(fileURLWithPath: out))
        let counts = checkpoint.network.model.parameterCounts
        say("imported \(arch) (\(counts.total) parameters, \(checkpoint.network.spec.classes) classes\(checkpoint.classNames == nil ? "" : ", with class names")) from \(file); wrote \(out)")
    }
}
