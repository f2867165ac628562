import Datasets

extension FuzzReaders {
    /// IDX as `grow` reads it: gzip when the magic says so, the parse, then the images' shape the way
    /// `ByteImageDataset(idxImages:labels:)` forms it (bytes per image multiplied out).
    static func idx(_ bytes: [UInt8]) {
        let file = "fuzz.idx"
        guard let raw = try? (Gzip.isGzip(bytes) ? Gzip.decompress(bytes, file: file) : bytes),
              let array = try? IDXArray.parse(raw, file: file) else { return }
        let d = array.dimensions
        // A real labels file holds one byte per image; a header alone cannot justify a big label array.
        guard d.count == 3 || (d.count == 4 && (d[3] == 1 || d[3] == 3)), d[0] <= max(raw.count, 1024) else { return }
        let shape = ImageShape(height: d[1], width: d[2], channels: d.count == 4 ? d[3] : 1)
        _ = try? ByteImageDataset(name: file, shape: shape, pixels: array.bytes,
                                  labels: [Int](repeating: 0, count: d[0]), file: file)
    }
}
