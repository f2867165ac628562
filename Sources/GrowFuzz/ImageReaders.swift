import Datasets

extension FuzzReaders {
    /// A JPEG at full scale, and scaled down (libjpeg's DCT scaling is another code path).
    static func jpeg(_ bytes: [UInt8]) {
        _ = try? JPEGCodec.decode(bytes, file: "fuzz.jpg")
        _ = try? JPEGCodec.decode(bytes, file: "fuzz.jpg", minShorterSide: 1)
    }

    /// A PNG as given, and with its chunk CRCs repaired so that mutations get past libpng's CRC check.
    static func png(_ bytes: [UInt8]) {
        _ = try? PNGCodec.decode(bytes, file: "fuzz.png")
        if PNGCodec.isPNG(bytes) { _ = try? PNGCodec.decode(PNGChunks.withFixedCRCs(bytes), file: "fuzz.png") }
    }
}
