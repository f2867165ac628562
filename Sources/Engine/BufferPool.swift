import Foundation

/// Recycles large aligned float buffers by size.
///
/// Why: glibc serves big allocations with mmap and returns them on free, so each training
/// step would otherwise fault in tens of megabytes of fresh pages. Layer shapes repeat every
/// step, so exact-size reuse hits almost always: the pool settles at the most buffers of each size a step holds at
/// once. A request with no buffer of its size borrows the smallest cached one up to twice as large before anything
/// new is allocated, so sizes that never live at the same time (a training step's, then inference's) share memory:
/// ResNet-18 at 224 px, 2 threads, a training and inference run peaked at 859 instead of 949 MB resident. An earlier
/// fixed 512 MiB cap was below the pool's settled size for EfficientNet-Lite0 at 112 px, batch 32, so each step
/// faulted its largest activations in afresh (a ReLU6 over 38.5 MB: 20 ms in training against 2.6 ms at inference).
///
/// Bounds: buffers in use plus cached stay within a quarter of physical memory (at least 512 MiB), and a size not
/// taken in the last `staleTakes` takes is freed at the next miss, so sizes of a network no longer trained go back.
final class BufferPool: @unchecked Sendable {
    static let shared = BufferPool()
    private var free: [Int: [UnsafeMutablePointer<Float>]] = [:]
    /// The take counter, and the count at each cached size's latest take.
    private var takes = 0
    private var lastTaken: [Int: Int] = [:]
    private var cachedFloats = 0
    /// Floats of pooled-size buffers handed out and not yet given back.
    private var liveFloats = 0
    /// Buffers handed out for a smaller request, by their real size.
    private var borrowed: [UnsafeMutablePointer<Float>: Int] = [:]
    private let lock = NSLock()
    /// Buffers below this size go straight to malloc (it is fast for them).
    private let minPooled = 16_384
    private let capFloats = Swift.max(512 * 1024 * 1024, Int(ProcessInfo.processInfo.physicalMemory / 4)) / MemoryLayout<Float>.stride
    private let staleTakes = 1 << 14
    /// Tests only: every buffer handed out is filled with NaN, so a kernel that reads memory it did not write shows.
    nonisolated(unsafe) static var _poisonForTesting = false

    func take(_ count: Int) -> UnsafeMutablePointer<Float> {
        let p = takeUnpoisoned(count)
        if Self._poisonForTesting { p.initialize(repeating: .nan, count: count) }
        return p
    }

    private func takeUnpoisoned(_ count: Int) -> UnsafeMutablePointer<Float> {
        if count >= minPooled {
            lock.lock()
            takes += 1
            lastTaken[count] = takes
            liveFloats += count
            if var list = free[count], let p = list.popLast() {
                free[count] = list
                cachedFloats -= count
                lock.unlock()
                return p
            }
            if let size = free.keys.filter({ $0 > count && $0 <= 2 * count }).min(), var list = free[size], let p = list.popLast() {
                free[size] = list.isEmpty ? nil : list
                cachedFloats -= size
                liveFloats += size - count
                lastTaken[size] = takes
                borrowed[p] = size
                lock.unlock()
                return p
            }
            evict()
            lock.unlock()
        }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: MemoryLayout<Float>.stride)
        precondition(!overflow, "a buffer of \(count) floats overflows")
        return LargeAllocation.allocate(bytes: bytes).bindMemory(to: Float.self, capacity: count)
    }

    func give(_ p: UnsafeMutablePointer<Float>, _ requested: Int) {
        if requested >= minPooled {
            lock.lock()
            let count = borrowed.removeValue(forKey: p) ?? requested
            liveFloats -= count
            if liveFloats + cachedFloats + count <= capFloats {
                free[count, default: []].append(p)
                cachedFloats += count
                lock.unlock()
                return
            }
            lock.unlock()
        }
        Foundation.free(p)
    }

    /// Frees the cached buffers of stale sizes, then the largest until in-use plus cached fits the cap. Lock held.
    private func evict() {
        for (size, list) in free where takes - (lastTaken[size] ?? 0) > staleTakes {
            for p in list { Foundation.free(p) }
            cachedFloats -= size * list.count
            free[size] = nil
            lastTaken[size] = nil
        }
        while liveFloats + cachedFloats > capFloats, let size = free.keys.max() {
            var list = free[size]!
            Foundation.free(list.removeLast())
            free[size] = list.isEmpty ? nil : list
            cachedFloats -= size
        }
    }
}
