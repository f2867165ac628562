import CZlib

/// gzip decompression through zlib (`inflate` with gzip header handling).
public enum Gzip {
    /// True when `bytes` start with the gzip magic 1f 8b.
    public static func isGzip(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
    }

    /// Inflates a gzip stream (several concatenated members are joined, as `gunzip` does).
    /// Throws `DatasetError` naming `file` when the stream is truncated or corrupt.
    public static func decompress(_ input: [UInt8], file: String) throws -> [UInt8] {
        guard isGzip(input) else { throw DatasetError(file, "not a gzip stream (no 1f 8b magic)") }
        guard input.count < Int(UInt32.max) else { throw DatasetError(file, "gzip input over 4 GiB is not supported") }
        // The trailer's ISIZE (size mod 2^32 of the last member) is a good first guess for the output.
        let n = input.count
        let isize = n >= 18 ? Int(input[n - 4]) | Int(input[n - 3]) << 8 | Int(input[n - 2]) << 16 | Int(input[n - 1]) << 24 : 0
        // A truncated or corrupt file has a garbage trailer: trust ISIZE only up to 64× the input
        // (beyond that the output grows by doubling), so a bad file cannot claim gigabytes up front.
        let plausible = isize <= 64 * n
        var output = [UInt8](repeating: 0, count: Swift.max(plausible ? isize : 4 * n, 1024))
        var produced = 0

        var stream = z_stream()
        // inflateInit2 is a macro that does not import; 16 + MAX_WBITS asks zlib to parse the gzip header.
        guard inflateInit2_(&stream, 16 + 15, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DatasetError(file, "zlib could not be initialised")
        }
        defer { inflateEnd(&stream) }

        try input.withUnsafeBufferPointer { inBuf in
            stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress!)
            stream.avail_in = UInt32(inBuf.count)
            while true {
                if produced == output.count { output.append(contentsOf: [UInt8](repeating: 0, count: output.count)) }
                let status: Int32 = output.withUnsafeMutableBufferPointer { outBuf in
                    stream.next_out = outBuf.baseAddress! + produced
                    stream.avail_out = UInt32(Swift.min(outBuf.count - produced, Int(UInt32.max)))
                    let before = stream.avail_out
                    let status = inflate(&stream, Z_NO_FLUSH)
                    produced += Int(before - stream.avail_out)
                    return status
                }
                switch status {
                case Z_OK:
                    continue
                case Z_STREAM_END:
                    // Another member may follow (gzip allows concatenation); anything else is junk.
                    let rest = Int(stream.avail_in)
                    if rest == 0 { return }
                    let at = inBuf.count - rest
                    guard rest >= 2, inBuf[at] == 0x1F, inBuf[at + 1] == 0x8B else {
                        throw DatasetError(file, "\(rest) bytes of trailing garbage after the gzip stream")
                    }
                    inflateReset(&stream)
                case Z_BUF_ERROR where stream.avail_in == 0:
                    throw DatasetError(file, "truncated gzip stream (ends after \(produced) decompressed bytes); download the file again")
                case Z_BUF_ERROR:
                    continue  // output was full; the loop grows it
                default:
                    let detail = stream.msg.map { String(cString: $0) } ?? "error \(status)"
                    throw DatasetError(file, "corrupt gzip data (\(detail)); download the file again")
                }
            }
        }
        output.removeSubrange(produced...)
        return output
    }
}
