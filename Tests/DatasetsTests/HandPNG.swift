/// A minimal PNG writer independent of libpng (stored, uncompressed zlib blocks; CRC and Adler by
/// hand), to produce colour types the library's encoder does not: palette and grey + alpha.
enum HandPNG {
    /// `rows` are already-packed scanlines without the filter byte (filter 0 is added).
    static func encode(width: Int, height: Int, colorType: UInt8, bitDepth: UInt8 = 8, palette: [UInt8]? = nil,
                       rows: [[UInt8]]) -> [UInt8] {
        var raw = [UInt8]()
        for r in rows { raw.append(0); raw += r }
        var zlib: [UInt8] = [0x78, 0x01]
        var offset = 0
        repeat {  // stored deflate blocks of at most 65535 bytes
            let n = min(65535, raw.count - offset)
            let final: UInt8 = offset + n == raw.count ? 1 : 0
            zlib += [final, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
            zlib += raw[offset..<(offset + n)]
            offset += n
        } while offset < raw.count
        var a: UInt32 = 1, b: UInt32 = 0
        for x in raw { a = (a + UInt32(x)) % 65521; b = (b + a) % 65521 }
        zlib += be32((b << 16) | a)
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        png += chunk("IHDR", be32(UInt32(width)) + be32(UInt32(height)) + [bitDepth, colorType, 0, 0, 0])
        if let palette { png += chunk("PLTE", palette) }
        png += chunk("IDAT", zlib)
        png += chunk("IEND", [])
        return png
    }

    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }

    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        return be32(UInt32(data.count)) + body + be32(crc32(body))
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            c ^= UInt32(b)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        }
        return ~c
    }
}
