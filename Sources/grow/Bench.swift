import ArgumentParser
import Foundation
import Engine
import Benchmarks

/// `grow bench`: engine throughput per workload, comparable with bench/pytorch_reference.py.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure training and inference throughput of the engine.",
        discussion: "Run on a quiet machine (check `uptime`); compare with `python bench/pytorch_reference.py --threads T`.")

    @Option(help: "Worker threads for OpenBLAS and the engine (default: GROW_THREADS or all cores).")
    var threads: Int?

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    @Flag(help: "Short timing rounds (for smoke tests).")
    var quick = false

    @Flag(help: "Print per-layer forward/backward milliseconds of a training step instead.")
    var profile = false

    @Flag(help: "Time old (im2col) vs new (direct depthwise, 1×1 on GEMM) convolution paths on EfficientNet-Lite0 layers instead.")
    var convPaths = false

    @Flag(help: "Under mpirun: time one gradient allreduce (a flat float bucket) by size across the ranks instead.")
    var allreduce = false

    @Option(help: "Only these workloads (comma-separated): cifar-cnn, resnet18-64, mlp-head, mini-alexnet (the default), efficientnet-lite0-224, efficientnet-lite0-112, resnet18-224; with --conv-paths, layers whose name contains one of these.")
    var only: String?

    @Option(help: "Examples per step for every selected workload instead of its own batch (e.g. 32: what `grow compare` trains MiniAlexNet with).")
    var batch: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1; got \(threads).") }
        if let batch, batch < 1 { throw ValidationError("--batch must be at least 1; got \(batch).") }
        if let only, !convPaths {
            let known = Set(Workload.all.map(\.name))
            for name in only.split(separator: ",") where !known.contains(String(name)) {
                throw ValidationError("Unknown workload '\(name)'. Choose from: \(known.sorted().joined(separator: ", ")).")
            }
        }
    }

    struct Report: Codable {
        let threads: Int
        let sgemm_gflops: Double
        let workloads: [WorkloadResult]
    }

    func run() throws {
        Threads.set(threads ?? Threads.defaultCount)
        if allreduce { return AllreduceBenchmark.run(rounds: quick ? 2 : 10) }
        let selected = only.map { names in Workload.all.filter { names.split(separator: ",").map(String.init).contains($0.name) } }
            ?? Workload.standard
        let workloads = batch.map { b in selected.map { $0.withBatch(b) } } ?? selected
        if convPaths {
            let rows = ConvPathBenchmark.measure(threads: threads.map { [$0] } ?? [1, 2], rounds: quick ? 1 : 3, minSeconds: quick ? 0.02 : 0.3,
                                                 only: only?.split(separator: ",").map(String.init),
                                                 progress: { FileHandle.standardError.write("running \($0)…\n".data(using: .utf8)!) })
            print(ConvPathBenchmark.table(rows))
            return
        }
        if profile {
            for w in workloads {
                print("\(w.name) (batch \(w.batch), \(Threads.count) threads): layer, forward ms, backward ms, inference ms")
                for r in LayerProfile.measure(w) {
                    print("  " + r.name.padding(toLength: 44, withPad: " ", startingAt: 0) + String(format: "%9.2f %9.2f %9.2f", r.forwardMs, r.backwardMs, r.inferenceMs))
                }
            }
            return
        }
        let gflops = Benchmark.sgemmGFLOPS(quick: quick)
        var results: [WorkloadResult] = []
        for w in workloads {
            if !json { FileHandle.standardError.write("running \(w.name)…\n".data(using: .utf8)!) }
            results.append(Benchmark.run(w, quick: quick))
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let report = Report(threads: Threads.count, sgemm_gflops: (gflops * 10).rounded() / 10, workloads: results)
            print(String(data: try encoder.encode(report), encoding: .utf8)!)
        } else {
            print("threads: \(Threads.count)   GEMM: \(GEMM.libraryName)   own kernels: \(CPUKernels.current)   SGEMM 1024³: \(String(format: "%.1f", gflops)) GFLOP/s")
            print("workload                  batch   train img/s   inference img/s   train GFLOP/s   share of SGEMM peak")
            for r in results {
                print(r.name.padding(toLength: 24, withPad: " ", startingAt: 0)
                      + String(format: "%7d %13.1f %17.1f %15.1f %20.0f %%", r.batch, r.trainImagesPerSecond, r.inferenceImagesPerSecond,
                               r.trainImagesPerSecond * r.trainFLOPsPerImage / 1e9, 100 * r.peakShare(gflops)))
            }
        }
    }
}
