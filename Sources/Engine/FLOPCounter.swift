import Foundation

/// Counts the floating-point operations (2 per multiply-add) of the convolution seam and of fully connected
/// layers while a benchmark asks for it, so a workload's speed can be put against the machine's FMA peak.
/// Every other layer (normalisation, activations, pooling) is memory-bound and not counted.
public enum FLOPCounter {
    nonisolated(unsafe) private static var counting = false
    nonisolated(unsafe) private static var total = 0.0
    private static let lock = NSLock()

    /// The operations `body` runs through the counted kernels.
    public static func count(_ body: () -> Void) -> Double {
        lock.lock(); total = 0; counting = true; lock.unlock()
        body()
        lock.lock(); defer { counting = false; lock.unlock() }
        return total
    }

    /// Adds 2·multiplyAdds while counting; a flag test otherwise.
    @inline(__always)
    public static func add(multiplyAdds: Int) {
        guard counting else { return }
        lock.lock(); total += 2 * Double(multiplyAdds); lock.unlock()
    }
}
