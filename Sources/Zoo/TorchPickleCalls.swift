/// What REDUCE and BINPERSID mean in the restricted interpreter. None of it calls Python: each
/// accepted call is replaced by the data it would have built.
extension TorchPickle {
    /// REDUCE: `OrderedDict()` → an empty dict; `_rebuild_tensor_v2(storage, offset, size, stride,
    /// requires_grad, backward_hooks[, metadata])` and `_rebuild_tensor(storage, offset, size, stride)`
    /// → a tensor description. Anything else is refused.
    mutating func reduce(_ callable: PickleValue, _ argsValue: PickleValue) throws -> PickleValue {
        let where_ = "pickle REDUCE at byte \(at)"
        guard case .global(let g) = callable else {
            throw data.fail("\(where_) calls a \(callable.kind), not a known function", remedy: TorchFileError.notStateDict)
        }
        guard case .tuple(let args) = argsValue else { throw data.fail("\(where_): the arguments of \(g.name) are a \(argsValue.kind), not a tuple") }
        switch g {
        case .orderedDict:
            guard args.isEmpty else { throw data.fail("\(where_): \(g.name) with \(args.count) arguments (expected none)") }
            return .dict(PickleDict())
        case .rebuildTensorV2, .rebuildTensor:
            let expected = g == .rebuildTensor ? [4] : [6, 7]
            guard expected.contains(args.count) else {
                throw data.fail("\(where_): \(g.name) with \(args.count) arguments (expected \(expected.map(String.init).joined(separator: " or ")))")
            }
            for extra in args.dropFirst(5) where !isEmpty(extra) {
                throw data.fail("\(where_): \(g.name) with backward hooks or metadata (\(extra.kind))",
                                remedy: "save the plain tensors (model.state_dict()) without hooks, or convert the file to safetensors")
            }
            return .tensor(try tensor(args, where_))
        case .storageType(let t):
            throw data.fail("\(where_) calls torch.\(t.storageName) (storages are only accepted as persistent ids)",
                            remedy: TorchFileError.notStateDict)
        }
    }

    /// An int as itself, anything else by kind (never the whole value: it may be huge).
    static func brief(_ v: PickleValue) -> String {
        if case .int(let i) = v { return String(i) }
        return "a \(v.kind)"
    }

    private func isEmpty(_ v: PickleValue) -> Bool {
        switch v {
        case .none: return true
        case .dict(let d): return d.entries.isEmpty
        default: return false
        }
    }

    private func tensor(_ args: [PickleValue], _ where_: String) throws -> TorchTensorRef {
        guard case .storage(let storage) = args[0] else { throw data.fail("\(where_): the tensor's storage is a \(args[0].kind)") }
        guard case .int(let offset) = args[1], offset >= 0 else { throw data.fail("\(where_): the storage offset is not an int ≥ 0") }
        let shape = try ints(args[2], "size", where_), stride = try ints(args[3], "stride", where_)
        guard shape.count == stride.count else {
            throw data.fail("\(where_): size \(shape) and stride \(stride) have different lengths")
        }
        return TorchTensorRef(storage: storage, offset: Int(offset), shape: shape, stride: stride)
    }

    private func ints(_ v: PickleValue, _ what: String, _ where_: String) throws -> [Int] {
        guard case .tuple(let items) = v else { throw data.fail("\(where_): the tensor's \(what) is a \(v.kind), not a tuple") }
        return try items.map {
            guard case .int(let i) = $0, i >= 0 else {
                // The kind, not the value: a value's description is as large as the value, however deeply it nests.
                throw data.fail("\(where_): the tensor's \(what) holds \(Self.brief($0)) (only ints ≥ 0 are accepted; negative strides are not)")
            }
            return Int(i)
        }
    }

    /// BINPERSID: `('storage', torch.XStorage, key, location, numel)` (zip files) or the same with a
    /// sixth `None` view entry (legacy files) → the storage, one object per key.
    mutating func persistentLoad(_ pid: PickleValue) throws -> PickleValue {
        let where_ = "pickle BINPERSID at byte \(at)"
        guard case .tuple(let t) = pid, t.count == 5 || t.count == 6, case .string("storage") = t[0] else {
            throw data.fail("\(where_): the persistent id is a \(pid.kind), not ('storage', type, key, location, numel)",
                            remedy: TorchFileError.notStateDict)
        }
        guard case .global(.storageType(let dtype)) = t[1], case .string(let key) = t[2], case .string = t[3],
              case .int(let numel) = t[4], numel >= 0 else {
            throw data.fail("\(where_): malformed storage id (\(t.map(\.kind).joined(separator: ", ")))")
        }
        if t.count == 6, case .none = t[5] {} else if t.count == 6 {
            throw data.fail("\(where_): storage '\(key)' is a view of another storage (PyTorch < 0.4 files)",
                            remedy: "load and re-save it with a current PyTorch, or convert it to safetensors")
        }
        if let known = storages[key] {
            guard known.dtype == dtype, known.numel == Int(numel) else {
                throw data.fail("\(where_): storage '\(key)' is named as \(known.dtype) ×\(known.numel) and as \(dtype) ×\(numel)")
            }
            return .storage(known)
        }
        let ref = TorchStorageRef(key: key, dtype: dtype, numel: Int(numel))
        storages[key] = ref
        return .storage(ref)
    }
}
