import CJPEG
#if canImport(Glibc)
import Glibc
#endif

/// JPEG decoding and encoding through libjpeg-turbo. Errors are thrown, never fatal: see
/// LibJPEGGuard.swift for how libjpeg's non-returning error handler is contained.
public enum JPEGCodec {
    /// True when `bytes` start with the JPEG start-of-image marker.
    public static func isJPEG(_ bytes: [UInt8]) -> Bool { JPEGStructure.isJPEG(bytes) }

    /// Decodes a JPEG to grey (1 channel, for greyscale files) or RGB (3 channels; YCbCr, RGB and
    /// CMYK/YCCK files). `minShorterSide` lets libjpeg decode at 1/2, 1/4 or 1/8 scale while the
    /// shorter side stays at least that long: much faster when images are resized down anyway.
    public static func decode(_ bytes: [UInt8], file: String, minShorterSide: Int = 0) throws -> Image {
        try JPEGStructure.validate(bytes, file: file)
        let job = LibJPEGJob.allocate()
        let cinfo = UnsafeMutablePointer<jpeg_decompress_struct>.allocate(capacity: 1)
        // Zeroed so that jpeg_destroy_decompress is safe even if creation itself failed.
        UnsafeMutableRawPointer(cinfo).initializeMemory(as: UInt8.self, repeating: 0,
                                                        count: MemoryLayout<jpeg_decompress_struct>.size)
        defer {
            jpeg_destroy_decompress(cinfo)
            cinfo.deallocate()
            LibJPEGJob.free(job)
        }
        job.pointee.decompress = cinfo
        job.pointee.minShorterSide = minShorterSide
        bytes.withUnsafeBufferPointer { buf in
            job.pointee.input = buf.baseAddress
            job.pointee.inputCount = buf.count
            runLibJPEG(job, decodeOnThread)
        }
        if let problem = job.pointee.problem { throw DatasetError(file, "corrupt or truncated JPEG (\(problem))") }
        let j = job.pointee
        let out = UnsafeBufferPointer(start: j.output, count: j.outputCount)
        guard j.isCMYK else { return Image(width: j.width, height: j.height, channels: j.channels, pixels: Array(out)) }
        // libjpeg cannot convert CMYK to RGB. Adobe files store inverted ink, so r = c·k/255 there.
        var rgb = [UInt8](repeating: 0, count: j.width * j.height * 3)
        rgb.withUnsafeMutableBufferPointer { dst in
            for p in 0..<(j.width * j.height) {
                var c = Int(out[4 * p]), m = Int(out[4 * p + 1]), y = Int(out[4 * p + 2]), k = Int(out[4 * p + 3])
                if !j.isAdobe { c = 255 - c; m = 255 - m; y = 255 - y; k = 255 - k }
                dst[3 * p] = UInt8(c * k / 255); dst[3 * p + 1] = UInt8(m * k / 255); dst[3 * p + 2] = UInt8(y * k / 255)
            }
        }
        return Image(width: j.width, height: j.height, channels: 3, pixels: rgb)
    }

    /// Encodes a grey or RGB image as a baseline JPEG (used for fixtures and benchmarks).
    public static func encode(_ image: Image, quality: Int = 90) throws -> [UInt8] {
        precondition(image.channels == 1 || image.channels == 3, "JPEGCodec.encode: \(image.channels) channels, expected 1 or 3")
        let job = LibJPEGJob.allocate()
        let cinfo = UnsafeMutablePointer<jpeg_compress_struct>.allocate(capacity: 1)
        UnsafeMutableRawPointer(cinfo).initializeMemory(as: UInt8.self, repeating: 0,
                                                        count: MemoryLayout<jpeg_compress_struct>.size)
        defer {
            jpeg_destroy_compress(cinfo)
            cinfo.deallocate()
            LibJPEGJob.free(job)
        }
        job.pointee.compress = cinfo
        job.pointee.quality = Int32(quality)
        job.pointee.width = image.width; job.pointee.height = image.height; job.pointee.channels = image.channels
        image.pixels.withUnsafeBufferPointer { buf in
            job.pointee.input = buf.baseAddress
            job.pointee.inputCount = buf.count
            runLibJPEG(job, encodeOnThread)
        }
        if let problem = job.pointee.problem { throw DatasetError("<jpeg encoder>", problem) }
        return Array(UnsafeBufferPointer(start: job.pointee.mallocOutput, count: Int(job.pointee.mallocCount)))
    }
}

// The thread bodies touch only the job's plain memory (see LibJPEGGuard.swift).
private let decodeOnThread: @convention(c) (UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? = { raw in
    let job = raw!.assumingMemoryBound(to: LibJPEGJob.self)
    let cinfo = job.pointee.decompress!
    cinfo.pointee.err = job.pointee.errorManager
    cinfo.pointee.client_data = UnsafeMutableRawPointer(job)  // kept by jpeg_CreateDecompress; error_exit needs it
    jpeg_CreateDecompress(cinfo, JPEG_LIB_VERSION, MemoryLayout<jpeg_decompress_struct>.size)
    jpeg_mem_src(cinfo, job.pointee.input, UInt(job.pointee.inputCount))
    guard jpeg_read_header(cinfo, 1) == JPEG_HEADER_OK else {
        strncpy(job.pointee.errorText, "no image in the data stream", LibJPEGJob.messageLength - 1)
        job.pointee.failed = true
        return nil
    }
    switch cinfo.pointee.jpeg_color_space {
    case JCS_GRAYSCALE: cinfo.pointee.out_color_space = JCS_GRAYSCALE
    case JCS_CMYK, JCS_YCCK: cinfo.pointee.out_color_space = JCS_CMYK; job.pointee.isCMYK = true
    default: cinfo.pointee.out_color_space = JCS_RGB
    }
    job.pointee.isAdobe = cinfo.pointee.saw_Adobe_marker != 0
    // JPEGStructure.validate checked the frame it found; this checks the one libjpeg will decode,
    // before jpeg_start_decompress allocates (progressive files: coefficients for the whole image).
    if let problem = JPEGStructure.sizeProblem(width: Int(cinfo.pointee.image_width), height: Int(cinfo.pointee.image_height),
                                               arithmetic: cinfo.pointee.arith_code != 0, fileBytes: job.pointee.inputCount) {
        _ = problem.withCString { strncpy(job.pointee.errorText, $0, LibJPEGJob.messageLength - 1) }
        job.pointee.failed = true
        return nil
    }
    let shorter = Int(min(cinfo.pointee.image_width, cinfo.pointee.image_height))
    var denom = 8
    while denom > 1 && (job.pointee.minShorterSide <= 0 || (shorter + denom - 1) / denom < job.pointee.minShorterSide) { denom /= 2 }
    cinfo.pointee.scale_num = 1
    cinfo.pointee.scale_denom = UInt32(denom)
    _ = jpeg_start_decompress(cinfo)
    let w = Int(cinfo.pointee.output_width), h = Int(cinfo.pointee.output_height), c = Int(cinfo.pointee.output_components)
    let out = UnsafeMutablePointer<UInt8>.allocate(capacity: w * h * c)
    job.pointee.output = out
    job.pointee.outputCount = w * h * c
    job.pointee.width = w; job.pointee.height = h; job.pointee.channels = c
    let rows = UnsafeMutablePointer<JSAMPROW?>.allocate(capacity: h)
    job.pointee.rowPointers = rows  // freed by the caller, also when libjpeg ends the thread mid-image
    for y in 0..<h { rows[y] = out + y * w * c }
    while cinfo.pointee.output_scanline < cinfo.pointee.output_height {
        let y = Int(cinfo.pointee.output_scanline)
        _ = jpeg_read_scanlines(cinfo, rows + y, JDIMENSION(h - y))
    }
    _ = jpeg_finish_decompress(cinfo)
    job.pointee.finished = true
    return nil
}

private let encodeOnThread: @convention(c) (UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? = { raw in
    let job = raw!.assumingMemoryBound(to: LibJPEGJob.self)
    let cinfo = job.pointee.compress!
    cinfo.pointee.err = job.pointee.errorManager
    cinfo.pointee.client_data = UnsafeMutableRawPointer(job)  // kept by jpeg_CreateCompress; error_exit needs it
    jpeg_CreateCompress(cinfo, JPEG_LIB_VERSION, MemoryLayout<jpeg_compress_struct>.size)
    withUnsafeMutablePointer(to: &job.pointee.mallocOutput) { out in
        withUnsafeMutablePointer(to: &job.pointee.mallocCount) { jpeg_mem_dest(cinfo, out, $0) }
    }
    let w = job.pointee.width, c = job.pointee.channels
    cinfo.pointee.image_width = JDIMENSION(w)
    cinfo.pointee.image_height = JDIMENSION(job.pointee.height)
    cinfo.pointee.input_components = Int32(c)
    cinfo.pointee.in_color_space = c == 3 ? JCS_RGB : JCS_GRAYSCALE
    jpeg_set_defaults(cinfo)
    jpeg_set_quality(cinfo, job.pointee.quality, 1)
    jpeg_start_compress(cinfo, 1)
    var row: JSAMPROW? = UnsafeMutablePointer(mutating: job.pointee.input!)
    while cinfo.pointee.next_scanline < cinfo.pointee.image_height {
        row = UnsafeMutablePointer(mutating: job.pointee.input! + Int(cinfo.pointee.next_scanline) * w * c)
        _ = jpeg_write_scanlines(cinfo, &row, 1)
    }
    jpeg_finish_compress(cinfo)
    job.pointee.finished = true
    return nil
}
