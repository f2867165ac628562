import Foundation

/// Memory for large buffers (activations, gradients, oneDNN scratch): 64-byte aligned, and from 2 MiB on aligned to
/// 2 MiB and marked for transparent huge pages (`madvise(MADV_HUGEPAGE)`, which Debian's default "madvise" mode
/// needs). Multi-megabyte activations streamed every step otherwise miss the TLB page by 4 KiB page: the comparison
/// grid's depth-All runs, two at a time, took 15.2–16.0 s a run with huge pages against 16.3–16.9 s without.
/// Freed with `free`.
enum LargeAllocation {
    static let hugePage = 2 << 20

    static func allocate(bytes: Int) -> UnsafeMutableRawPointer {
        let huge = bytes >= hugePage
        var raw: UnsafeMutableRawPointer?
        let status = posix_memalign(&raw, huge ? hugePage : 64, bytes)
        guard status == 0, let raw else { fatalError("out of memory allocating \(bytes) bytes") }
        if huge { _ = madvise(raw, bytes, Int32(MADV_HUGEPAGE)) }   // advice only: without THP it changes nothing
        return raw
    }
}
