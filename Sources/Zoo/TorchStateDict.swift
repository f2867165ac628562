import Foundation
import Engine

/// An integer or boolean tensor of a state dict (e.g. BatchNorm's `num_batches_tracked`), widened to Int64.
public struct TorchIntegerTensor: Sendable, Equatable {
    public let dtype: TorchDType
    public let shape: [Int]
    /// Row-major values.
    public let values: [Int64]
}

/// The tensors of a PyTorch state dict, as `torch.save(model.state_dict(), path)` writes it in
/// either format (the default zip archive or the legacy `_use_new_zipfile_serialization=False`
/// stream), read without Python and without running anything from the file: the pickle is
/// interpreted by `TorchPickle`, which accepts only what a state dict needs.
///
/// Float tensors (float32, float64, float16, bfloat16) become float32 `Tensor`s honouring each
/// tensor's storage offset and strides (shared and non-contiguous storages are copied out);
/// integer tensors are kept apart in `integers`. Every size read from the file is checked.
///
/// See Also: `Layer.load(_:strict:origin:)` to put the tensors into a model, `SafeTensors`.
public struct TorchStateDict {
    /// Float tensors by name, as float32.
    public let tensors: [String: Tensor]
    /// Integer and boolean tensors by name (not model weights; `num_batches_tracked` is one).
    public let integers: [String: TorchIntegerTensor]
    /// Every entry's name in the file's order.
    public let order: [String]

    /// The float tensors of the state dict in `url`.
    public static func read(contentsOf url: URL) throws -> [String: Tensor] { try TorchStateDict(contentsOf: url).tensors }

    /// Reads the state dict in `url`.
    public init(contentsOf url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw TorchFileError(url.path, "the file cannot be opened (\(error.localizedDescription))",
                                 remedy: "check that the path exists and is readable")
        }
        try self.init(bytes: [UInt8](data), origin: url.path)
    }

    /// Parses `.pth` bytes; `origin` names the source in error messages.
    public init(bytes: [UInt8], origin: String) throws {
        let data = TorchBytes(bytes: bytes, origin: origin)
        let serialized: TorchSerialized
        if TorchZipFile.isZip(bytes) {
            serialized = try TorchZipFile.read(data)
        } else if bytes.first == 0x80 {  // a pickle's PROTO opcode
            serialized = try TorchLegacyFile.read(data)
        } else {
            let head = bytes.prefix(4).map { String($0, radix: 16) }.joined(separator: " ")
            throw data.fail(bytes.isEmpty ? "the file is empty" : "the file starts with bytes \(head), neither a zip archive nor a pickle, "
                            + "so it is not a PyTorch .pth file", remedy: "check the path; only torch.save files (legacy or zip) are read here")
        }
        guard case .dict(let dict) = serialized.root else {
            throw data.fail("the saved object is a \(serialized.root.kind), not a state dict", remedy: TorchFileError.notStateDict)
        }
        var tensors: [String: Tensor] = [:], integers: [String: TorchIntegerTensor] = [:], order: [String] = []
        // Views may share storage (tied weights), but a pickle repeating one big tensor must not
        // make a small file expand without bound in memory.
        let stored = serialized.storages.values.reduce(0) { $0 + $1.ref.numel }, budget = 8 * stored + 1024
        var total = 0
        for (key, value) in dict.entries {
            guard case .string(let name) = key, case .tensor(let t) = value else {
                throw data.fail("the state dict's entry \(key) is a \(value.kind), not a tensor", remedy: TorchFileError.notStateDict)
            }
            guard let storage = serialized.storages[t.storage.key] else {
                throw data.fail("tensor '\(name)' uses storage '\(t.storage.key)', which has no data")
            }
            let source = try TorchTensorCopy(tensor: t, name: name, storage: storage, data: data)
            total += source.count
            guard total <= budget else {
                throw data.fail("the tensors up to '\(name)' hold \(total) elements, over 8× the \(stored) the file stores",
                                remedy: "save each tensor once (a state dict that repeats views of one storage), or convert the file to safetensors")
            }
            if t.storage.dtype.isFloatingPoint { tensors[name] = source.floats() } else { integers[name] = source.integers() }
            order.append(name)
        }
        self.tensors = tensors; self.integers = integers; self.order = order
    }
}

/// One tensor's elements gathered out of its storage: bounds proven at init, copies after.
struct TorchTensorCopy {
    let shape: [Int], stride: [Int], offset: Int, count: Int
    let dtype: TorchDType
    let base: Int  // the storage's first byte in the file
    let data: TorchBytes

    init(tensor t: TorchTensorRef, name: String, storage: TorchSerialized.Storage, data: TorchBytes) throws {
        let what = "tensor '\(name)' \(t.shape) (storage '\(t.storage.key)' of \(storage.ref.numel) \(storage.ref.dtype), offset \(t.offset), strides \(t.stride))"
        // The product skips zeros: a [0, 2³², 2³²] tensor holds nothing, yet its row-major strides overflow.
        var nonZero = 1, last = t.offset
        for (size, step) in zip(t.shape, t.stride) {
            let (c, o1) = nonZero.multipliedReportingOverflow(by: max(size, 1))
            let (reach, o2) = max(size - 1, 0).multipliedReportingOverflow(by: step)
            let (l, o3) = last.addingReportingOverflow(reach)
            guard !o1, !o2, !o3 else { throw data.fail("\(what): sizes overflow") }
            nonZero = c; last = l
        }
        let count = t.shape.contains(0) ? 0 : nonZero
        guard count <= storage.ref.numel else {
            throw data.fail("\(what) has more elements than its storage (broadcast views are not supported)")
        }
        guard count == 0 || last < storage.ref.numel else { throw data.fail("\(what) reads element \(last), past the storage's end") }
        shape = t.shape; stride = t.stride; offset = t.offset; self.count = count
        dtype = storage.ref.dtype; base = storage.bytes.lowerBound; self.data = data
    }

    /// Storage element index of each output element, in row-major order (an odometer over the strides).
    func forEachSource(_ body: (_ dst: Int, _ src: Int) -> Void) {
        guard count > 0 else { return }
        var index = [Int](repeating: 0, count: shape.count), src = offset
        for dst in 0..<count {
            body(dst, src)
            var d = shape.count - 1
            while d >= 0 {
                // Wrapping arithmetic: only in-bounds values (proved at init) are ever used.
                index[d] += 1; src = src &+ stride[d]
                if index[d] < shape[d] { break }
                src = src &- stride[d] &* shape[d]; index[d] = 0; d -= 1
            }
        }
    }

    var isContiguous: Bool {
        var expected = 1
        for d in shape.indices.reversed() where shape[d] != 1 {
            if stride[d] != expected { return false }
            expected *= shape[d]
        }
        return true
    }

    func floats() -> Tensor {
        let out = Tensor(uninitialized: shape)
        let p = out.pointer, size = dtype.size
        guard count > 0 else { return out }
        data.bytes.withUnsafeBytes { raw in
            let start = raw.baseAddress! + base
            if dtype == .float32 && isContiguous {
                UnsafeMutableRawPointer(p).copyMemory(from: start + offset * 4, byteCount: count * 4)
                return
            }
            forEachSource { dst, src in
                let at = start + src * size
                switch dtype {
                case .float32: p[dst] = Float(bitPattern: UInt32(littleEndian: at.loadUnaligned(as: UInt32.self)))
                case .float64: p[dst] = Float(Double(bitPattern: UInt64(littleEndian: at.loadUnaligned(as: UInt64.self))))
                case .float16: p[dst] = Self.halfToFloat(UInt16(littleEndian: at.loadUnaligned(as: UInt16.self)))
                default: p[dst] = Float(bitPattern: UInt32(UInt16(littleEndian: at.loadUnaligned(as: UInt16.self))) << 16)  // bfloat16
                }
            }
        }
        return out
    }

    func integers() -> TorchIntegerTensor {
        var values = [Int64](repeating: 0, count: count)
        let size = dtype.size
        data.bytes.withUnsafeBytes { raw in
            let start = raw.baseAddress! + base
            forEachSource { dst, src in
                let at = start + src * size
                switch dtype {
                case .int64: values[dst] = Int64(littleEndian: at.loadUnaligned(as: Int64.self))
                case .int32: values[dst] = Int64(Int32(littleEndian: at.loadUnaligned(as: Int32.self)))
                case .int16: values[dst] = Int64(Int16(littleEndian: at.loadUnaligned(as: Int16.self)))
                case .int8: values[dst] = Int64(at.load(as: Int8.self))
                default: values[dst] = Int64(at.load(as: UInt8.self))  // uint8, bool
                }
            }
        }
        return TorchIntegerTensor(dtype: dtype, shape: shape, values: values)
    }

    /// IEEE half → float (exact, including subnormals, infinities and NaN).
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign: UInt32 = UInt32(h & 0x8000) << 16, exponent = Int(h >> 10 & 0x1f), fraction = UInt32(h & 0x3ff)
        if exponent == 0x1f { return Float(bitPattern: sign | 0x7f80_0000 | fraction << 13) }
        if exponent == 0 {
            let v = Float(fraction) / 16_777_216  // fraction · 2⁻²⁴
            return sign == 0 ? v : -v
        }
        return Float(bitPattern: sign | UInt32(exponent + 112) << 23 | fraction << 13)
    }
}
