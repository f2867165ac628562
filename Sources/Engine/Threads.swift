import Foundation
import COpenBLAS

/// The one thread setting of the engine: the workers of its parallel loops, which also split large GEMMs
/// (OpenBLAS itself stays single-threaded). Users default to all cores; tests and CI set 1 (`GROW_THREADS=1`).
public enum Threads {
    nonisolated(unsafe) private static var current = 1

    /// The number of worker threads in use.
    public static var count: Int { current }

    /// Sets the thread count of the engine's loops (clamped to ≥ 1). OpenBLAS always runs single-threaded inside
    /// them: its idle threads spin after each call and took a core from the engine's own workers (ResNet-18 at
    /// 64 px, 2 threads: a residual block's backward 23.5 → 14.9 ms with OpenBLAS held to 1 thread). Large GEMMs
    /// are split across the engine's workers instead (`GEMM.sgemm`).
    public static func set(_ n: Int) {
        current = Swift.max(1, n)
        openblas_set_num_threads(1)
    }

    /// Marks the threads running a parallel loop's body: nested loops and GEMMs inside run inline.
    nonisolated(unsafe) private static let workerKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// True inside the body of `parallelFor` or a batch-slice loop.
    public static var isWorker: Bool { pthread_getspecific(workerKey) != nil }

    /// Workers a loop started here may use: `count`, or 1 inside another loop's body.
    public static var available: Int { isWorker ? 1 : current }

    /// Runs `body` marked as a worker (restoring the previous mark: the calling thread takes part in its own loop).
    @inline(__always)
    public static func asWorker<T>(_ body: () -> T) -> T {
        let previous = pthread_getspecific(workerKey)
        pthread_setspecific(workerKey, UnsafeRawPointer(bitPattern: 1))
        defer { pthread_setspecific(workerKey, previous) }
        return body()
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

/// Runs `body` over `0..<n` split into contiguous chunks on up to `Threads.available` workers.
/// Work below `minPerThread` items per worker runs inline (dispatch costs ~10 µs).
@inline(__always)
public func parallelFor(_ n: Int, minPerThread: Int = 1, _ body: (Range<Int>) -> Void) {
    let workers = Swift.min(Threads.available, n / Swift.max(minPerThread, 1))
    if workers <= 1 { if n > 0 { body(0..<n) }; return }
    withoutActuallyEscaping(body) { body in
        let box = UncheckedSendable(body)
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let lo = n * w / workers, hi = n * (w + 1) / workers
            if lo < hi { Threads.asWorker { box.value(lo..<hi) } }
        }
    }
}

/// Wraps a value for hand-off to worker threads whose access is disjoint by construction.
public struct UncheckedSendable<T>: @unchecked Sendable {
    public let value: T
    public init(_ value: T) { self.value = value }
}
