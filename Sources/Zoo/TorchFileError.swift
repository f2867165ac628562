/// A PyTorch `.pth` file that cannot be read: which file, what is wrong (with the byte offset when
/// there is one), and what to do, in one sentence.
public struct TorchFileError: Error, CustomStringConvertible, Sendable {
    /// The file path (or caller-supplied label) the problem concerns.
    public let origin: String
    /// What is wrong.
    public let problem: String
    /// What the user should do about it.
    public let remedy: String

    public var description: String { "\(origin): \(problem); \(remedy)." }

    static let damaged = "the file is truncated or corrupt: download or export it again"
    static let notStateDict = "this reader takes only plain state dicts and never runs code: save with "
        + "torch.save(model.state_dict(), path) (not the model itself), or convert the file to safetensors"

    init(_ origin: String, _ problem: String, remedy: String = TorchFileError.damaged) {
        self.origin = origin; self.problem = problem; self.remedy = remedy
    }
}

/// Bounds-checked little-endian reads from a byte array. Every offset and length comes from the
/// file, so every sum and product is checked and every failure throws (never traps, also under -Ounchecked).
struct TorchBytes {
    let bytes: [UInt8]
    let origin: String

    var count: Int { bytes.count }

    func fail(_ problem: String, remedy: String = TorchFileError.damaged) -> TorchFileError {
        TorchFileError(origin, problem, remedy: remedy)
    }

    /// `start ..< start + length`, or an error naming `what` when it leaves `limit` (default: the file).
    func range(_ start: Int, _ length: Int, _ what: @autoclosure () -> String, limit: Int? = nil) throws -> Range<Int> {
        let end = limit ?? bytes.count
        let (stop, overflow) = start.addingReportingOverflow(length)
        guard start >= 0, length >= 0, !overflow, stop <= end else {
            throw fail("\(what()) needs bytes \(start)..<\(overflow ? "∞" : String(stop)), but \(limit == nil ? "the file" : "its section") ends at byte \(end)")
        }
        return start ..< stop
    }

    /// The unsigned little-endian integer of `width` ≤ 8 bytes at `offset`.
    func unsigned(at offset: Int, width: Int, _ what: @autoclosure () -> String, limit: Int? = nil) throws -> UInt64 {
        let r = try range(offset, width, what(), limit: limit)
        var v: UInt64 = 0
        for i in r.reversed() { v = v << 8 | UInt64(bytes[i]) }
        return v
    }

    /// A non-negative count or offset read as `width` bytes, refused when it does not fit an Int.
    func size(at offset: Int, width: Int, _ what: @autoclosure () -> String, limit: Int? = nil) throws -> Int {
        let v = try unsigned(at: offset, width: width, what(), limit: limit)
        guard v <= UInt64(Int.max) else { throw fail("\(what()) at byte \(offset) is \(v), too large") }
        return Int(v)
    }

    /// Number of elements times element size, refused on overflow.
    func byteCount(_ elements: Int, _ elementSize: Int, _ what: @autoclosure () -> String) throws -> Int {
        let (n, overflow) = elements.multipliedReportingOverflow(by: elementSize)
        guard elements >= 0, !overflow else { throw fail("\(what()): \(elements) elements of \(elementSize) bytes overflow a 64-bit size") }
        return n
    }
}
