/// A cheap walk over a JPEG's marker segments before libjpeg sees it, so the common failures get
/// precise messages: not a JPEG, a header segment cut off, no frame or scan, no end-of-image
/// marker (a truncated download). libjpeg's own checks still run on everything that passes.
enum JPEGStructure {
    static func isJPEG(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF
    }

    /// Why a frame of `width`×`height` is refused before decoding, or nil. Huffman coding spends at
    /// least one bit per 8×8 block (the DC code), so a file holds at most 512 pixels per byte
    /// (flat 12-megapixel photos measure 170–250). Arithmetic coding (SOF9 and up, rare) stores a
    /// flat image of any size in ~200 bytes, so no ratio holds: those get a smaller absolute cap.
    static func sizeProblem(width: Int, height: Int, arithmetic: Bool, fileBytes: Int) -> String? {
        if arithmetic {
            return ImageLimits.problem(width: width, height: height, fileBytes: fileBytes, pixelsPerByte: nil,
                                       why: "arithmetic-coded; convert it with jpegtran to Huffman coding", limit: 1 << 26)
        }
        return ImageLimits.problem(width: width, height: height, fileBytes: fileBytes, pixelsPerByte: 512,
                                   why: "Huffman coding stores at most 512 pixels a byte")
    }

    static func validate(_ b: [UInt8], file: String) throws {
        guard isJPEG(b) else { throw DatasetError(file, "not a JPEG (no start-of-image marker)") }
        var pos = 2
        var sawFrame = false
        while true {
            guard pos + 1 < b.count else { throw DatasetError(file, "truncated JPEG (the file ends inside the header at byte \(b.count))") }
            if b[pos] != 0xFF { pos += 1; continue }  // stray bytes: libjpeg skips them with a warning too
            let marker = b[pos + 1]
            if marker == 0xFF { pos += 1; continue }  // fill byte
            if marker == 0xD9 { throw DatasetError(file, "corrupt JPEG (end-of-image marker before any image data)") }
            if (0xD0...0xD7).contains(marker) || marker == 0x01 { pos += 2; continue }  // markers without a length
            guard pos + 3 < b.count else { throw DatasetError(file, "truncated JPEG (marker \(hex(marker)) at byte \(pos) has no length)") }
            let length = Int(b[pos + 2]) << 8 | Int(b[pos + 3])
            guard length >= 2, pos + 2 + length <= b.count else {
                throw DatasetError(file, "truncated or corrupt JPEG (segment \(hex(marker)) at byte \(pos) claims \(length) bytes, \(b.count - pos - 2) remain)")
            }
            let isFrame = (0xC0...0xCF).contains(marker) && marker != 0xC4 && marker != 0xC8 && marker != 0xCC
            if isFrame {
                guard length >= 8 else { throw DatasetError(file, "corrupt JPEG (frame header too short)") }
                let height = Int(b[pos + 5]) << 8 | Int(b[pos + 6]), width = Int(b[pos + 7]) << 8 | Int(b[pos + 8])
                guard height > 0, width > 0 else { throw DatasetError(file, "corrupt JPEG (frame size \(width)×\(height))") }
                if let problem = sizeProblem(width: width, height: height, arithmetic: marker >= 0xC9, fileBytes: b.count) {
                    throw DatasetError(file, "corrupt JPEG (\(problem))")
                }
                sawFrame = true
            }
            if marker == 0xDA {
                guard sawFrame else { throw DatasetError(file, "corrupt JPEG (scan before any frame header)") }
                // Entropy-coded data stuffs every 0xFF with 0x00, so FF D9 can only be the EOI marker.
                // Search from the end: some encoders append bytes after EOI.
                var i = b.count - 2
                while i > pos && !(b[i] == 0xFF && b[i + 1] == 0xD9) { i -= 1 }
                guard i > pos else { throw DatasetError(file, "truncated JPEG (no end-of-image marker); the file was cut off; copy or download it again") }
                return
            }
            pos += 2 + length
        }
    }
}
