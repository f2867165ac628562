import CJPEG
#if canImport(Glibc)
import Glibc
#endif

// Why a thread per libjpeg call.
//
// libjpeg reports fatal errors by calling `err->error_exit`, which must not return: C callers
// longjmp back to a setjmp point. Swift cannot call setjmp (it returns twice), and letting
// error_exit return makes libjpeg continue on corrupt state. TurboJPEG's tjDecompress would hide
// the setjmp in C but needs another system package (libturbojpeg0-dev) and target. Instead every
// libjpeg call sequence runs on its own short-lived pthread, and error_exit ends that thread with
// `pthread_exit`: the caller's `pthread_join` returns and it sees `failed`. This is well defined
// POSIX (pthread_exit may be called from any function on the thread; glibc unwinds, or longjmps to
// the thread's start, past frames without cleanups). To make skipping frames harmless, the thread
// touches only plain memory owned by the caller (`LibJPEGJob`, no Swift references, so no
// retain can be left unbalanced) and the caller destroys the libjpeg object after the join,
// which frees everything libjpeg allocated. A thread plus libjpeg set-up costs ~50–80 µs (measured,
// release build), small next to the ~2–5 ms a 512×512 photo takes to decode.
// Warnings (corrupt entropy data, premature end of file) do not stop libjpeg; they are recorded
// and turned into errors, except "extraneous bytes before marker", which common encoders
// produce on images that decode correctly.

/// The memory a libjpeg thread works on, reached by libjpeg's callbacks through `client_data`:
/// raw pointers and integers only, allocated and freed by the caller.
struct LibJPEGJob {
    /// JMSG_LENGTH_MAX in jpeglib.h.
    static let messageLength = 200
    var failed = false
    var finished = false
    var errorText: UnsafeMutablePointer<CChar>
    var warningText: UnsafeMutablePointer<CChar>
    var hasWarning = false
    // Task-specific fields (decoder or encoder).
    var input: UnsafePointer<UInt8>? = nil
    var inputCount = 0
    var minShorterSide = 0
    var quality: Int32 = 90
    var width = 0, height = 0, channels = 0
    var output: UnsafeMutablePointer<UInt8>? = nil
    var outputCount = 0
    var isCMYK = false, isAdobe = false
    var rowPointers: UnsafeMutablePointer<JSAMPROW?>? = nil
    var mallocOutput: UnsafeMutablePointer<UInt8>? = nil
    var mallocCount: UInt = 0
    var decompress: UnsafeMutablePointer<jpeg_decompress_struct>? = nil
    var compress: UnsafeMutablePointer<jpeg_compress_struct>? = nil
    var errorManager: UnsafeMutablePointer<jpeg_error_mgr>

    static func allocate() -> UnsafeMutablePointer<LibJPEGJob> {
        let job = UnsafeMutablePointer<LibJPEGJob>.allocate(capacity: 1)
        let err = UnsafeMutablePointer<jpeg_error_mgr>.allocate(capacity: 1)
        let e = UnsafeMutablePointer<CChar>.allocate(capacity: messageLength)
        let w = UnsafeMutablePointer<CChar>.allocate(capacity: messageLength)
        e.initialize(repeating: 0, count: messageLength)
        w.initialize(repeating: 0, count: messageLength)
        job.initialize(to: LibJPEGJob(errorText: e, warningText: w, errorManager: err))
        _ = jpeg_std_error(err)
        err.pointee.error_exit = libjpegErrorExit
        err.pointee.emit_message = libjpegEmitMessage
        err.pointee.output_message = { _ in }  // never print to stderr; messages become thrown errors
        return job
    }

    /// Frees what `allocate` and the thread allocated (call after any libjpeg object is destroyed).
    static func free(_ job: UnsafeMutablePointer<LibJPEGJob>) {
        job.pointee.errorText.deallocate()
        job.pointee.warningText.deallocate()
        job.pointee.errorManager.deallocate()
        job.pointee.output?.deallocate()
        job.pointee.rowPointers?.deallocate()
        if let m = job.pointee.mallocOutput { Glibc.free(m) }
        job.deallocate()
    }

    /// The error, or the first non-benign warning, as text; nil when the job succeeded cleanly.
    var problem: String? {
        if failed || !finished { return failed ? String(cString: errorText) : "libjpeg stopped unexpectedly" }
        return hasWarning ? String(cString: warningText) : nil
    }
}

private let libjpegErrorExit: @convention(c) (j_common_ptr?) -> Void = { cinfo in
    let job = cinfo!.pointee.client_data.assumingMemoryBound(to: LibJPEGJob.self)
    cinfo!.pointee.err.pointee.format_message(cinfo, job.pointee.errorText)
    job.pointee.failed = true
    pthread_exit(nil)
}

private let libjpegEmitMessage: @convention(c) (j_common_ptr?, Int32) -> Void = { cinfo, level in
    guard level < 0 else { return }  // trace messages
    let job = cinfo!.pointee.client_data.assumingMemoryBound(to: LibJPEGJob.self)
    let text = UnsafeMutablePointer<CChar>.allocate(capacity: LibJPEGJob.messageLength)
    defer { text.deallocate() }
    cinfo!.pointee.err.pointee.format_message(cinfo, text)
    if strstr(text, "extraneous bytes before marker") != nil { return }
    if !job.pointee.hasWarning {
        strncpy(job.pointee.warningText, text, LibJPEGJob.messageLength - 1)
        job.pointee.hasWarning = true
    }
}

/// Runs `body(job)` on a new thread and waits for it; see the note at the top of this file.
func runLibJPEG(_ job: UnsafeMutablePointer<LibJPEGJob>,
                _ body: @escaping @convention(c) (UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer?) {
    var thread = pthread_t()
    guard pthread_create(&thread, nil, body, UnsafeMutableRawPointer(job)) == 0 else {
        strncpy(job.pointee.errorText, "could not start a decoding thread", LibJPEGJob.messageLength - 1)
        job.pointee.failed = true
        return
    }
    pthread_join(thread, nil)
}
