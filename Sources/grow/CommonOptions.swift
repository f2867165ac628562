import ArgumentParser
import Foundation
import Engine
import Datasets
import Logging

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
        Log.bootstrap(level: logLevel)
        Threads.set(threads ?? Threads.defaultCount)
        Log.grow.debug("threads \(Threads.count), OpenBLAS core \(Threads.blasCore), data directory \(resolvedDataDir)")
    }

    var resolvedDataDir: String { DataDirectory.resolve(dataDir) }
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
    FileHandle.standardError.write("error: \(message)\n".data(using: .utf8)!)
    exit(code)
}

func ensureParentDirectory(_ path: String) throws {
    let dir = URL(fileURLWithPath: path).deletingLastPathComponent()
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
}
