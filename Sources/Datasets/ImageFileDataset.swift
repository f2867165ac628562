import Foundation

/// Image files with labels given explicitly (any layout). Decodes on demand, like `ImageFolderDataset`.
public struct ImageFileDataset: ImageDataset {
    public let name: String
    public let files: [String]
    public let classNames: [String]
    let labelStore: [Int]
    /// See `ImageFolderDataset.minShorterSide`.
    public var minShorterSide = 0

    public init(name: String, files: [String], labels: [Int], classNames: [String]) {
        precondition(files.count == labels.count, "ImageFileDataset: \(files.count) files, \(labels.count) labels")
        precondition(labels.allSatisfy { $0 >= 0 && $0 < classNames.count }, "ImageFileDataset: label outside 0..<\(classNames.count)")
        self.name = name; self.files = files; self.labelStore = labels; self.classNames = classNames
    }

    public var count: Int { files.count }
    public func label(at index: Int) -> Int { labelStore[index] }
    public func image(at index: Int) throws -> Image { try ImageCodec.decode(file: files[index], minShorterSide: minShorterSide) }

    /// foolbox's labelled samples in `dataDir/foolbox`: `kind` is imagenet (1000 classes, 512×512 JPEG),
    /// cifar10, cifar100 (32×32 PNG), mnist or fashionMNIST (28×28 PNG); the label is the last
    /// number of the file name (`imagenet_00_243.jpg` is class 243).
    public static func foolbox(_ kind: String, dataDir: String = DataDirectory.resolve()) throws -> ImageFileDataset {
        let dir = "\(dataDir)/foolbox"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else {
            throw DatasetError(dir, "missing; run `grow data fetch` (or scripts/fetch_data.sh) to download the data sets")
        }
        let classes = ["imagenet": 1000, "cifar10": 10, "cifar100": 100, "mnist": 10, "fashionMNIST": 10]
        guard let classCount = classes[kind] else {
            throw DatasetError(kind, "unknown foolbox sample kind; valid: \(classes.keys.sorted().joined(separator: ", "))")
        }
        let mine = names.filter { $0.hasPrefix(kind + "_") }.sorted()
        guard !mine.isEmpty else { throw DatasetError(dir, "no \(kind)_* images; run `grow data fetch` again") }
        var labels = [Int]()
        for n in mine {
            let stem = (n as NSString).deletingPathExtension
            guard let last = stem.split(separator: "_").last, let y = Int(last), y >= 0 && y < classCount else {
                throw DatasetError("\(dir)/\(n)", "file name does not end in a class number below \(classCount)")
            }
            labels.append(y)
        }
        return ImageFileDataset(name: "foolbox \(kind)", files: mine.map { "\(dir)/\($0)" }, labels: labels,
                                classNames: (0..<classCount).map(String.init))
    }
}
