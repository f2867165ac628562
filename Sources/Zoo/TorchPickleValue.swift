/// The values the restricted pickle interpreter (`TorchPickle`) can build: plain data, the few
/// PyTorch names a state dict needs, and references to tensor storages. Nothing here can run code.
enum PickleValue {
    case none
    case bool(Bool)
    case int(Int64)
    /// A LONG1 integer wider than 64 bits (the legacy magic number), little-endian two's complement.
    case bigInt([UInt8])
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple([PickleValue])
    case list(PickleList)
    case dict(PickleDict)
    case global(TorchGlobal)
    case storage(TorchStorageRef)
    case tensor(TorchTensorRef)

    /// A short name of the kind of value, for error messages.
    var kind: String {
        switch self {
        case .none: return "None"
        case .bool: return "bool"
        case .int, .bigInt: return "int"
        case .float: return "float"
        case .string: return "str"
        case .bytes: return "bytes"
        case .tuple(let t): return "tuple of \(t.count)"
        case .list: return "list"
        case .dict: return "dict"
        case .global(let g): return g.name
        case .storage: return "storage"
        case .tensor: return "tensor"
        }
    }
}

/// A mutable list (pickle's APPEND/APPENDS change it in place, also through the memo).
final class PickleList {
    var items: [PickleValue] = []
    /// Nesting depth and whether it is stored inside another value (see `TorchPickle.seal`).
    var depth = 1, sealed = false
}

/// A mutable dict with str or int keys, in insertion order (an `OrderedDict` or a plain dict).
final class PickleDict {
    enum Key: Hashable { case string(String), int(Int64) }
    private(set) var entries: [(key: Key, value: PickleValue)] = []
    private var index: [Key: Int] = [:]
    /// Nesting depth and whether it is stored inside another value (see `TorchPickle.seal`).
    var depth = 1, sealed = false

    func set(_ key: Key, _ value: PickleValue) {
        if let i = index[key] { entries[i].value = value } else { index[key] = entries.count; entries.append((key, value)) }
    }
    subscript(_ key: String) -> PickleValue? { index[.string(key)].map { entries[$0].value } }
}

/// The only Python names the interpreter resolves; every other GLOBAL is refused.
enum TorchGlobal: Equatable {
    case orderedDict, rebuildTensorV2, rebuildTensor
    /// A storage class such as `torch.FloatStorage`, only meaningful inside a persistent id.
    case storageType(TorchDType)

    init?(module: String, name: String) {
        switch (module, name) {
        case ("collections", "OrderedDict"): self = .orderedDict
        case ("torch._utils", "_rebuild_tensor_v2"): self = .rebuildTensorV2
        case ("torch._utils", "_rebuild_tensor"): self = .rebuildTensor
        case ("torch", _):
            guard let t = TorchDType.allCases.first(where: { $0.storageName == name }) else { return nil }
            self = .storageType(t)
        default: return nil
        }
    }

    var name: String {
        switch self {
        case .orderedDict: return "collections.OrderedDict"
        case .rebuildTensorV2: return "torch._utils._rebuild_tensor_v2"
        case .rebuildTensor: return "torch._utils._rebuild_tensor"
        case .storageType(let t): return "torch.\(t.storageName)"
        }
    }

    static let allowedNames = "collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch._utils._rebuild_tensor "
        + "and the torch.*Storage types"
}

/// Element types of PyTorch storages.
public enum TorchDType: String, CaseIterable, Sendable {
    case float32, float64, float16, bfloat16, int64, int32, int16, int8, uint8, bool

    var storageName: String {
        switch self {
        case .float32: return "FloatStorage"
        case .float64: return "DoubleStorage"
        case .float16: return "HalfStorage"
        case .bfloat16: return "BFloat16Storage"
        case .int64: return "LongStorage"
        case .int32: return "IntStorage"
        case .int16: return "ShortStorage"
        case .int8: return "CharStorage"
        case .uint8: return "ByteStorage"
        case .bool: return "BoolStorage"
        }
    }

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .float64, .int64: return 8
        case .float32, .int32: return 4
        case .float16, .bfloat16, .int16: return 2
        case .int8, .uint8, .bool: return 1
        }
    }

    /// Whether tensors of this type become float32 `Tensor`s (the others are integer data).
    public var isFloatingPoint: Bool { [.float32, .float64, .float16, .bfloat16].contains(self) }
}

/// One storage named by a persistent id `('storage', type, key, location, numel[, view])`.
final class TorchStorageRef {
    let key: String, dtype: TorchDType, numel: Int
    init(key: String, dtype: TorchDType, numel: Int) { self.key = key; self.dtype = dtype; self.numel = numel }
}

/// A tensor as `_rebuild_tensor_v2` describes it: a window of a storage.
struct TorchTensorRef {
    let storage: TorchStorageRef
    let offset: Int
    let shape: [Int]
    let stride: [Int]
}
