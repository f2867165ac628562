import Foundation
import XCTest
@testable import Datasets

/// Crafted files that once crashed, trapped or over-allocated a reader (found in review or by
/// scripts/fuzz.sh): each must now be a DatasetError naming the file.
final class HostileInputTests: XCTestCase {
    /// 0 images of 2³²−1 × 2³²−1 × 3: the total is 0 bytes, but the bytes per image overflow.
    func testIDXWithZeroImagesOfOverflowingSizeIsRefused() {
        let dir = TempDir()
        let images = dir.write("zero.idx", Fixture.idx([0, 0xFFFF_FFFF, 0xFFFF_FFFF, 3], []))
        let labels = dir.write("labels.idx", Fixture.idx([0], []))
        assertDatasetError(try ByteImageDataset(idxImages: images, labels: labels), file: "zero.idx", "overflow 64 bits")
        // Zero-sized arrays without the overflow stay readable.
        XCTAssertEqual(try IDXArray.parse(Fixture.idx([0, 28, 28], []), file: "ok").dimensions, [0, 28, 28])
    }

    /// A field of 30 digits used to overflow the accumulator (a trap in debug builds, wrapping in release).
    func testCSVFieldOfManyDigitsIsAnError() {
        let dir = TempDir()
        let path = dir.write("digits.csv", text: "1,2,3,4,0\n1,2,3,\(String(repeating: "9", count: 30)),1\n")
        assertDatasetError(try ByteImageDataset(csv: path), file: "digits.csv", "line 2", "not a non-negative integer")
    }

    /// Without class names every label up to the largest becomes a class: 999999999999 would ask for 10¹² names.
    func testCSVAbsurdLabelIsRefusedBeforeNamingClasses() throws {
        let dir = TempDir()
        let path = dir.write("label.csv", text: "1,2,3,4,999999999999\n")
        assertDatasetError(try ByteImageDataset(csv: path), file: "label.csv", "label 999999999999 on line 1", "over 100000")
        // With class names the label is only checked against them.
        assertDatasetError(try ByteImageDataset(csv: path, classNames: ["a", "b"]), file: "label.csv", "out of range for 2 classes")
        XCTAssertEqual(try ByteImageDataset(csvBytes: Array("1,2,3,4,7\n".utf8), file: "mem").classNames.count, 8)
    }

    /// A 300-byte JPEG whose frame header claims 65535×65535 (12 GB of RGB), or 4000×4000, is refused
    /// before libjpeg allocates anything; the same file at its real size decodes.
    func testJPEGWithAbsurdFrameSizeIsRefusedBeforeAllocation() throws {
        let jpeg = try JPEGCodec.encode(Fixture.smooth(width: 16, height: 8, channels: 3))
        XCTAssertEqual(try JPEGCodec.decode(jpeg, file: "ok.jpg").shape, ImageShape(height: 8, width: 16, channels: 3))
        let sof = try XCTUnwrap((0..<jpeg.count - 9).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 })
        func resized(_ w: Int, _ h: Int) -> [UInt8] {
            var b = jpeg
            b.replaceSubrange((sof + 5)..<(sof + 9), with: [UInt8(h >> 8), UInt8(h & 255), UInt8(w >> 8), UInt8(w & 255)])
            return b
        }
        assertDatasetError(try JPEGCodec.decode(resized(65535, 65535), file: "huge.jpg"), file: "huge.jpg", "65535×65535", "over the 268435456-pixel limit")
        assertDatasetError(try ImageCodec.decode(resized(4000, 4000), file: "big.jpg"), file: "big.jpg", "4000×4000", "512 pixels a byte")
    }

    /// The size limits must not refuse real files: progressive and arithmetic-coded JPEGs made by
    /// libjpeg-turbo's cjpeg (in the fuzz seed corpus), including a flat 2048×2048 image that arithmetic
    /// coding stores in 128 bytes (32768 pixels a byte, past any ratio a Huffman file can reach).
    func testProgressiveAndArithmeticJPEGsStillDecode() throws {
        let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fuzz/corpus/jpeg").path
        for (name, shape) in [("progressive.jpg", ImageShape(height: 48, width: 48, channels: 3)),
                              ("arithmetic.jpg", ImageShape(height: 48, width: 48, channels: 3)),
                              ("progressive_arithmetic.jpg", ImageShape(height: 48, width: 48, channels: 3)),
                              ("flat_2048_arithmetic.jpg", ImageShape(height: 2048, width: 2048, channels: 1))] {
            let image = try ImageCodec.decode(file: "\(corpus)/\(name)")
            XCTAssertEqual(image.shape, shape, name)
        }
    }

    /// A 100-byte PNG whose IHDR (with a correct CRC) claims 100000×100000 grey pixels: 10 GB.
    func testPNGWithAbsurdSizeIsRefusedBeforeAllocation() throws {
        let small = HandPNG.encode(width: 2, height: 2, colorType: 0, rows: [[1, 2], [3, 4]])
        XCTAssertEqual(try PNGCodec.decode(small, file: "ok.png").pixels, [1, 2, 3, 4])
        let huge = HandPNG.encode(width: 100_000, height: 100_000, colorType: 0, rows: [[1, 2], [3, 4]])
        assertDatasetError(try PNGCodec.decode(huge, file: "huge.png"), file: "huge.png", "100000×100000", "deflate")
        // 1-bit rows pack 8 pixels a byte, so a 1-bit image may claim more pixels than an 8-bit one of the same file size.
        let bits = HandPNG.encode(width: 64, height: 64, colorType: 0, bitDepth: 1, rows: [[UInt8]](repeating: [0xF0, 0, 0, 0, 0, 0, 0, 0x0F], count: 64))
        XCTAssertEqual(try PNGCodec.decode(bits, file: "bits.png").shape, ImageShape(height: 64, width: 64, channels: 1))
    }

    /// Split lists name files inside the folder: '..' and folders are refused, naming the list and line.
    func testSplitListCannotLeaveTheFolderOrNameAFolder() throws {
        let dir = TempDir()
        dir.write("root/a/x.png", HandPNG.encode(width: 1, height: 1, colorType: 0, rows: [[9]]))
        dir.write("outside.png", HandPNG.encode(width: 1, height: 1, colorType: 0, rows: [[9]]))
        dir.write("root/a/sub/y.png", HandPNG.encode(width: 1, height: 1, colorType: 0, rows: [[9]]))
        let list = dir.write("root/train.txt", text: "a/x.png\na/../../outside.png\n")
        assertDatasetError(try ImageFolderDataset(root: dir.path + "/root", split: .train), file: list, "line 2", "leaves")
        dir.write("root/train.txt", text: "a/x.png\na/sub\n")
        assertDatasetError(try ImageFolderDataset(root: dir.path + "/root", split: .train), file: list, "line 2", "is a folder")
        dir.write("root/train.txt", text: "a/x.png\n./a/sub/y.png\n")
        XCTAssertEqual(try ImageFolderDataset(root: dir.path + "/root", split: .train).files, ["a/x.png", "a/sub/y.png"])
    }
}
