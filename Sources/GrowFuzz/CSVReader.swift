import Datasets

extension FuzzReaders {
    /// A CSV image set: once with the default layout (last column, square grey images) and once with
    /// the label first and no class names, the two paths a header-less file can take.
    static func csv(_ bytes: [UInt8]) {
        _ = try? ByteImageDataset(csvBytes: bytes, file: "fuzz.csv")
        _ = try? ByteImageDataset(csvBytes: bytes, file: "fuzz.csv", format: CSVFormat(labelColumn: .first))
    }
}
