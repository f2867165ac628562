import ArgumentParser
import Foundation
import Engine
import Datasets
import Logging
import Training
import Zoo
import Experiments
import Distributed

/// Whether this process reports (rank 0 of an MPI job, or a process on its own).
var isRootProcess: Bool { MPICommunicator.world?.isRoot ?? true }

/// Options every training verb shares.
struct RuntimeOptions: ParsableArguments {
    @Option(help: "Worker threads for OpenBLAS and the engine (default: GROW_THREADS or all cores).")
    var threads: Int?

    @Option(help: "Where data sets live (default: GROW_DATA_DIR or ./data).")
    var dataDir: String?

    @Option(help: "How much run-by-run news to print on standard error: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = Logger.Level(rawValue: ProcessInfo.processInfo.environment["GROW_LOG_LEVEL"] ?? "") ?? .info

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1; got \(threads).") }
    }

    func apply() {
        // Under mpirun: join the job; the cores of a host are shared by its processes, and only rank 0 reports.
        let world = MPICommunicator.joinIfLaunched()
        Log.bootstrap(level: world.map { $0.isRoot ? logLevel : .error } ?? logLevel)
        Threads.set(threads ?? max(1, Threads.defaultCount / (world?.localSize ?? 1)))
        Log.grow.debug("threads \(Threads.count), GEMM \(GEMM.libraryName), data directory \(resolvedDataDir)")
    }

    var resolvedDataDir: String { DataDirectory.resolve(dataDir) }
}

/// The options `grow finetune` and `grow compare` share: source, target and training hyperparameters.
struct FineTuneOptions: ParsableArguments {
    @Option(help: "The pre-trained source: a checkpoint, a zoo network with packaged weights (efficientnet-lite0), or a plain state dict with --arch.")
    var from = "runs/source.safetensors"

    @Option(help: "The zoo architecture of a plain state dict given to --from (see `grow zoo`).")
    var arch: String?

    @Option(help: "Input side in pixels for the source network (default: its own; ImageNet networks run at any size ≥ 32).")
    var size: Int?

    @Option(help: "Target data: animal-mnist, mnist-5k, fashion-mnist, idx:…, csv:… or folder:….")
    var target = "animal-mnist"

    @Option(help: "Training examples per class.")
    var shots = 20

    @Option(help: "New units S (WWA: FC6 gets S/2).")
    var units = 256

    @Option(help: "Initial value of the scales γ of normalised blocks.")
    var scale: Float = 20

    @Option(help: "Training iterations, every batch full (learning rate ×0.1 after two thirds).")
    var iterations = FineTuneConfig.defaultIterations

    @Option(help: "Train for this many passes over the training images instead of --iterations.")
    var epochs: Int?

    @Flag(help: "Train on the images as they are (default: random shifts for 28×28 sets, random crops and flips for photos).")
    var noAugment = false

    @Option(help: "Prepared views per training image when augmenting (view 0 unaugmented); frozen layers run once per view.")
    var views = 16

    @Option(help: "Examples per step.")
    var batchSize = 32

    @Option(help: "sgd (the paper's: momentum 0.9, Caffe semantics) or adamw (decoupled weight decay).")
    var optimizer: OptimizerKind = .sgd

    @Option(help: "Base learning rate of pre-trained layers, new parameters ×10 (default: sgd 0.003, adamw 0.0001).")
    var lr: Float?

    @Option(help: "Weight decay (default: sgd 5e-4, adamw 0.01).")
    var weightDecay: Float?

    /// The learning rate in force.
    var learningRate: Float { lr ?? (optimizer == .sgd ? FineTuneConfig().learningRate : 0.0001) }

    func validate() throws {
        guard FileManager.default.fileExists(atPath: from) || Zoo.ids.contains(from) else {
            throw ValidationError("No checkpoint at \(from). Make one with `grow pretrain --out \(from)` (or run `grow demo`), or pass --from FILE, "
                                  + "or a zoo network: \(Zoo.architectures.filter { $0.pretrained != nil }.map(\.id).joined(separator: ", ")).")
        }
        if let arch, !Zoo.ids.contains(arch) { throw ValidationError("--arch \(arch): the zoo has \(Zoo.ids.joined(separator: ", ")).") }
        if let size, size < 8 { throw ValidationError("--size must be at least 8 pixels.") }
        _ = try parseDataset(target, option: "--target")
        guard shots > 0, units > 0, iterations > 0, (epochs ?? 1) > 0, views > 0, batchSize > 0, learningRate > 0, (weightDecay ?? 0) >= 0 else {
            throw ValidationError("--shots, --units, --iterations, --epochs, --views, --batch-size and --lr must be positive, --weight-decay not negative.")
        }
    }

    /// The source model these options name.
    func source(dataDir: String) throws -> Checkpoint {
        try ModelSource.load(from, architecture: arch, size: size, dataDir: dataDir)
    }

    /// These options written into a fine-tuning configuration.
    func apply(to c: inout FineTuneConfig) {
        c.units = units; c.initialScale = scale; c.batchSize = batchSize; c.learningRate = learningRate
        c.budget = epochs.map(TrainingBudget.epochs) ?? .iterations(iterations)
        c.augment = !noAugment; c.views = views
        c.optimizer = optimizer
        c.weightDecay = weightDecay ?? (optimizer == .sgd ? 5e-4 : OptimizerKind.adamw.defaultWeightDecay)
    }
}

/// Parses a data set name for `validate()`, turning the data error into a usage error that says how to fix it.
func parseDataset(_ spec: String, option: String) throws -> DatasetSource {
    do { return try DatasetSource(parsing: spec) } catch {
        throw ValidationError("\(option) \(spec): \(error)")
    }
}

/// [C, H, W] of a data set's images, when they all share one shape.
func fixedInputShape(_ dataset: any ImageDataset) -> [Int]? {
    guard let fixed = dataset as? any FixedShapeDataset else { return nil }
    return [fixed.imageShape.channels, fixed.imageShape.height, fixed.imageShape.width]
}

/// Prints an error line and exits with `code` (used after a checkpoint was saved on Ctrl-C, NaN, …).
func fail(_ message: String, code: Int32 = 1) -> Never {
    if let world = MPICommunicator.world { world.abort(message, code: code) }
    FileHandle.standardError.write("error: \(message)\n".data(using: .utf8)!)
    exit(code)
}

/// Makes sure `folder` exists and a file can be created in it, before any work starts (so a bad --out costs
/// nothing); the error names the folder and the cause.
func prepareOutputFolder(_ folder: URL, for option: String = "--out") throws {
    do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
        throw OutputError("\(option): cannot create the folder \(folder.path) (\((error as NSError).localizedFailureReason ?? (error as NSError).localizedDescription)); "
                              + "a file may be in the way of the path, or a parent folder not writable. Choose another path.")
    }
    let probe = folder.appendingPathComponent(".grow-write-test-\(getpid())").path
    let fd = open(probe, O_WRONLY | O_CREAT | O_EXCL, 0o600)
    guard fd >= 0 else {
        throw OutputError("\(option): cannot write in \(folder.path) (\(String(cString: strerror(errno)))). Choose another path.")
    }
    close(fd)
    unlink(probe)
}

/// An output path that cannot be used.
struct OutputError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// `prepareOutputFolder` for the folder of the file `path`.
func prepareOutputFile(_ path: String, for option: String = "--out") throws {
    try prepareOutputFolder(URL(fileURLWithPath: path).deletingLastPathComponent(), for: option)
}
