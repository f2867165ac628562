import Foundation

/// Recycles large aligned float buffers by exact size.
///
/// Why: glibc serves big allocations with mmap and returns them on free, so each training
/// step would otherwise fault in tens of megabytes of fresh pages. Layer shapes repeat every
/// step, so exact-size reuse hits almost always. Total cached bytes are bounded.
final class BufferPool: @unchecked Sendable {
    static let shared = BufferPool()
    private var free: [Int: [UnsafeMutablePointer<Float>]] = [:]
    private var cachedFloats = 0
    private let lock = NSLock()
    /// Buffers below this size go straight to malloc (it is fast for them).
    private let minPooled = 16_384
    private let maxCachedFloats = 512 * 1024 * 1024 / 4
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
            if var list = free[count], let p = list.popLast() {
                free[count] = list
                cachedFloats -= count
                lock.unlock()
                return p
            }
            lock.unlock()
        }
        var raw: UnsafeMutableRawPointer?
        let status = posix_memalign(&raw, 64, count * MemoryLayout<Float>.stride)
        guard status == 0, let raw else { fatalError("out of memory allocating \(count) floats") }
        return raw.bindMemory(to: Float.self, capacity: count)
    }

    func give(_ p: UnsafeMutablePointer<Float>, _ count: Int) {
        if count >= minPooled {
            lock.lock()
            if cachedFloats + count <= maxCachedFloats {
                free[count, default: []].append(p)
                cachedFloats += count
                lock.unlock()
                return
            }
            lock.unlock()
        }
        Foundation.free(p)
    }
}
