/// PyTorch's default (≥ 1.6) `.pth` layout: an uncompressed ("stored") zip archive holding
/// `PREFIX/data.pkl` (the state-dict pickle), `PREFIX/data/KEY` (one member per storage, raw
/// little-endian), `PREFIX/byteorder` and version records. Only the central directory is trusted for
/// sizes (torch writes sizes after the data); zip64 archives (members over 4 GB) are refused.
/// CRCs are not checked: a damaged byte gives wrong weights, which the strict loader cannot notice.
enum TorchZipFile {
    static let localSignature: UInt64 = 0x0403_4b50
    static let centralSignature: UInt64 = 0x0201_4b50

    /// True when the bytes start like a zip archive.
    static func isZip(_ bytes: [UInt8]) -> Bool { bytes.starts(with: [0x50, 0x4b, 0x03, 0x04]) }

    /// Member name → where its data is.
    static func members(_ data: TorchBytes) throws -> [String: Range<Int>] {
        // The end-of-central-directory record: 22 bytes plus a comment of at most 65,535 bytes.
        let lowest = max(0, data.count - 22 - 65_535)
        var eocd = data.count - 22  // the record's signature is "PK\u{5}\u{6}"
        let b = data.bytes
        while eocd >= lowest && !(b[eocd] == 0x50 && b[eocd + 1] == 0x4b && b[eocd + 2] == 5 && b[eocd + 3] == 6) { eocd -= 1 }
        guard eocd >= lowest else { throw data.fail("a zip archive without its end-of-central-directory record") }
        let entries = try data.size(at: eocd + 10, width: 2, "zip entry count")
        let dirSize = try data.size(at: eocd + 12, width: 4, "zip directory size")
        let dirStart = try data.size(at: eocd + 16, width: 4, "zip directory offset")
        guard entries != 0xffff, dirSize != 0xffff_ffff, dirStart != 0xffff_ffff else {
            throw data.fail("a zip64 archive", remedy: "files over 4 GB are not supported: convert the weights to safetensors")
        }
        let dir = try data.range(dirStart, dirSize, "the zip central directory")
        var out: [String: Range<Int>] = [:], pos = dir.lowerBound
        for _ in 0..<entries {
            let what = "zip directory entry at byte \(pos)"
            guard try data.unsigned(at: pos, width: 4, what, limit: dir.upperBound) == centralSignature else {
                throw data.fail("\(what) has no central-directory signature")
            }
            let method = try data.size(at: pos + 10, width: 2, what)
            let compressed = try data.size(at: pos + 20, width: 4, what), size = try data.size(at: pos + 24, width: 4, what)
            let nameLength = try data.size(at: pos + 28, width: 2, what), extra = try data.size(at: pos + 30, width: 2, what)
            let comment = try data.size(at: pos + 32, width: 2, what), local = try data.size(at: pos + 42, width: 4, what)
            let nameRange = try data.range(pos + 46, nameLength, what, limit: dir.upperBound)
            let name = String(decoding: data.bytes[nameRange], as: UTF8.self)
            guard method == 0, compressed == size else {
                throw data.fail("zip member '\(name)' is compressed (method \(method))",
                                remedy: "torch.save writes stored members; re-save the file with torch.save or convert it to safetensors")
            }
            guard size != 0xffff_ffff, local != 0xffff_ffff else {
                throw data.fail("zip member '\(name)' uses zip64 sizes", remedy: "convert the weights to safetensors")
            }
            guard try data.unsigned(at: local, width: 4, "zip member '\(name)'") == localSignature else {
                throw data.fail("zip member '\(name)': no local header at byte \(local)")
            }
            let skip = 30 + (try data.size(at: local + 26, width: 2, "zip member '\(name)'"))
                + (try data.size(at: local + 28, width: 2, "zip member '\(name)'"))
            out[name] = try data.range(local + skip, size, "zip member '\(name)' (\(size) bytes)")
            pos = nameRange.upperBound + extra + comment
        }
        return out
    }

    static func read(_ data: TorchBytes) throws -> TorchSerialized {
        let members = try members(data)
        let pickles = members.keys.filter { $0 == "data.pkl" || $0.hasSuffix("/data.pkl") }
        guard pickles.count == 1, let pickleName = pickles.first else {
            throw data.fail("the zip archive has \(pickles.count) data.pkl members (expected one), so it is not a torch.save file",
                            remedy: "check the path; only torch.save files (legacy or zip) are read here")
        }
        let prefix = String(pickleName.dropLast("data.pkl".count))
        if let order = members[prefix + "byteorder"], Array(data.bytes[order]) != Array("little".utf8) {
            throw data.fail("the archive's byteorder is not 'little'", remedy: "re-save it on a little-endian machine or convert it to safetensors")
        }
        var vm = TorchPickle(data)
        let (root, _) = try vm.run(from: members[pickleName]!.lowerBound, limit: members[pickleName]!.upperBound)
        var storages: [String: TorchSerialized.Storage] = [:]
        for (key, ref) in vm.storages {
            guard let bytes = members[prefix + "data/" + key] else {
                throw data.fail("storage '\(key)' is used by a tensor but the archive has no member \(prefix)data/\(key)")
            }
            let size = try data.byteCount(ref.numel, ref.dtype.size, "storage '\(key)'")
            guard bytes.count == size else {
                throw data.fail("member \(prefix)data/\(key) has \(bytes.count) bytes, its tensors need \(ref.numel) \(ref.dtype) (\(size) bytes)")
            }
            storages[key] = .init(ref: ref, bytes: bytes)
        }
        // Members may not share bytes: a hand-made directory could otherwise name one big blob many times.
        let ranges = storages.values.map(\.bytes).sorted { $0.lowerBound < $1.lowerBound }
        if let i = ranges.indices.dropFirst().first(where: { ranges[$0].lowerBound < ranges[$0 - 1].upperBound }) {
            throw data.fail("storage members overlap at byte \(ranges[i].lowerBound)")
        }
        return TorchSerialized(root: root, storages: storages)
    }
}
