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
            grow compare --target animal-mnist --retention fashion-mnist --seeds 1,2,3 --all-depth-only \(Self.allDepthMethods) \
            (every method at the frozen depths, the main ones also at depth All; under 15 minutes on 2 cores); with --full \
            5 seeds, every method at every depth, and --units-sweep 64,1024 --cumulative mnist-5k --source-study fashion-mnist.
            With --source efficientnet-lite0: data → grow compare --from efficientnet-lite0 --size \(imagenetSide) \
            --target animal-mnist --shots 10 --all-depth-only ft,da,wa (the ImageNet source, silhouettes upsampled and made RGB).
            Both reports end with the paper's analyses of why growth helps (feature separability, what units respond to, \
            per-block learning), from networks kept in the comparison folder (grow explain redoes them).
            """)

    /// The methods the default demo also runs at depth All (whole-network runs cost 10× a frozen-depth run).
    static let allDepthMethods = "ft,ft+norm,da,wa,dwa,wwa"

    /// Input side of the ImageNet-source demo.
    static let imagenetSide = 64

    @Option(help: "The source network: mini-alexnet (pretrained here on Fashion-MNIST) or efficientnet-lite0 (its ImageNet weights).")
    var source = "mini-alexnet"

    @Flag(help: "A tiny version (one seed, a few methods, short pretraining) that finishes in about a minute.")
    var quick = false

    @Flag(help: "5 seeds and every method at every depth, plus the unit sweep (Table 2), growth on the source task (Tables 6–7) and cumulative growth (Table 8) (about 5× longer).")
    var full = false

    @Option(help: "Where checkpoints and the report go.")
    var runs = "runs"

    @OptionGroup var runtime: RuntimeOptions

    func run() throws {
        runtime.apply()
        Interrupt.install()
        let dataDir = runtime.resolvedDataDir
        let fetch = try DataCommand.Fetch.parse(["--dir", dataDir])   // idempotent: says so when all is present
        try fetch.run()
        if source != "mini-alexnet" { return try imagenetDemo(dataDir: dataDir) }

        let checkpoint = "\(runs)/source-fashion-mnist\(quick ? "-quick" : "").safetensors"
        if FileManager.default.fileExists(atPath: checkpoint), (try? Checkpoint.load(from: URL(fileURLWithPath: checkpoint))) != nil {
            say("using the pretrained source network \(checkpoint) (delete it to pretrain again)")
        } else {
            // Checkpoints every 200 steps: a demo stopped during pretraining continues there when run again.
            let resumable = CheckpointSeries(output: checkpoint).latest() != nil
            say("pretraining the source network (MiniAlexNet on Fashion-MNIST)\(resumable ? ", continuing where it stopped" : "")…")
            CheckpointOptions.continuesByRerunning = true
            let pretrain = try Pretrain.parse(["--dataset", "fashion-mnist", "--out", checkpoint, "--data-dir", dataDir,
                                               "--threads", String(Threads.count), "--checkpoint-every", "200", "--keep-last", "1"]
                                              + (quick ? ["--epochs", "1"] : []) + (resumable ? ["--resume"] : []))
            try pretrain.run()
        }

        let compare = try Compare.parse(["--from", checkpoint, "--target", "animal-mnist", "--out", "\(runs)/compare-animal-mnist",
                                         "--data-dir", dataDir, "--threads", String(Threads.count), "--retention", "fashion-mnist"]
                                        + (quick ? ["--quick"] : full ? ["--units-sweep", "64,1024", "--cumulative", "mnist-5k", "--source-study", "fashion-mnist"]
                                                                      : ["--seeds", "1,2,3", "--all-depth-only", Self.allDepthMethods]))
        try compare.run()
    }

    /// The second job: the same comparison from a real ImageNet network.
    func imagenetDemo(dataDir: String) throws {
        guard source == "efficientnet-lite0" else {
            throw ValidationError("--source \(source): the demo runs mini-alexnet or efficientnet-lite0 (the zoo network whose weights ship in a package).")
        }
        let compare = try Compare.parse(["--from", source, "--size", String(Self.imagenetSide), "--target", "animal-mnist",
                                         "--out", "\(runs)/compare-\(source)-animal-mnist", "--data-dir", dataDir, "--threads", String(Threads.count)]
                                        + (quick ? ["--quick"] : ["--shots", "10", "--all-depth-only", "ft,da,wa"]))
        try compare.run()
    }
}
