import Foundation
import Engine

/// The contents of a `.safetensors` file, with every tensor converted to Float32.
public struct SafeTensorsFile: Sendable {
    /// Tensors by name.
    public let tensors: [String: Tensor]
    /// Tensor names in file-offset order (the order the writer laid them out).
    public let order: [String]
    /// The string-to-string `__metadata__` table (empty when the file has none).
    public let metadata: [String: String]
    /// Each tensor's dtype as stored in the file ("F32", "BF16", "I64", …).
    public var dtypes: [String: String] = [:]
}

/// A safetensors file that cannot be read or written; the description says which file,
/// what is wrong, and what to do, in one sentence.
public struct SafeTensorsError: Error, CustomStringConvertible, Sendable {
    /// The file path (or caller-supplied label) the problem concerns.
    public let origin: String
    /// What is wrong.
    public let problem: String
    /// What the user should do about it.
    public let remedy: String

    public var description: String { "\(origin): \(problem); \(remedy)." }
}

/// Reads and writes the safetensors format (https://github.com/huggingface/safetensors):
/// an 8-byte little-endian header length N, N bytes of JSON, then the raw tensor bytes.
public enum SafeTensors {
    /// Headers above this are refused: real headers are kilobytes, so a bigger length means corruption
    /// and we should not try to allocate or parse it.
    static let maxHeaderBytes: UInt64 = 100_000_000
    static let byteSizes: [String: Int] = ["F32": 4, "F16": 2, "BF16": 2, "I64": 8]

    /// Reads a safetensors file; F16 and BF16 tensors are widened to Float32, and I64 tensors (PyTorch's
    /// BatchNorm `num_batches_tracked` counters) are converted to the nearest Float32 (exact up to 2²⁴).
    public static func read(contentsOf url: URL) throws -> SafeTensorsFile {
        let data: Data
        do { data = try Data(contentsOf: url, options: .mappedIfSafe) } catch {
            throw SafeTensorsError(origin: url.path, problem: "the file cannot be opened (\(error.localizedDescription))",
                                   remedy: "check that the path exists and is readable")
        }
        return try read(data: data, origin: url.path)
    }

    /// The `__metadata__` table of a safetensors file, read from its header alone (no tensor is read).
    public static func metadata(of url: URL) throws -> [String: String] {
        guard let handle = FileHandle(forReadingAtPath: url.path) else {
            throw SafeTensorsError(origin: url.path, problem: "the file cannot be opened", remedy: "check that the path exists and is readable")
        }
        defer { try? handle.close() }
        let prefix = try handle.read(upToCount: 8) ?? Data()
        var length: UInt64 = 0
        if prefix.count == 8 { length = prefix.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) } }
        guard prefix.count == 8, length <= maxHeaderBytes, let header = try handle.read(upToCount: Int(length)), header.count == Int(length) else {
            throw SafeTensorsError(origin: url.path, problem: "the header is truncated or its length is absurd",
                                   remedy: "the file is truncated, corrupt or not safetensors, so re-export or re-download it")
        }
        // Only the header: the data buffer is not there, so parse it as a file of zero-length tensors would be.
        guard let json = try? JSONSerialization.jsonObject(with: header) as? [String: Any] else {
            throw SafeTensorsError(origin: url.path, problem: "the header is not a JSON object", remedy: "the file is corrupt or not safetensors")
        }
        guard let table = json["__metadata__"] else { return [:] }
        guard let strings = table as? [String: String] else {
            throw SafeTensorsError(origin: url.path, problem: "__metadata__ is not an object of string values", remedy: "the file is corrupt")
        }
        return strings
    }

    /// Parses safetensors bytes; `origin` names the source in error messages.
    public static func read(data: Data, origin: String) throws -> SafeTensorsFile {
        let damaged = "the file is truncated, corrupt or not safetensors, so re-export or re-download it"
        func fail(_ problem: String, _ remedy: String? = nil) -> SafeTensorsError {
            SafeTensorsError(origin: origin, problem: problem, remedy: remedy ?? damaged)
        }
        guard data.count >= 8 else { throw fail("the file is only \(data.count) bytes, shorter than the 8-byte header length") }
        let headerLength = data.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard headerLength <= maxHeaderBytes else { throw fail("the header length \(headerLength) is absurd (over 100 MB)") }
        guard headerLength <= UInt64(data.count - 8) else {
            throw fail("the header length \(headerLength) is larger than the \(data.count - 8) bytes after it")
        }
        let dataStart = 8 + Int(headerLength)
        let headerBytes = data.subdata(in: data.startIndex + 8 ..< data.startIndex + dataStart)
        guard let json = try? JSONSerialization.jsonObject(with: headerBytes) else {
            throw fail("the header is not valid JSON")
        }
        guard let header = json as? [String: Any] else { throw fail("the header JSON is not an object") }

        var metadata: [String: String] = [:]
        if let raw = header["__metadata__"] {
            guard let table = raw as? [String: Any], table.values.allSatisfy({ $0 is String }) else {
                throw fail("__metadata__ is not an object of string values")
            }
            metadata = table.mapValues { $0 as! String }
        }

        struct Entry { let name: String; let dtype: String; let shape: [Int]; let begin: Int; let end: Int }
        let bufferSize = data.count - dataStart
        var entries: [Entry] = []
        for name in header.keys.sorted() where name != "__metadata__" {
            guard let info = header[name] as? [String: Any] else { throw fail("entry '\(name)' is not an object") }
            for key in ["dtype", "shape", "data_offsets"] where info[key] == nil {
                throw fail("tensor '\(name)' has no \(key)")
            }
            guard let dtype = info["dtype"] as? String else { throw fail("tensor '\(name)' has a non-string dtype") }
            guard let size = byteSizes[dtype] else {
                throw fail("tensor '\(name)' has dtype \(dtype), which cannot be loaded",
                           "convert it to F32, F16, BF16 or I64 before saving")
            }
            guard let dims = info["shape"] as? [Any], let shape = integers(dims), shape.allSatisfy({ $0 >= 0 }) else {
                throw fail("tensor '\(name)' has shape \(info["shape"]!), which is not a list of non-negative integers")
            }
            guard let offsets = info["data_offsets"] as? [Any], offsets.count == 2, let be = integers(offsets),
                  be[0] >= 0 else {
                throw fail("tensor '\(name)' has data_offsets \(info["data_offsets"]!), not two non-negative integers")
            }
            let (begin, end) = (be[0], be[1])
            guard end >= begin else { throw fail("tensor '\(name)' ends (byte \(end)) before it begins (byte \(begin))") }
            guard end <= bufferSize else {
                throw fail("tensor '\(name)' ends at byte \(end), beyond the \(bufferSize)-byte data buffer")
            }
            // Zeros are skipped in the check: [0, 2³², 2³²] holds no bytes, but its strides would still overflow.
            var nonZero = size
            for d in shape where d != 0 {
                let (p, overflow) = nonZero.multipliedReportingOverflow(by: d)
                guard !overflow else { throw fail("tensor '\(name)' has shape \(shape), too large to address") }
                nonZero = p
            }
            let bytes = shape.contains(0) ? 0 : nonZero
            guard end - begin == bytes else {
                throw fail("tensor '\(name)' spans \(end - begin) bytes but \(dtype) shape \(shape) needs \(bytes)")
            }
            entries.append(Entry(name: name, dtype: dtype, shape: shape, begin: begin, end: end))
        }

        // Gaps are legal (some writers align tensors), but overlapping ranges mean two tensors would
        // alias the same bytes, which no correct writer produces.
        entries.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var furthest = 0, furthestName = ""
        for e in entries where e.end > e.begin {
            if e.begin < furthest {
                throw fail("tensors '\(furthestName)' and '\(e.name)' overlap in the data buffer")
            }
            (furthest, furthestName) = (e.end, e.name)
        }

        var tensors: [String: Tensor] = [:]
        data.withUnsafeBytes { raw in
            for e in entries {
                let t = Tensor(uninitialized: e.shape)
                let src = UnsafeRawBufferPointer(rebasing: raw[(dataStart + e.begin)..<(dataStart + e.end)])
                let (out, n) = (t.pointer, t.count)
                switch e.dtype {
                case "F32": for i in 0..<n { out[i] = Float(bitPattern: element(src, i, as: UInt32.self)) }
                case "F16": for i in 0..<n { out[i] = floatFromHalf(element(src, i, as: UInt16.self)) }
                case "I64": for i in 0..<n { out[i] = Float(Int64(bitPattern: element(src, i, as: UInt64.self))) }
                default: // BF16 is the top half of a Float32.
                    for i in 0..<n { out[i] = Float(bitPattern: UInt32(element(src, i, as: UInt16.self)) << 16) }
                }
                tensors[e.name] = t
            }
        }
        return SafeTensorsFile(tensors: tensors, order: entries.map(\.name), metadata: metadata,
                               dtypes: Dictionary(uniqueKeysWithValues: entries.map { ($0.name, $0.dtype) }))
    }

    /// Writes `tensors` as F32 in the given order to `url`, atomically and durably (`AtomicFile`): a crash
    /// or a failed write never leaves half a file, and the previous file stays until the new one is complete.
    public static func write(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:],
                             to url: URL) throws {
        try AtomicFile.write(try data(tensors, metadata: metadata, origin: url.path), to: url)
    }

    /// The safetensors bytes for `tensors` (F32, in the given order, contiguous) and `metadata`.
    public static func data(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:],
                            origin: String = "safetensors data") throws -> Data {
        var seen = Set<String>()
        for (name, _) in tensors where name == "__metadata__" || !seen.insert(name).inserted {
            throw SafeTensorsError(origin: origin, problem: "the tensor name '\(name)' is reserved or used twice",
                                   remedy: "give every tensor a unique name other than __metadata__")
        }
        // The JSON is built by hand so the key order is deterministic (metadata sorted, tensors as given).
        var fields: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
            fields.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        for (name, t) in tensors {
            let end = offset + 4 * t.count
            let shape = t.shape.map(String.init).joined(separator: ",")
            fields.append("\(jsonString(name)):{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        var header = Array("{\(fields.joined(separator: ","))}".utf8)
        // Pad with spaces (valid JSON whitespace) so the data buffer starts 8-byte aligned, as the Python library does.
        header += repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8)
        var out = Data(capacity: 8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: header)
        for (_, t) in tensors {
            #if _endian(little) // Storage already has the file's byte order: copy without a temporary array.
            out.append(contentsOf: UnsafeRawBufferPointer(start: t.pointer, count: 4 * t.count))
            #else
            t.array.map { $0.bitPattern.littleEndian }.withUnsafeBytes { out.append(contentsOf: $0) }
            #endif
        }
        return out
    }

    /// Element `i` of a little-endian buffer. Unaligned loads: other writers may leave gaps or odd header
    /// padding, and a 2-byte dtype can put a following tensor off 4-byte alignment.
    @inline(__always)
    static func element<T: FixedWidthInteger>(_ src: UnsafeRawBufferPointer, _ i: Int, as: T.Type) -> T {
        T(littleEndian: src.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self))
    }

    /// Converts IEEE binary16 bits to Float32 exactly (every half value is representable as a float).
    static func floatFromHalf(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = UInt32(h >> 10) & 0x1f
        let mantissa = UInt32(h & 0x3ff)
        if exponent == 0x1f { return Float(bitPattern: sign | 0x7f80_0000 | mantissa << 13) } // inf, NaN (payload kept)
        if exponent == 0 { // zero and subnormals: mantissa × 2⁻²⁴, exact in Float32
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        }
        return Float(bitPattern: sign | (exponent + 112) << 23 | mantissa << 13) // rebias 15 → 127
    }

    /// Whole numbers from JSON; nil if any is a fraction, a boolean or not a number.
    static func integers(_ values: [Any]) -> [Int]? {
        // JSONSerialization returns booleans as NSNumber too; this type tells them apart on all platforms.
        let booleanType = type(of: NSNumber(value: true))
        var result: [Int] = []
        for v in values {
            guard let n = v as? NSNumber, type(of: n) != booleanType, let i = Int(exactly: n) else { return nil }
            result.append(i)
        }
        return result
    }

    static func jsonString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where u.value < 0x20: out += String(format: "\\u%04x", u.value)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }
}
