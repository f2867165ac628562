/// What an image header may claim before any pixel memory is allocated. A header is a few bytes
/// anyone can write, so sizes are checked against an absolute cap and against what the file's
/// length can hold (each codec knows its own best compression), never trusted alone.
enum ImageLimits {
    /// The largest image decoded: 2²⁸ pixels (16384×16384), 768 MB as RGB.
    static let maxPixels = 1 << 28

    /// Why `width`×`height` is refused for a file of `fileBytes` bytes whose codec stores at most
    /// `pixelsPerByte` pixels in a byte, or nil when the size is plausible.
    /// `pixelsPerByte == nil` means no bound from the file's length (only `limit`).
    static func problem(width: Int, height: Int, fileBytes: Int, pixelsPerByte: Int?, why: String,
                        limit: Int = maxPixels) -> String? {
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        if overflow || pixels > limit {
            return "image size \(width)×\(height) is over the \(limit)-pixel limit\(why.isEmpty ? "" : " (\(why))")"
        }
        guard let pixelsPerByte else { return nil }
        let (holdable, o2) = fileBytes.multipliedReportingOverflow(by: pixelsPerByte)
        if !o2 && pixels > holdable {
            return "the header claims \(width)×\(height) pixels, which a \(fileBytes)-byte file cannot hold (\(why)); the file is corrupt"
        }
        return nil
    }
}
