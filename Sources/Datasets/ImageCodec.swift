/// Decodes image files by content (not by extension): JPEG or PNG.
public enum ImageCodec {
    /// Decodes JPEG or PNG bytes; `file` is named in errors. See `JPEGCodec.decode` for `minShorterSide`.
    public static func decode(_ bytes: [UInt8], file: String, minShorterSide: Int = 0) throws -> Image {
        if JPEGCodec.isJPEG(bytes) { return try JPEGCodec.decode(bytes, file: file, minShorterSide: minShorterSide) }
        if PNGCodec.isPNG(bytes) { return try PNGCodec.decode(bytes, file: file) }
        if bytes.isEmpty { throw DatasetError(file, "empty image file") }
        throw DatasetError(file, "unsupported image format (neither JPEG nor PNG)")
    }

    /// Reads and decodes an image file.
    public static func decode(file path: String, minShorterSide: Int = 0) throws -> Image {
        try decode(readFileBytes(path), file: path, minShorterSide: minShorterSide)
    }
}
