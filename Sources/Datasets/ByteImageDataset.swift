/// Images held compactly as one block of bytes (N×H×W×C, HWC per image) with integer labels:
/// what IDX and CSV files decode to. 60,000 Fashion-MNIST images take 47 MB this way, a quarter
/// of a float copy; transforms turn one image at a time into floats.
public struct ByteImageDataset: FixedShapeDataset {
    public let name: String
    public let classNames: [String]
    public let imageShape: ImageShape
    /// All pixels, image after image.
    public let pixels: [UInt8]
    let labelStore: [Int32]

    /// Validates that `pixels` holds whole images and that every label names a class.
    /// `classNames == nil` names classes "0", "1", … up to the largest label.
    /// `file` is what errors name (the labels file, typically).
    public init(name: String, shape: ImageShape, pixels: [UInt8], labels: [Int], classNames: [String]? = nil,
                file: String? = nil) throws {
        let where_ = file ?? name
        let perImage = shape.height * shape.width * shape.channels
        guard perImage > 0 else { throw DatasetError(where_, "empty image shape \(shape)") }
        guard pixels.count == labels.count * perImage else {
            throw DatasetError(where_, "label count \(labels.count) differs from image count \(pixels.count / perImage)")
        }
        if let bad = labels.firstIndex(where: { $0 < 0 }) {
            throw DatasetError(where_, "label \(labels[bad]) at index \(bad) is negative")
        }
        let names = classNames ?? (0...(labels.max() ?? 0)).map(String.init)
        if let bad = labels.firstIndex(where: { $0 >= names.count }) {
            throw DatasetError(where_, "label \(labels[bad]) at index \(bad) is out of range for \(names.count) classes")
        }
        self.name = name
        self.imageShape = shape
        self.pixels = pixels
        self.labelStore = labels.map { Int32($0) }
        self.classNames = names
    }

    public var count: Int { labelStore.count }

    public func label(at index: Int) -> Int { Int(labelStore[index]) }

    public func image(at index: Int) throws -> Image {
        precondition(index >= 0 && index < count, "\(name): index \(index) out of range 0..<\(count)")
        let n = imageShape.height * imageShape.width * imageShape.channels
        return Image(width: imageShape.width, height: imageShape.height, channels: imageShape.channels,
                     pixels: Array(pixels[(index * n)..<((index + 1) * n)]))
    }
}

extension ByteImageDataset {
    /// An IDX image file ([N,H,W] or [N,H,W,C] with C = 1 or 3) and its label file ([N]), gzipped or not.
    public init(idxImages: String, labels: String, classNames: [String]? = nil, name: String? = nil) throws {
        let images = try IDXArray.read(idxImages)
        let labelArray = try IDXArray.read(labels)
        let d = images.dimensions
        let shape: ImageShape
        switch d.count {
        case 3: shape = ImageShape(height: d[1], width: d[2], channels: 1)
        case 4 where d[3] == 1 || d[3] == 3: shape = ImageShape(height: d[1], width: d[2], channels: d[3])
        default:
            throw DatasetError(idxImages, "IDX images must be N×H×W or N×H×W×C with C = 1 or 3, found \(d.map(String.init).joined(separator: "×"))")
        }
        guard labelArray.dimensions.count == 1 else {
            throw DatasetError(labels, "IDX labels must be one-dimensional, found rank \(labelArray.dimensions.count)")
        }
        guard labelArray.dimensions[0] == d[0] else {
            throw DatasetError(labels, "label count \(labelArray.dimensions[0]) differs from image count \(d[0]) in \(idxImages)")
        }
        try self.init(name: name ?? "idx:\(idxImages),\(labels)", shape: shape, pixels: images.bytes,
                      labels: labelArray.bytes.map(Int.init), classNames: classNames, file: labels)
    }
}
