import Foundation

/// Memory for large buffers (activations, gradients, oneDNN scratch): 64-byte aligned, and from 2 MiB on aligned to
/// 2 MiB and marked for transparent huge pages (`madvise(MADV_HUGEPAGE)`, which Debian's default "madvise" mode
/// needs), for the multi-megabyte activations streamed every step: the comparison grid's FT and WA at depth All,
/// trained as a pair, took 13.5–14.0 s a run with this against 14.7–16.4 s without (AMD EPYC, 2 vCPUs).
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
