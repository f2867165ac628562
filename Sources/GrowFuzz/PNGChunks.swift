/// PNG chunk CRCs. libpng rejects a chunk whose CRC does not match, so nearly every random mutation
/// of a PNG stops at the first check; recomputing the CRCs lets mutated data reach the decoder.
enum PNGChunks {
    /// `png` with the CRC of every complete chunk recomputed (bytes past the last whole chunk kept).
    static func withFixedCRCs(_ png: [UInt8]) -> [UInt8] {
        var out = png, pos = 8
        while pos + 12 <= out.count {
            let length = Int(out[pos]) << 24 | Int(out[pos + 1]) << 16 | Int(out[pos + 2]) << 8 | Int(out[pos + 3])
            guard length <= out.count - pos - 12 else { break }
            let crc = crc32(Array(out[(pos + 4)..<(pos + 8 + length)]))
            out.replaceSubrange((pos + 8 + length)..<(pos + 12 + length),
                                with: [UInt8(crc >> 24), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF)])
            pos += 12 + length
        }
        return out
    }

    /// CRC-32 (the PNG and zip polynomial), bit by bit: inputs are small.
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            crc ^= UInt32(b)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}
