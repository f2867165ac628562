import Foundation
import Engine

/// Images stored as files in the ImageNet/torchvision layout, `root/CLASS_NAME/*.jpg|jpeg|png`
/// (sub-folders inside a class folder are included). Classes are the class folders sorted by name,
/// so labels agree between splits. Optional split lists `root/train.txt` and `root/test.txt` hold
/// one relative path per line (`class/file.jpg`), the layout of MIT-67, CUB-200, Flowers-102, …
///
/// Only the file list is held; each image is read and decoded when asked for, so memory does not
/// grow with the data set.
public struct ImageFolderDataset: ImageDataset {
    public let name: String
    public let root: String
    public let classNames: [String]
    /// Paths relative to `root`, in example order.
    public let files: [String]
    let labelStore: [Int32]
    /// Files left out by `skipBadImages`, each with the reason.
    public let skipped: [DatasetError]
    /// Passed to the JPEG decoder: decode at a reduced scale while the shorter side stays ≥ this.
    public var minShorterSide = 0

    static let extensions: Set<String> = ["jpg", "jpeg", "png"]

    /// Lists the folder (and reads the split list for `.train`/`.test`). With `skipBadImages`, every
    /// image is decoded once now and unreadable ones are left out and listed in `skipped`.
    public init(root: String, split: DataSplit = .all, skipBadImages: Bool = false, name: String? = nil) throws {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: root, isDirectory: &isDir), isDir.boolValue else {
            throw DatasetError(root, "no such folder; an image folder holds one sub-folder of images per class")
        }
        let entries = (try? fm.contentsOfDirectory(atPath: root)) ?? []
        let classDirs = entries.filter { !$0.hasPrefix(".") && Self.isDirectory("\(root)/\($0)") }
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        guard !classDirs.isEmpty else { throw DatasetError(root, "no class folders (expected root/CLASS_NAME/*.jpg|png)") }
        var classIndex = [String: Int]()
        for (i, c) in classDirs.enumerated() { classIndex[c] = i }

        var files = [String](), labels = [Int32]()
        if split == .all {
            for (label, c) in classDirs.enumerated() {
                let images = Self.imageFiles(in: "\(root)/\(c)").map { "\(c)/\($0)" }
                guard !images.isEmpty else { throw DatasetError("\(root)/\(c)", "empty class folder (no .jpg, .jpeg or .png files)") }
                files += images
                labels += [Int32](repeating: Int32(label), count: images.count)
            }
        } else {
            let list = "\(root)/\(split.rawValue).txt"
            guard fm.fileExists(atPath: list) else {
                throw DatasetError(list, "no split list; load the whole folder (split all) or write \(split.rawValue).txt with one class/file path per line")
            }
            let text = String(decoding: try readFileBytes(list), as: UTF8.self)
            for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                var path = raw.trimmingCharacters(in: .whitespacesAndNewlines)
                if path.isEmpty { continue }
                if path.hasPrefix("./") { path.removeFirst(2) }
                guard let slash = path.firstIndex(of: "/"), let label = classIndex[String(path[..<slash])] else {
                    throw DatasetError(list, "line \(n + 1): '\(path)' does not start with a class folder name")
                }
                // A list names files inside root: '..' or a NUL byte could reach any file on the machine.
                guard !path.contains("\0"), !path.split(separator: "/").contains("..") else {
                    throw DatasetError(list, "line \(n + 1): '\(path)' leaves \(root) ('..') or holds a NUL byte; list paths inside the folder")
                }
                isDir = false
                guard fm.fileExists(atPath: "\(root)/\(path)", isDirectory: &isDir), !isDir.boolValue else {
                    throw DatasetError(list, "line \(n + 1): '\(path)' \(isDir.boolValue ? "is a folder, not an image file" : "does not exist under \(root)")")
                }
                files.append(path); labels.append(Int32(label))
            }
            guard !files.isEmpty else { throw DatasetError(list, "the split list names no images") }
        }
        self.name = name ?? "folder:\(root)\(split == .all ? "" : " \(split)")"
        self.root = root
        self.classNames = classDirs
        if skipBadImages {
            var kept = [String](), keptLabels = [Int32](), skipped = [DatasetError]()
            for (i, r) in Self.decodeAll(root: root, files: files).enumerated() {
                if case .failure(let e) = r { skipped.append(e) } else { kept.append(files[i]); keptLabels.append(labels[i]) }
            }
            self.files = kept
            self.labelStore = keptLabels
            self.skipped = skipped
        } else {
            self.files = files
            self.labelStore = labels
            self.skipped = []
        }
    }

    public var count: Int { files.count }
    public func label(at index: Int) -> Int { Int(labelStore[index]) }
    /// The full path of example `index`'s file.
    public func path(at index: Int) -> String { "\(root)/\(files[index])" }

    public func image(at index: Int) throws -> Image {
        try ImageCodec.decode(file: path(at: index), minShorterSide: minShorterSide)
    }

    /// Decodes every image (in parallel) and tallies shapes and failures: what `grow data show` prints.
    public func scan() -> (shapes: [ImageShape: Int], failures: [DatasetError]) {
        var shapes = [ImageShape: Int]()
        var failures = [DatasetError]()
        for r in Self.decodeAll(root: root, files: files) {
            switch r {
            case .success(let s): shapes[s, default: 0] += 1
            case .failure(let e): failures.append(e)
            }
        }
        return (shapes, failures)
    }

    /// Each file's shape, or why it cannot be decoded.
    static func decodeAll(root: String, files: [String]) -> [Result<ImageShape, DatasetError>] {
        let results = UnsafeMutableBufferPointer<Result<ImageShape, DatasetError>>.allocate(capacity: files.count)
        results.initialize(repeating: .failure(DatasetError("", "")))
        defer { results.deinitialize(); results.deallocate() }
        parallelFor(files.count, minPerThread: 4) { range in
            for i in range {  // each worker writes its own disjoint slots
                let path = "\(root)/\(files[i])"
                do { results[i] = .success(try ImageCodec.decode(file: path).shape) }
                catch let e as DatasetError { results[i] = .failure(e) }
                catch { results[i] = .failure(DatasetError(path, "\(error)")) }
            }
        }
        return Array(results)
    }

    static func isDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }

    /// Image files under `dir` (recursively, hidden files skipped), as sorted relative paths.
    static func imageFiles(in dir: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: dir) else { return [] }
        var found = [String]()
        while let rel = walker.nextObject() as? String {
            let name = (rel as NSString).lastPathComponent
            if name.hasPrefix(".") { continue }
            if extensions.contains((name as NSString).pathExtension.lowercased()) && !isDirectory("\(dir)/\(rel)") {
                found.append(rel)
            }
        }
        return found.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }
}
