/// Which CSV column holds the label; the others are pixels in row-major (HWC) order.
public enum LabelColumn: Sendable, Equatable {
    case first, last
    /// A 0-based column index.
    case index(Int)
}

/// How to read an image set stored as CSV: one image per row, integer pixels 0…255, one label column.
public struct CSVFormat: Sendable, Equatable {
    public var labelColumn: LabelColumn
    /// The image shape; `nil` means grey and square, taken from the pixel count (784 → 28×28).
    public var shape: ImageShape?

    public init(labelColumn: LabelColumn = .last, shape: ImageShape? = nil) {
        self.labelColumn = labelColumn
        self.shape = shape
    }
}

extension ByteImageDataset {
    /// Reads a CSV image set (gzipped or not). A first line with non-numeric fields is a header and
    /// is skipped; blank lines are ignored. Every row must have the same number of fields.
    public init(csv path: String, format: CSVFormat = CSVFormat(), classNames: [String]? = nil, name: String? = nil) throws {
        try self.init(csvBytes: readMaybeGzipped(path), file: path, format: format, classNames: classNames, name: name)
    }

    /// Parses CSV text already in memory (not gzipped); `file` is what errors name.
    public init(csvBytes text: [UInt8], file path: String, format: CSVFormat = CSVFormat(), classNames: [String]? = nil,
                name: String? = nil) throws {
        var pixels = [UInt8](), labels = [Int]()
        var labelIndex = 0, shape = ImageShape(height: 1, width: 1, channels: 1)
        // Rows go straight into bytes, so memory is the image bytes, not one Int per field.
        try forEachCSVRow(text, file: path) { row, line in
            let columns = row.count
            if labels.isEmpty {  // the first data row fixes the layout
                guard columns >= 2 else { throw DatasetError(path, "CSV rows need a label and at least one pixel, found \(columns) field(s)") }
                (labelIndex, shape) = try Self.layout(columns: columns, format: format, file: path)
                pixels.reserveCapacity(text.count / 2)
            }
            for c in 0..<columns {
                let x = row[c]
                if c == labelIndex {
                    // Without class names every number up to the largest label becomes a class name, so a
                    // corrupt 12-digit label would ask for a trillion of them.
                    guard classNames != nil || x <= Self.maxCSVLabel else {
                        throw DatasetError(path, "label \(x) on line \(line) is over \(Self.maxCSVLabel); the file is corrupt or the label column is wrong (give labelColumn)")
                    }
                    labels.append(x); continue
                }
                guard x <= 255 else { throw DatasetError(path, "pixel value \(x) on line \(line), column \(c + 1) is outside 0…255") }
                pixels.append(UInt8(x))
            }
        }
        guard !labels.isEmpty else { throw DatasetError(path, "no data rows") }
        try self.init(name: name ?? "csv:\(path)", shape: shape, pixels: pixels, labels: labels,
                      classNames: classNames, file: path)
    }

    /// The largest label accepted without explicit class names (ImageNet-21k has 21,841 classes).
    static let maxCSVLabel = 100_000

    /// The label column and image shape for rows of `columns` fields.
    static func layout(columns: Int, format: CSVFormat, file: String) throws -> (Int, ImageShape) {
        let labelIndex: Int
        switch format.labelColumn {
        case .first: labelIndex = 0
        case .last: labelIndex = columns - 1
        case .index(let k):
            guard k >= 0 && k < columns else { throw DatasetError(file, "label column \(k) does not exist; rows have \(columns) fields (0…\(columns - 1))") }
            labelIndex = k
        }
        let pixelCount = columns - 1
        if let s = format.shape {
            let (hw, o1) = s.height.multipliedReportingOverflow(by: s.width)
            let (hwc, o2) = hw.multipliedReportingOverflow(by: s.channels)
            guard !o1, !o2, hwc == pixelCount else {
                throw DatasetError(file, "\(pixelCount) pixels per row do not fill the given shape \(s)")
            }
            return (labelIndex, s)
        }
        let side = Int(Double(pixelCount).squareRoot().rounded())
        guard side * side == pixelCount else {
            throw DatasetError(file, "\(pixelCount) pixels per row do not form a square image; give the shape (csv:PATH,shape=HxW)")
        }
        return (labelIndex, ImageShape(height: side, width: side, channels: 1))
    }
}

/// Calls `body` with each data row of comma-separated non-negative integers and its 1-based line
/// number (what an editor shows). A first line with non-numeric fields is a header and is skipped;
/// blank lines are ignored; every row must have as many fields as the first.
func forEachCSVRow(_ text: [UInt8], file: String, _ body: ([Int], Int) throws -> Void) throws {
    var columns = 0
    var line = 0
    try text.withUnsafeBufferPointer { t in
        let n = t.count
        var pos = 0
        var row = [Int]()
        while pos < n {
            var end = pos
            while end < n && t[end] != 0x0A { end += 1 }
            line += 1
            defer { pos = end + 1 }
            row.removeAll(keepingCapacity: true)
            var value = 0, digits = 0, nonNumeric = false, blank = true
            var i = pos
            while i <= end {
                let b: UInt8 = i < end ? t[i] : 0x2C  // a virtual comma closes the last field
                i += 1
                switch b {
                case 0x30...0x39:
                    // Past 12 digits the field is refused; accumulating further would overflow.
                    if digits < 12 { value = value * 10 + Int(b - 0x30) } else { nonNumeric = true }
                    digits += 1; blank = false
                case 0x2C:
                    if digits == 0 { nonNumeric = true }
                    row.append(value); value = 0; digits = 0
                case 0x20, 0x09, 0x0D: continue
                default: nonNumeric = true; blank = false
                }
            }
            if blank && row.count <= 1 { continue }
            if nonNumeric {
                if columns == 0 && line == 1 { continue }  // a header line
                throw DatasetError(file, "line \(line): a field is empty or not a non-negative integer")
            }
            if columns == 0 { columns = row.count }
            guard row.count == columns else {
                throw DatasetError(file, "line \(line) has \(row.count) fields, earlier rows have \(columns); the file is truncated or corrupt")
            }
            try body(row, line)
        }
    }
}
