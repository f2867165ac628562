import Engine

/// A decoded 8-bit image, interleaved (HWC): 1 channel (grey) or 3 (RGB).
public struct Image: Sendable, Equatable {
    public let width: Int, height: Int, channels: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * channels,
                     "Image: \(pixels.count) bytes for \(width)×\(height)×\(channels)")
        self.width = width; self.height = height; self.channels = channels; self.pixels = pixels
    }
}

/// A labelled image source. Images are decoded on demand (image folders) or held compactly as
/// bytes (IDX/CSV), never as a whole-dataset float copy.
public protocol ImageDataset: Sendable {
    /// A short name for messages ("fashion-mnist train", "folder:/data/mit67").
    var name: String { get }
    var count: Int { get }
    var classNames: [String] { get }
    /// The class of example `index`.
    func label(at index: Int) -> Int
    /// The decoded image of example `index`.
    func image(at index: Int) throws -> Image
}
