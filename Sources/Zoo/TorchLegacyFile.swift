/// What a `.pth` container yields before tensors are built: the state-dict pickle's value and, per
/// storage, its element type and where its bytes are in the file.
struct TorchSerialized {
    struct Storage {
        let ref: TorchStorageRef
        /// The storage's bytes in the file (exactly `ref.numel × element size`).
        let bytes: Range<Int>
    }
    let root: PickleValue
    let storages: [String: Storage]
}

/// PyTorch's legacy (pre-1.6, `_use_new_zipfile_serialization=False`) `.pth` layout, a sequence of
/// little-endian pickles followed by raw data:
///
///     pickle  magic number 0x1950a86a20f9469cfc6c
///     pickle  protocol version 1001
///     pickle  sys info {'protocol_version', 'little_endian', 'type_sizes'}
///     pickle  the state dict (OrderedDict of _rebuild_tensor_v2 calls on persistent-id storages)
///     pickle  the list of storage keys
///     per key int64 element count, then count × element-size bytes
enum TorchLegacyFile {
    /// The magic number as pickle's LONG1 stores it: 10 bytes, little-endian.
    static let magic: [UInt8] = [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19]
    static let protocolVersion: Int64 = 1001

    static func read(_ data: TorchBytes) throws -> TorchSerialized {
        var vm = TorchPickle(data)
        let (first, afterMagic) = try vm.run(from: 0)
        guard case .bigInt(let m) = first, m == magic else {
            throw data.fail("the first pickle holds \(describe(first)), not the magic number 0x1950a86a20f9469cfc6c, so this is "
                            + "not a PyTorch .pth file", remedy: "check the path; only torch.save files (legacy or zip) are read here")
        }
        let (version, afterVersion) = try vm.run(from: afterMagic)
        guard case .int(protocolVersion) = version else {
            throw data.fail("the protocol version is \(describe(version)), expected \(protocolVersion)",
                            remedy: "re-save the file with a current PyTorch, or convert it to safetensors")
        }
        let (info, afterInfo) = try vm.run(from: afterVersion)
        guard case .dict(let sys) = info else { throw data.fail("the sys-info pickle holds \(info.kind), not a dict") }
        if case .bool(false)? = sys["little_endian"] {
            throw data.fail("the file was written on a big-endian machine", remedy: "re-save it on a little-endian machine or convert it to safetensors")
        }
        let (root, afterState) = try vm.run(from: afterInfo)
        let (keyList, afterKeys) = try vm.run(from: afterState)
        guard case .list(let keyItems) = keyList else { throw data.fail("the storage-key pickle holds \(keyList.kind), not a list") }

        var pos = afterKeys, storages: [String: TorchSerialized.Storage] = [:]
        for item in keyItems.items {
            guard case .string(let key) = item else { throw data.fail("a storage key is a \(item.kind), not a str") }
            guard let ref = vm.storages[key], storages[key] == nil else {
                throw data.fail("storage '\(key)' at byte \(pos) is \(storages[key] == nil ? "used by no tensor" : "listed twice")")
            }
            let count = try data.size(at: pos, width: 8, "the element count of storage '\(key)'")
            let size = try data.byteCount(count, ref.dtype.size, "storage '\(key)'")
            let bytes = try data.range(pos + 8, size, "storage '\(key)' (\(count) \(ref.dtype) elements, count at byte \(pos))")
            guard count == ref.numel else {
                throw data.fail("storage '\(key)' at byte \(pos) has \(count) elements, its tensors were saved with \(ref.numel)")
            }
            storages[key] = .init(ref: ref, bytes: bytes)
            pos = bytes.upperBound
        }
        if let missing = vm.storages.keys.sorted().first(where: { storages[$0] == nil }) {
            throw data.fail("storage '\(missing)' is used by a tensor but has no data in the file")
        }
        return TorchSerialized(root: root, storages: storages)
    }

    /// A value for an error message: small ints and big ints in hex, anything else by kind.
    static func describe(_ v: PickleValue) -> String {
        switch v {
        case .int(let i): return "the int \(i)"
        case .bigInt(let b): return "the int 0x" + b.reversed().map { String(format2: $0) }.joined()
        default: return "a \(v.kind)"
        }
    }
}

private extension String {
    init(format2 byte: UInt8) { self = (byte < 16 ? "0" : "") + String(byte, radix: 16) }
}
