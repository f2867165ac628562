import Foundation
import Engine
import NN

/// Old (im2col + GEMM for everything) vs new (direct depthwise, 1×1 straight on GEMM, oneDNN for other
/// convolutions) paths on EfficientNet-Lite0 and ResNet layer shapes, timed through `Conv2d` as a
/// network uses it: inference forward (no column cache) and training forward + backward (the im2col
/// path keeps its column cache when it fits `Conv2d.columnCacheLimit`). `grow bench --conv-paths`.
public enum ConvPathBenchmark {
    public struct Case: Sendable {
        public let name: String
        public let channels: Int, outChannels: Int, size: Int, kernel: Int, stride: Int, depthwise: Bool
    }

    /// EfficientNet-Lite0 and ResNet layers at a 224 px input (feature maps 112², 56², …) and scaled to smaller inputs.
    public static func cases(inputSize: Int) -> [Case] {
        func dw(_ c: Int, _ size: Int, _ k: Int, _ stride: Int) -> Case {
            let at = size * inputSize / 224
            return Case(name: "dw \(k)x\(k) s\(stride) \(c)@\(at)", channels: c, outChannels: c, size: at, kernel: k, stride: stride, depthwise: true)
        }
        func pw(_ c: Int, _ o: Int, _ size: Int, _ stride: Int = 1, _ what: String) -> Case {
            let at = Swift.max(1, (size * inputSize + 223) / 224)
            return Case(name: "1x1\(stride > 1 ? " s\(stride)" : "") \(c)->\(o)@\(at) \(what)", channels: c, outChannels: o, size: at,
                        kernel: 1, stride: stride, depthwise: false)
        }
        func conv3(_ c: Int, _ size: Int) -> Case {
            let at = Swift.max(1, size * inputSize / 224)
            return Case(name: "3x3 \(c)->\(c)@\(at) resnet", channels: c, outChannels: c, size: at, kernel: 3, stride: 1, depthwise: false)
        }
        return [
            conv3(64, 56), conv3(128, 28), conv3(256, 14), conv3(512, 7),
            dw(96, 112, 3, 1), dw(144, 56, 3, 1), dw(96, 112, 3, 2), dw(144, 56, 5, 2), dw(672, 14, 5, 1),
            pw(24, 144, 56, 1, "expand"), pw(144, 24, 56, 1, "project"), pw(80, 480, 14, 1, "expand"), pw(320, 1280, 7, 1, "head"),
            pw(64, 128, 56, 2, "resnet ds"), pw(256, 512, 14, 2, "resnet ds"),
        ]
    }

    public struct Row: Sendable {
        public let name: String, threads: Int
        public let forwardOld: Double, forwardNew: Double, trainOld: Double, trainNew: Double   // ms per call
        /// Share of the machine's CPU time used by other processes while this row ran (0…1).
        public let otherLoad: Double
    }

    /// Times every case (or those whose name contains one of `only`) at 1 and 2 threads (or `threads`): best of `rounds`
    /// rounds of at least `minSeconds` per variant, after one warm-up call each.
    public static func measure(batch: Int = 16, inputSizes: [Int] = [224, 112, 64], threads: [Int] = [1, 2], rounds: Int = 3,
                               minSeconds: Double = 0.3, only: [String]? = nil, progress: (String) -> Void = { _ in }) -> [Row] {
        var rows: [Row] = []
        for inputSize in inputSizes {
            for c in cases(inputSize: inputSize) where only?.contains(where: { c.name.contains($0) }) ?? true {
                for t in threads {
                    progress("\(c.name) T\(t)")
                    Threads.set(t)
                    let load = OtherLoad()
                    var rng = RNG(seed: 3)
                    let pad = c.kernel == 1 ? Conv2d.Padding.symmetric(0) : .same
                    let conv = Conv2d(c.channels, c.outChannels, kernel: c.kernel, stride: c.stride, padding: pad,
                                      groups: c.depthwise ? c.channels : 1, rng: &rng)
                    conv.needsInputGradient = true
                    let x = Tensor(uninitialized: [batch, c.channels, c.size, c.size])
                    for i in 0..<x.count { x.pointer[i] = rng.normal() }
                    let g = conv.geometry(for: x.shape)
                    let dy = Tensor(shape: [batch, c.outChannels, g.outHeight, g.outWidth], repeating: 0.01)
                    // Old and new alternate round by round, so a burst of load from elsewhere hits both alike.
                    let runs: [(fast: Bool, training: Bool)] = [(false, false), (false, true), (true, false), (true, true)]
                    var ms = [Double](repeating: .infinity, count: runs.count)
                    for round in 0...rounds {   // round 0 warms up
                        for (i, run) in runs.enumerated() {
                            ConvKernels.fastPaths = run.fast
                            conv.isTraining = run.training
                            let t = millisecondsPerCall(minSeconds: round == 0 ? 0 : minSeconds) {
                                _ = conv.forward(x)
                                if run.training { _ = conv.backward(dy) }
                            }
                            if round > 0 { ms[i] = Swift.min(ms[i], t) }
                        }
                    }
                    ConvKernels.fastPaths = true
                    rows.append(Row(name: c.name, threads: t, forwardOld: ms[0], forwardNew: ms[2], trainOld: ms[1], trainNew: ms[3],
                                    otherLoad: load.fraction()))
                }
            }
        }
        return rows
    }

    /// Mean milliseconds per call of `body` over at least one call and `minSeconds`.
    static func millisecondsPerCall(minSeconds: Double, _ body: () -> Void) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        var calls = 0, elapsed = 0.0
        repeat {
            body(); calls += 1
            elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        } while elapsed < minSeconds
        return 1000 * elapsed / Double(calls)
    }

    /// The rows as a Markdown table.
    public static func table(_ rows: [Row], batch: Int = 16) -> String {
        var s = "CPU: \(cpuModel)   batch \(batch), ms per call (best of rounds)\n"
        s += "| layer | T | fwd im2col | fwd new | × | fwd+bwd im2col | fwd+bwd new | × | other load |\n|---|---|---:|---:|---:|---:|---:|---:|---:|\n"
        for r in rows {
            s += "| \(r.name) | \(r.threads) | " + String(format: "%.2f | %.2f | %.1f | %.2f | %.2f | %.1f | %.0f %% |\n",
                r.forwardOld, r.forwardNew, r.forwardOld / r.forwardNew, r.trainOld, r.trainNew, r.trainOld / r.trainNew, 100 * r.otherLoad)
        }
        return s
    }

    /// `model name` from /proc/cpuinfo (as `lscpu` shows it), or "unknown".
    public static var cpuModel: String {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = info.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
              let colon = line.firstIndex(of: ":") else { return "unknown" }
        return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
}

/// CPU time other processes used between `init` and `fraction()`, as a share of the whole machine:
/// system-wide busy time from /proc/stat minus this process's own CPU time (compute notes §1).
struct OtherLoad {
    let busy: Double, total: Double, own: Double

    init() { (busy, total) = OtherLoad.machine(); own = OtherLoad.ownSeconds() }

    func fraction() -> Double {
        let (b, t) = OtherLoad.machine()
        guard t > total else { return 0 }
        return Swift.max(0, (b - busy) - (OtherLoad.ownSeconds() - own)) / (t - total)
    }

    /// (busy, total) CPU seconds over all cores since boot; (0, 0) where /proc/stat is missing.
    static func machine() -> (Double, Double) {
        guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let line = stat.split(separator: "\n").first, line.hasPrefix("cpu ") else { return (0, 0) }
        let v = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard v.count >= 5 else { return (0, 0) }
        let tick = Double(sysconf(Int32(_SC_CLK_TCK)))
        let idle = v[3] + v[4]                               // idle + iowait
        let total = v.prefix(8).reduce(0, +)                 // user nice system idle iowait irq softirq steal
        return ((total - idle) / tick, total / tick)
    }

    static func ownSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return s(usage.ru_utime) + s(usage.ru_stime)
    }
}
