import XCTest
@testable import Datasets

final class GzipTests: XCTestCase {
    func testInflatesSystemGzipIncludingConcatenatedMembers() throws {
        let a = (0..<5000).map { UInt8($0 % 251) }, b = Array("tail".utf8)
        XCTAssertEqual(try Gzip.decompress(Fixture.gzip(a), file: "a.gz"), a)
        XCTAssertEqual(try Gzip.decompress(Fixture.gzip(a) + Fixture.gzip(b), file: "ab.gz"), a + b)
        XCTAssertEqual(try Gzip.decompress(Fixture.gzip([]), file: "empty.gz"), [])
    }

    func testTruncatedAndCorruptGzipAreErrors() {
        let gz = Fixture.gzip((0..<5000).map { UInt8($0 % 7) })
        assertDatasetError(try Gzip.decompress(Array(gz.prefix(gz.count / 2)), file: "t.gz"), file: "t.gz", "truncated gzip")
        var bad = gz
        for i in 12..<min(40, bad.count) { bad[i] = 0xFF }
        assertDatasetError(try Gzip.decompress(bad, file: "c.gz"), file: "c.gz", "corrupt gzip")
        assertDatasetError(try Gzip.decompress(gz + [1, 2, 3], file: "j.gz"), file: "j.gz", "trailing garbage")
        assertDatasetError(try Gzip.decompress([1, 2, 3], file: "n.gz"), file: "n.gz", "not a gzip")
    }
}

final class IDXTests: XCTestCase {
    /// Three 2×3 images, labels 0 2 1; pixel value = 10·image + position.
    let pixels: [UInt8] = (0..<3).flatMap { i in (0..<6).map { UInt8(10 * i + $0) } }

    func testReadsRawAndGzippedIDXPairs() throws {
        let dir = TempDir()
        for gz in [false, true] {
            let im = Fixture.idx([3, 2, 3], pixels), lb = Fixture.idx([3], [0, 2, 1])
            let ip = dir.write("i\(gz)", gz ? Fixture.gzip(im) : im), lp = dir.write("l\(gz)", gz ? Fixture.gzip(lb) : lb)
            let ds = try ByteImageDataset(idxImages: ip, labels: lp, classNames: ["a", "b", "c"])
            XCTAssertEqual(ds.count, 3)
            XCTAssertEqual(ds.imageShape, ImageShape(height: 2, width: 3, channels: 1))
            XCTAssertEqual(ds.labels, [0, 2, 1])
            XCTAssertEqual(try ds.image(at: 1), Image(width: 3, height: 2, channels: 1, pixels: [10, 11, 12, 13, 14, 15]))
            XCTAssertEqual(ds.classCounts(), [1, 1, 1])
        }
    }

    func testClassNamesDefaultToLabelNumbersAndRGBIDX() throws {
        let dir = TempDir()
        let ip = dir.write("i", Fixture.idx([1, 1, 2, 3], [1, 2, 3, 4, 5, 6])), lp = dir.write("l", Fixture.idx([1], [4]))
        let ds = try ByteImageDataset(idxImages: ip, labels: lp)
        XCTAssertEqual(ds.classNames, ["0", "1", "2", "3", "4"])
        XCTAssertEqual(try ds.image(at: 0).shape, ImageShape(height: 1, width: 2, channels: 3))
    }

    func testBadIDXFilesAreErrorsNamingTheFile() {
        let dir = TempDir()
        let good = Fixture.idx([3, 2, 3], pixels)
        let labels = dir.write("labels", Fixture.idx([3], [0, 1, 2]))
        func images(_ name: String, _ bytes: [UInt8]) -> String { dir.write(name, bytes) }
        assertDatasetError(try ByteImageDataset(idxImages: images("trunc", Array(good.dropLast(4))), labels: labels),
                           file: "trunc", "truncated IDX data", "2×3 = 18 bytes")
        assertDatasetError(try ByteImageDataset(idxImages: images("extra", good + [0]), labels: labels), file: "extra", "1 bytes after")
        assertDatasetError(try ByteImageDataset(idxImages: images("magic", [1, 2] + good.dropFirst(2)), labels: labels),
                           file: "magic", "not an IDX file")
        var float = good; float[2] = 0x0D
        assertDatasetError(try ByteImageDataset(idxImages: images("float", float), labels: labels), file: "float", "float32", "not supported")
        assertDatasetError(try ByteImageDataset(idxImages: images("head", Array(good.prefix(9))), labels: labels),
                           file: "head", "truncated IDX header")
        assertDatasetError(try ByteImageDataset(idxImages: images("tiny", [0, 0]), labels: labels), file: "tiny", "truncated")
        // 65536⁴ wraps to 0 bytes in unchecked 64-bit arithmetic, which an empty payload would "match".
        assertDatasetError(try ByteImageDataset(idxImages: images("wrap", Fixture.idx([65536, 65536, 65536, 65536], [])), labels: labels),
                           file: "wrap", "65536×65536×65536×65536", "overflow")
        let four = dir.write("four", Fixture.idx([4], [0, 1, 2, 0]))
        assertDatasetError(try ByteImageDataset(idxImages: images("ok", good), labels: four), file: "four",
                           "label count 4 differs from image count 3")
        let big = dir.write("big", Fixture.idx([3], [0, 1, 7]))
        assertDatasetError(try ByteImageDataset(idxImages: images("ok2", good), labels: big, classNames: ["a", "b", "c"]),
                           file: "big", "label 7 at index 2 is out of range for 3 classes")
        assertDatasetError(try ByteImageDataset(idxImages: dir.path + "/nope", labels: labels), file: "nope", "no such file")
        let gz = Fixture.gzip(good)
        assertDatasetError(try ByteImageDataset(idxImages: images("gzcut", Array(gz.prefix(gz.count - 10))), labels: labels),
                           file: "gzcut", "gzip")
    }
}

final class CSVTests: XCTestCase {
    func testLabelLastFirstAndIndexWithHeaderAndBlankLines() throws {
        let dir = TempDir()
        let last = dir.write("last.csv", text: "p0,p1,p2,p3,label\n1,2,3,4,1\n\n5,6,7,8,0\r\n")
        let ds = try ByteImageDataset(csv: last)
        XCTAssertEqual(ds.count, 2)
        XCTAssertEqual(ds.labels, [1, 0])
        XCTAssertEqual(try ds.image(at: 1), Image(width: 2, height: 2, channels: 1, pixels: [5, 6, 7, 8]))
        let first = dir.write("first.csv", text: "1,2,3,4,5\n0,9,9,9,9")
        let f = try ByteImageDataset(csv: first, format: CSVFormat(labelColumn: .first))
        XCTAssertEqual(f.labels, [1, 0])
        XCTAssertEqual(try f.image(at: 0).pixels, [2, 3, 4, 5])
        let mid = try ByteImageDataset(csv: first, format: CSVFormat(labelColumn: .index(2)))
        XCTAssertEqual(mid.labels, [3, 9])
        XCTAssertEqual(try mid.image(at: 1).pixels, [0, 9, 9, 9])
        XCTAssertEqual(mid.classNames.count, 10)
    }

    func testGivenShapeAndGzippedCSV() throws {
        let dir = TempDir()
        let rows = "1,2,3,4,5,6,0\n6,5,4,3,2,1,1\n"
        let p = dir.write("rgb.csv.gz", Fixture.gzip(Array(rows.utf8)))
        let ds = try ByteImageDataset(csv: p, format: CSVFormat(shape: ImageShape(height: 1, width: 2, channels: 3)))
        XCTAssertEqual(try ds.image(at: 1), Image(width: 2, height: 1, channels: 3, pixels: [6, 5, 4, 3, 2, 1]))
    }

    func testBadCSVFilesAreErrors() {
        let dir = TempDir()
        assertDatasetError(try ByteImageDataset(csv: dir.write("ns.csv", text: "1,2,3,0\n")), file: "ns.csv", "3 pixels", "square")
        assertDatasetError(try ByteImageDataset(csv: dir.write("rag.csv", text: "1,2,3,4,0\n1,2,3,0\n")), file: "rag.csv",
                           "line 2 has 4 fields, earlier rows have 5")
        assertDatasetError(try ByteImageDataset(csv: dir.write("big.csv", text: "1,2,300,4,0\n")), file: "big.csv", "300", "line 1, column 3", "0…255")
        assertDatasetError(try ByteImageDataset(csv: dir.write("txt.csv", text: "1,2,3,4,0\n1,x,3,4,0\n")), file: "txt.csv", "line 2")
        assertDatasetError(try ByteImageDataset(csv: dir.write("neg.csv", text: "1,2,3,4,0\n1,-2,3,4,0\n")), file: "neg.csv", "line 2")
        assertDatasetError(try ByteImageDataset(csv: dir.write("empty.csv", text: "a,b\n")), file: "empty.csv", "no data rows")
        assertDatasetError(try ByteImageDataset(csv: dir.write("col.csv", text: "1,2,3,4,0\n"), format: CSVFormat(labelColumn: .index(9))),
                           file: "col.csv", "label column 9")
        assertDatasetError(try ByteImageDataset(csv: dir.write("sh.csv", text: "1,2,3,4,0\n"),
                                                format: CSVFormat(shape: ImageShape(height: 3, width: 3, channels: 1))),
                           file: "sh.csv", "4 pixels per row do not fill")
        assertDatasetError(try ByteImageDataset(csv: dir.write("lab.csv", text: "1,2,3,4,7\n"), classNames: ["a", "b"]),
                           file: "lab.csv", "out of range for 2 classes")
    }
}
