import Foundation

/// The 1,000 ImageNet-1k class names in the standard index order (0 tench … 999 toilet tissue),
/// from `dataDir/imagenet/classes.txt` (one `synset<TAB>name` line per class, written by
/// `scripts/fetch_data.sh` from Debian's darknet lists sorted by synset id).
public enum ImageNetClasses {
    public static let count = 1000

    /// The path of the class list under `dataDir`.
    public static func path(dataDir: String) -> String { "\(dataDir)/imagenet/classes.txt" }

    /// The class names, index = class; throws when the file is missing or not 1,000 `synset<TAB>name` lines.
    public static func load(dataDir: String) throws -> [String] {
        let path = path(dataDir: dataDir)
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw TorchFileError(path, "the ImageNet class list cannot be read",
                                 remedy: "run scripts/fetch_data.sh (or `grow data fetch`), or set GROW_DATA_DIR to the data folder")
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast(text.hasSuffix("\n") ? 1 : 0)
        guard lines.count == count else {
            throw TorchFileError(path, "expected \(count) lines (one per ImageNet-1k class), found \(lines.count)",
                                 remedy: "delete the file and run scripts/fetch_data.sh again")
        }
        return try lines.enumerated().map { i, line in
            let parts = line.split(separator: "\t", maxSplits: 1)
            guard parts.count == 2, parts[0].hasPrefix("n"), !parts[1].isEmpty else {
                throw TorchFileError(path, "line \(i + 1) is “\(line)”, expected “synset<TAB>name”",
                                     remedy: "delete the file and run scripts/fetch_data.sh again")
            }
            return String(parts[1])
        }
    }
}
