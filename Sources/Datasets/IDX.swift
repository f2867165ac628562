/// One IDX array (the MNIST file format): a big-endian header, then unsigned-byte values.
///
/// Header: two zero bytes, the element type (0x08 = unsigned byte, the only type image sets use),
/// the number of dimensions, then each dimension as a 32-bit big-endian integer.
public struct IDXArray: Sendable, Equatable {
    public let dimensions: [Int]
    /// Row-major values; `bytes.count == dimensions.reduce(1, *)`.
    public let bytes: [UInt8]

    public init(dimensions: [Int], bytes: [UInt8]) {
        precondition(dimensions.reduce(1, *) == bytes.count, "IDXArray: \(bytes.count) bytes for \(dimensions)")
        self.dimensions = dimensions
        self.bytes = bytes
    }

    /// Reads an IDX file, gzipped or not.
    public static func read(_ path: String) throws -> IDXArray {
        try parse(readMaybeGzipped(path), file: path)
    }

    /// Parses IDX bytes, validating the magic and that the dimensions match the payload size.
    public static func parse(_ data: [UInt8], file: String) throws -> IDXArray {
        guard data.count >= 4 else { throw DatasetError(file, "truncated IDX file: \(data.count) bytes, the header alone needs 4") }
        guard data[0] == 0, data[1] == 0 else {
            throw DatasetError(file, "not an IDX file (magic starts \(hex(data[0])) \(hex(data[1])), expected 00 00)")
        }
        let typeNames: [UInt8: String] = [0x09: "signed byte", 0x0B: "int16", 0x0C: "int32", 0x0D: "float32", 0x0E: "float64"]
        guard data[2] == 0x08 else {
            let name = typeNames[data[2]].map { " (\($0))" } ?? ""
            throw DatasetError(file, "IDX element type \(hex(data[2]))\(name) is not supported; only unsigned bytes (08) are")
        }
        let rank = Int(data[3])
        guard (1...4).contains(rank) else { throw DatasetError(file, "IDX rank \(rank) is not supported (expected 1 to 4)") }
        let headerSize = 4 + 4 * rank
        guard data.count >= headerSize else {
            throw DatasetError(file, "truncated IDX header: \(data.count) bytes, a rank-\(rank) header needs \(headerSize)")
        }
        var dims = [Int]()
        for d in 0..<rank {
            let o = 4 + 4 * d
            dims.append(Int(data[o]) << 24 | Int(data[o + 1]) << 16 | Int(data[o + 2]) << 8 | Int(data[o + 3]))
        }
        let shape = dims.map(String.init).joined(separator: "×")
        // Checked even in -Ounchecked builds: a crafted header (65536⁴ = 2⁶⁴) must not wrap to the payload size.
        // Zero dimensions are skipped in the check, so that 0×2³²×2³²×3 (an empty set with absurd images)
        // is refused too: callers multiply the other dimensions (the bytes per image) themselves.
        var nonZero = 1
        for d in dims where d != 0 {
            let (product, overflow) = nonZero.multipliedReportingOverflow(by: d)
            guard !overflow else { throw DatasetError(file, "IDX dimensions \(shape) overflow 64 bits; the header is corrupt") }
            nonZero = product
        }
        let expected = dims.contains(0) ? 0 : nonZero
        let actual = data.count - headerSize
        if actual < expected {
            throw DatasetError(file, "truncated IDX data: the header says \(shape) = \(expected) bytes, the file holds \(actual); download it again")
        }
        if actual > expected {
            throw DatasetError(file, "IDX file has \(actual - expected) bytes after the \(shape) data; it is corrupt or not IDX")
        }
        return IDXArray(dimensions: dims, bytes: Array(data[headerSize...]))
    }

    /// The IDX encoding of this array (unsigned bytes), e.g. for writing fixtures and conversions.
    public func encoded() -> [UInt8] {
        var out: [UInt8] = [0, 0, 0x08, UInt8(dimensions.count)]
        for d in dimensions { out += [UInt8(d >> 24 & 0xFF), UInt8(d >> 16 & 0xFF), UInt8(d >> 8 & 0xFF), UInt8(d & 0xFF)] }
        return out + bytes
    }
}

func hex(_ b: UInt8) -> String {
    let digits = Array("0123456789abcdef")
    return String([digits[Int(b >> 4)], digits[Int(b & 15)]])
}
