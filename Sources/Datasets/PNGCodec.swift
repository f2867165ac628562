import CPNG

/// PNG decoding and encoding through libpng's simplified API (`png_image_*`), which reports errors
/// in `png_image.message` instead of longjmp'ing, so it is safe to call from Swift.
public enum PNGCodec {
    /// True when `bytes` start with the PNG signature.
    public static func isPNG(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 8 && bytes[0] == 0x89 && bytes[1] == 0x50 && bytes[2] == 0x4E && bytes[3] == 0x47
    }

    /// Decodes a PNG to 8-bit grey (1 channel) or RGB (3 channels), following the file's colour type.
    /// Palette, 16-bit and low-bit-depth images are expanded by libpng; an alpha channel is dropped
    /// (not composited), as PIL's `convert("RGB")` does.
    public static func decode(_ bytes: [UInt8], file: String) throws -> Image {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        let began = bytes.withUnsafeBytes { png_image_begin_read_from_memory(&image, $0.baseAddress, $0.count) }
        guard began != 0 else { throw DatasetError(file, "unreadable PNG (\(message(&image)))") }
        defer { png_image_free(&image) }
        let color = image.format & UInt32(PNG_FORMAT_FLAG_COLOR) != 0
        let alpha = image.format & UInt32(PNG_FORMAT_FLAG_ALPHA) != 0
        let channels = color ? 3 : 1
        let stored = channels + (alpha ? 1 : 0)
        let width = Int(image.width), height = Int(image.height)
        guard width > 0, height > 0 else { throw DatasetError(file, "PNG size \(width)×\(height) is not supported") }
        if let problem = sizeProblem(bytes, width: width, height: height) { throw DatasetError(file, "corrupt PNG (\(problem))") }
        image.format = (color ? UInt32(PNG_FORMAT_FLAG_COLOR) : 0) | (alpha ? UInt32(PNG_FORMAT_FLAG_ALPHA) : 0)
        var buffer = [UInt8](repeating: 0, count: width * height * stored)
        let finished = buffer.withUnsafeMutableBytes {
            png_image_finish_read(&image, nil, $0.baseAddress, Int32(width * stored), nil)
        }
        guard finished != 0 else { throw DatasetError(file, "corrupt or truncated PNG (\(message(&image)))") }
        if !alpha { return Image(width: width, height: height, channels: channels, pixels: buffer) }
        var pixels = [UInt8](repeating: 0, count: width * height * channels)
        buffer.withUnsafeBufferPointer { src in
            pixels.withUnsafeMutableBufferPointer { dst in
                for p in 0..<(width * height) {
                    for c in 0..<channels { dst[p * channels + c] = src[p * stored + c] }
                }
            }
        }
        return Image(width: width, height: height, channels: channels, pixels: pixels)
    }

    /// Why the IHDR's size is refused before the pixel buffer is allocated, or nil. Deflate expands at
    /// most 1032:1, so the filtered rows (a filter byte plus the packed samples per row, interlaced
    /// images have more) cannot exceed 1032× the file. Called after libpng accepted the IHDR, which is
    /// always the first chunk (bytes 8–32).
    static func sizeProblem(_ bytes: [UInt8], width: Int, height: Int) -> String? {
        guard bytes.count >= 33 else { return "the file ends inside the IHDR chunk" }
        let depth = Int(bytes[24])
        let samples = [0: 1, 2: 3, 3: 1, 4: 2, 6: 4][Int(bytes[25])] ?? 4
        // width·samples·depth < 2³¹·4·16: no overflow in 64 bits, nor in rows × height below (checked).
        let rowBytes = 1 + (width * samples * depth + 7) / 8
        let (raw, overflow) = rowBytes.multipliedReportingOverflow(by: height)
        let (holdable, o2) = bytes.count.multipliedReportingOverflow(by: 1032)
        if overflow || (!o2 && raw > holdable) {
            return "the header claims \(width)×\(height) pixels at \(depth) bits × \(samples) samples, more than deflate can expand \(bytes.count) bytes to"
        }
        return ImageLimits.problem(width: width, height: height, fileBytes: bytes.count, pixelsPerByte: nil, why: "")
    }

    /// Encodes an 8-bit grey or RGB image as PNG (used for fixtures and for saving samples).
    public static func encode(_ img: Image) throws -> [UInt8] {
        precondition(img.channels == 1 || img.channels == 3, "PNGCodec.encode: \(img.channels) channels, expected 1 or 3")
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(img.width)
        image.height = UInt32(img.height)
        image.format = img.channels == 3 ? UInt32(PNG_FORMAT_RGB) : UInt32(PNG_FORMAT_GRAY)
        let stride = Int32(img.width * img.channels)
        var size: png_alloc_size_t = 0
        // First call measures, second writes (the documented two-pass use of the memory writer).
        var ok = img.pixels.withUnsafeBytes { png_image_write_to_memory(&image, nil, &size, 0, $0.baseAddress, stride, nil) }
        guard ok != 0 else { throw DatasetError("<png encoder>", message(&image)) }
        var out = [UInt8](repeating: 0, count: Int(size))
        ok = out.withUnsafeMutableBytes { dst in
            img.pixels.withUnsafeBytes { png_image_write_to_memory(&image, dst.baseAddress, &size, 0, $0.baseAddress, stride, nil) }
        }
        guard ok != 0 else { throw DatasetError("<png encoder>", message(&image)) }
        return Array(out.prefix(Int(size)))
    }

    private static func message(_ image: inout png_image) -> String {
        withUnsafeBytes(of: &image.message) { raw in
            let chars = raw.bindMemory(to: CChar.self)
            let text = String(decoding: chars.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return text.isEmpty ? "libpng gave no reason" : text
        }
    }
}
