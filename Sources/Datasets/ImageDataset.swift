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

/// The size of an image: height × width × channels (1 grey, 3 RGB).
public struct ImageShape: Sendable, Hashable, CustomStringConvertible {
    public let height: Int, width: Int, channels: Int

    public init(height: Int, width: Int, channels: Int) {
        self.height = height; self.width = width; self.channels = channels
    }

    public var description: String { "\(height)×\(width)×\(channels)" }
}

extension Image {
    /// This image's shape.
    public var shape: ImageShape { ImageShape(height: height, width: width, channels: channels) }
}

extension ImageDataset {
    /// The labels of all examples, in index order.
    public var labels: [Int] { (0..<count).map { label(at: $0) } }

    /// How many examples each class has, indexed by class.
    public func classCounts() -> [Int] {
        var counts = [Int](repeating: 0, count: classNames.count)
        for i in 0..<count { counts[label(at: i)] += 1 }
        return counts
    }

    /// The example indices of each class, in index order.
    public func indicesByClass() -> [[Int]] {
        var byClass = [[Int]](repeating: [], count: classNames.count)
        for i in 0..<count { byClass[label(at: i)].append(i) }
        return byClass
    }
}

/// A data set whose images all have one known shape (IDX, CSV), so it can be described without
/// decoding. Image folders do not conform: their images vary in size.
public protocol FixedShapeDataset: ImageDataset {
    var imageShape: ImageShape { get }
}
