import Foundation

/// The text `grow data show` prints for one data set.
public enum DatasetSummary {
    /// Count, classes with per-class counts, image shape. Image folders are decoded once to find
    /// their shapes and any unreadable files (which are listed, not fatal, here).
    public static func describe(_ dataset: any ImageDataset) -> String {
        let counts = dataset.classCounts()
        var lines = ["\(dataset.name): \(dataset.count) images, \(dataset.classNames.count) classes"]
        if let fixed = dataset as? any FixedShapeDataset {
            lines.append("image shape: \(fixed.imageShape) (H×W×C)")
        } else if let folder = dataset as? ImageFolderDataset {
            let (shapes, failures) = folder.scan()
            let common = shapes.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key.description < $1.key.description }
            let listed = common.prefix(3).map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")
            lines.append("image shapes (H×W×C): \(listed)\(common.count > 3 ? ", … (\(common.count) distinct)" : "")")
            if !folder.skipped.isEmpty {
                lines.append("skipped \(folder.skipped.count) unreadable image(s) (--skip-bad-images):")
                lines += folder.skipped.prefix(5).map { "  \($0)" }
            }
            if !failures.isEmpty {
                lines.append("\(failures.count) unreadable image(s); training would stop at them (use --skip-bad-images):")
                lines += failures.prefix(5).map { "  \($0)" }
            }
        }
        let width = dataset.classNames.map(\.count).max() ?? 0
        for (c, name) in dataset.classNames.enumerated() {
            let label = String(c).leftPadded(to: 3)
            lines.append("\(label) \(name.padding(toLength: width, withPad: " ", startingAt: 0))  \(String(counts[c]).leftPadded(to: 6))")
        }
        return lines.joined(separator: "\n")
    }
}

extension String {
    func leftPadded(to n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}
