import Foundation

/// Scratch memory for oneDNN primitives: one buffer per run in flight, grown to the largest request it has seen and
/// reused by every plan, so the process holds (runs in flight) × (largest scratch) rather than a buffer per plan.
///
/// oneDNN's Winograd kernels ask for a lot (ResNet-18 at 224 px, slices of 8 images: 9, 23, 36 and 88 MB for the four
/// stages, the transformed weights included); kept per size in the buffer pool, those added up to 256 MB of peak RSS
/// at 2 threads. Buffers are allocated outside the pool (`LargeAllocation`) and never shrink.
final class ScratchArenas: @unchecked Sendable {
    static let shared = ScratchArenas()

    /// A buffer of at least `floats` floats, lent to one run until `give` returns it.
    final class Arena {
        fileprivate(set) var pointer: UnsafeMutablePointer<Float>
        fileprivate(set) var floats: Int

        fileprivate init(floats: Int) {
            self.floats = floats
            pointer = Arena.allocate(floats)
        }

        fileprivate func grow(to floats: Int) {
            guard floats > self.floats else { return }
            free(pointer)
            pointer = Arena.allocate(floats)
            self.floats = floats
        }

        private static func allocate(_ floats: Int) -> UnsafeMutablePointer<Float> {
            let (bytes, overflow) = floats.multipliedReportingOverflow(by: MemoryLayout<Float>.stride)
            precondition(!overflow, "scratch of \(floats) floats overflows")
            return LargeAllocation.allocate(bytes: bytes).bindMemory(to: Float.self, capacity: floats)
        }

        deinit { free(pointer) }
    }

    private let lock = NSLock()
    private var idle: [Arena] = []

    /// Takes the largest idle arena (growing it if needed) or makes one.
    func take(floats: Int) -> Arena {
        lock.lock()
        let arena = idle.popLast()
        lock.unlock()
        guard let arena else { return Arena(floats: floats) }
        arena.grow(to: floats)
        return arena
    }

    /// Returns an arena for the next run; idle arenas stay sorted by size, largest last.
    func give(_ arena: Arena) {
        lock.lock()
        defer { lock.unlock() }
        let at = idle.firstIndex { $0.floats > arena.floats } ?? idle.endIndex
        idle.insert(arena, at: at)
    }

    /// Floats held by idle arenas (tests).
    var idleFloats: Int {
        lock.lock()
        defer { lock.unlock() }
        return idle.reduce(0) { $0 + $1.floats }
    }
}
