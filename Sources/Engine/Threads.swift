import Foundation
import COpenBLAS

/// The one thread setting of the engine: it drives OpenBLAS's threads and the engine's own
/// parallel loops. Users default to all cores; tests and CI set 1 (`GROW_THREADS=1`).
public enum Threads {
    nonisolated(unsafe) private static var current = 1

    /// The number of worker threads in use.
    public static var count: Int { current }

    /// Sets the thread count for OpenBLAS and engine loops (clamped to ≥ 1).
    public static func set(_ n: Int) {
        current = Swift.max(1, n)
        openblas_set_num_threads(Int32(current))
    }

    /// `GROW_THREADS` if set, otherwise all cores.
    public static var defaultCount: Int {
        if let s = ProcessInfo.processInfo.environment["GROW_THREADS"], let n = Int(s), n > 0 { return n }
        return ProcessInfo.processInfo.activeProcessorCount
    }

    /// Applies `defaultCount`.
    public static func configureDefault() { set(defaultCount) }

    /// The name of the OpenBLAS kernel set in use (e.g. "Zen").
    public static var blasCore: String { String(cString: openblas_get_corename()) }
}

/// Runs `body` over `0..<n` split into contiguous chunks on up to `Threads.count` workers.
/// Work below `minPerThread` items per worker runs inline (dispatch costs ~10 µs).
@inline(__always)
public func parallelFor(_ n: Int, minPerThread: Int = 1, _ body: (Range<Int>) -> Void) {
    let workers = Swift.min(Threads.count, n / Swift.max(minPerThread, 1))
    if workers <= 1 { if n > 0 { body(0..<n) }; return }
    withoutActuallyEscaping(body) { body in
        let box = UncheckedSendable(body)
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let lo = n * w / workers, hi = n * (w + 1) / workers
            if lo < hi { box.value(lo..<hi) }
        }
    }
}

/// Wraps a value for hand-off to worker threads whose access is disjoint by construction.
public struct UncheckedSendable<T>: @unchecked Sendable {
    public let value: T
    public init(_ value: T) { self.value = value }
}
