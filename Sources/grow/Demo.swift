import ArgumentParser
import Foundation
import Engine
import Datasets
import Training
import Experiments

/// `grow demo`: the main job, from a fresh clone to a report in one command.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fetch the data, pretrain the source network (cached), compare growing with fine-tuning on Animal-MNIST, and report.",
        discussion: """
            Steps: data (grow data fetch) → runs/source-fashion-mnist.safetensors (grow pretrain, once) → \
            grow compare --target animal-mnist --retention fashion-mnist --units-sweep 64,1024 --cumulative mnist-5k.
            """)

    @Flag(help: "A tiny version (one seed, a few methods, short pretraining) that finishes in about a minute.")
    var quick = false

    @Option(help: "Where checkpoints and the report go.")
    var runs = "runs"

    @OptionGroup var runtime: RuntimeOptions

    func run() throws {
        runtime.apply()
        Interrupt.install()
        let dataDir = runtime.resolvedDataDir
        let fetch = try DataCommand.Fetch.parse(["--dir", dataDir])   // idempotent: says so when all is present
        try fetch.run()

        let checkpoint = "\(runs)/source-fashion-mnist\(quick ? "-quick" : "").safetensors"
        if FileManager.default.fileExists(atPath: checkpoint), (try? Checkpoint.load(from: URL(fileURLWithPath: checkpoint))) != nil {
            say("using the pretrained source network \(checkpoint) (delete it to pretrain again)")
        } else {
            say("pretraining the source network (MiniAlexNet on Fashion-MNIST)…")
            let pretrain = try Pretrain.parse(["--dataset", "fashion-mnist", "--out", checkpoint, "--data-dir", dataDir,
                                               "--threads", String(Threads.count)] + (quick ? ["--epochs", "1"] : []))
            try pretrain.run()
        }

        let compare = try Compare.parse(["--from", checkpoint, "--target", "animal-mnist", "--out", "\(runs)/compare-animal-mnist",
                                         "--data-dir", dataDir, "--threads", String(Threads.count), "--retention", "fashion-mnist"]
                                        + (quick ? ["--quick"] : ["--units-sweep", "64,1024", "--cumulative", "mnist-5k"]))
        try compare.run()
    }
}
