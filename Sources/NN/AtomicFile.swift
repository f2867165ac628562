import Foundation

/// Durable, atomic file replacement: the bytes go to a new temporary file in the destination's folder,
/// which is flushed to disk (fsync), renamed over the destination (atomic within a filesystem) and the
/// folder itself flushed, so after a crash at any moment the destination holds either the old complete
/// file or the new complete one — never a torn one. A failure (folder not writable, disk full, file-size
/// limit) removes the temporary file and leaves the destination untouched.
public enum AtomicFile {
    /// The temporary file being written, as a C string, so a signal handler can remove it before exiting
    /// (`removeInFlight()` is async-signal-safe: it only calls unlink).
    nonisolated(unsafe) private static var inFlight: UnsafeMutablePointer<CChar>?
    nonisolated(unsafe) private static var ignoredFileSizeSignal = false

    /// Writes `data` to `url` atomically and durably; errors name the path and the cause.
    public static func write(_ data: Data, to url: URL) throws {
        if !ignoredFileSizeSignal {
            // Past RLIMIT_FSIZE the kernel sends SIGXFSZ, which would kill the process; ignored, write fails with EFBIG.
            signal(SIGXFSZ, SIG_IGN)
            ignoredFileSizeSignal = true
        }
        let folder = url.deletingLastPathComponent().path
        let temp = folder + "/.\(url.lastPathComponent).\(UUID().uuidString).tmp"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw AtomicFileError(path: url.path, operation: "create a temporary file in \(folder)", errno: errno) }
        let path = strdup(temp)
        inFlight = path
        defer { inFlight = nil; free(path) }
        var failure: AtomicFileError?
        data.withUnsafeBytes { raw in
            var offset = 0, injected = false
            while offset < raw.count {
                if !injected && offset >= raw.count / 2 { injected = true; FaultInjection.duringWrite() }
                // At most half the file per call, so a fault injected half-way finds half a file written.
                let n = Foundation.write(fd, raw.baseAddress! + offset, max(1, min(raw.count - offset, raw.count / 2)))
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = AtomicFileError(path: url.path, operation: "write", errno: errno); return
                }
                offset += n
            }
        }
        if failure == nil && fsync(fd) != 0 { failure = AtomicFileError(path: url.path, operation: "flush", errno: errno) }
        if close(fd) != 0 && failure == nil { failure = AtomicFileError(path: url.path, operation: "close", errno: errno) }
        if failure == nil && rename(temp, url.path) != 0 {
            failure = AtomicFileError(path: url.path, operation: "replace", errno: errno)
        }
        if let failure { unlink(temp); throw failure }
        // The rename is durable once the folder's entry is on disk.
        let dir = open(folder.isEmpty ? "." : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dir >= 0 { _ = fsync(dir); close(dir) }
    }

    /// Writes UTF-8 text atomically and durably.
    public static func write(_ text: String, to url: URL) throws { try write(Data(text.utf8), to: url) }

    /// Removes the temporary file of a write in progress, if any. Async-signal-safe.
    public static func removeInFlight() {
        if let path = inFlight { unlink(path) }
    }
}

/// A file that could not be written: which path, what step failed, and the system's reason with a remedy.
public struct AtomicFileError: Error, CustomStringConvertible {
    public let path: String
    public let operation: String
    public let code: Int32

    init(path: String, operation: String, errno code: Int32) { self.path = path; self.operation = operation; self.code = code }

    public var description: String {
        let reason = String(cString: strerror(code))
        let remedy: String
        switch code {
        case ENOSPC, EDQUOT: remedy = "the disk is full: free space or write elsewhere"
        case EFBIG: remedy = "the file exceeds the file-size limit (ulimit -f): raise it or write elsewhere"
        case EACCES, EPERM, EROFS: remedy = "the folder is not writable: choose another output path"
        case ENOENT, ENOTDIR: remedy = "the folder does not exist"
        default: remedy = "check the folder and the disk"
        }
        return "cannot write \(path) (\(operation): \(reason)); \(remedy). Nothing was replaced."
    }
}
