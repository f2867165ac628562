import XCTest
@testable import Datasets

final class CodecTests: XCTestCase {
    func testPNGRoundTripGreyAndRGB() throws {
        for channels in [1, 3] {
            let img = Fixture.pattern(width: 7, height: 5, channels: channels)
            let bytes = try PNGCodec.encode(img)
            XCTAssertTrue(PNGCodec.isPNG(bytes))
            XCTAssertEqual(try ImageCodec.decode(bytes, file: "x.png"), img, "PNG is lossless for \(channels) channel(s)")
        }
    }

    func testJPEGRoundTripIsClose() throws {
        for channels in [1, 3] {
            let img = Fixture.smooth(width: 32, height: 24, channels: channels)
            let bytes = try JPEGCodec.encode(img, quality: 95)
            let back = try ImageCodec.decode(bytes, file: "x.jpg")
            XCTAssertEqual(back.shape, img.shape)
            let maxDiff = zip(back.pixels, img.pixels).map { abs(Int($0) - Int($1)) }.max()!
            XCTAssertLessThanOrEqual(maxDiff, 12, "JPEG q95 of a smooth \(channels)-channel image")
        }
    }

    func testJPEGReducedScaleDecode() throws {
        let bytes = try JPEGCodec.encode(Fixture.smooth(width: 64, height: 48, channels: 3))
        XCTAssertEqual(try JPEGCodec.decode(bytes, file: "x", minShorterSide: 12).shape, ImageShape(height: 12, width: 16, channels: 3))
        XCTAssertEqual(try JPEGCodec.decode(bytes, file: "x", minShorterSide: 13).shape, ImageShape(height: 24, width: 32, channels: 3))
        XCTAssertEqual(try JPEGCodec.decode(bytes, file: "x").shape, ImageShape(height: 48, width: 64, channels: 3))
    }

    func testTruncatedJPEGIsAnError() throws {
        let bytes = try JPEGCodec.encode(Fixture.pattern(width: 64, height: 64, channels: 3))
        let sos = (0..<(bytes.count - 1)).first { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xDA }!
        let midScan = (sos + bytes.count) / 2
        assertDatasetError(try ImageCodec.decode(Array(bytes.prefix(midScan)), file: "half.jpg"),
                           file: "half.jpg", "truncated JPEG (no end-of-image marker)")
        assertDatasetError(try ImageCodec.decode(Array(bytes.prefix(sos / 2)), file: "head.jpg"), file: "head.jpg", "truncated")
        // Cut the scan data but keep an EOI, so only libjpeg can notice (a warning turned error).
        let cut = Array(bytes.prefix(midScan)) + [0xFF, 0xD9]
        assertDatasetError(try ImageCodec.decode(cut, file: "cut.jpg"), file: "cut.jpg", "corrupt or truncated JPEG (")
    }

    func testCorruptJPEGHeaderIsAnErrorNotACrash() throws {
        var bytes = try JPEGCodec.encode(Fixture.smooth(width: 16, height: 16, channels: 3))
        // Find the frame header (FF C0) and claim 12-bit precision: libjpeg calls error_exit.
        let sof = (0..<(bytes.count - 1)).first { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xC0 }!
        bytes[sof + 4] = 12
        assertDatasetError(try ImageCodec.decode(bytes, file: "p12.jpg"), file: "p12.jpg", "corrupt or truncated JPEG", "precision")
        // And the decoder still works afterwards (the failed thread left no damage behind).
        XCTAssertNoThrow(try ImageCodec.decode(JPEGCodec.encode(Fixture.smooth(width: 8, height: 8, channels: 1)), file: "ok"))
    }

    func testExtraneousBytesBeforeAMarkerAreTolerated() throws {
        // Some encoders leave junk between segments; libjpeg warns and decodes, and so do we.
        let img = Fixture.smooth(width: 16, height: 16, channels: 1)
        let bytes = try JPEGCodec.encode(img, quality: 95)
        let sos = (0..<(bytes.count - 1)).first { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xDA }!
        let junk = Array(bytes[..<sos]) + [1, 2, 3] + Array(bytes[sos...])
        XCTAssertEqual(try ImageCodec.decode(junk, file: "junk.jpg"), try ImageCodec.decode(bytes, file: "clean.jpg"))
    }

    func testCorruptPNGIsAnError() throws {
        let bytes = try PNGCodec.encode(Fixture.pattern(width: 16, height: 16, channels: 3))
        assertDatasetError(try ImageCodec.decode(Array(bytes.prefix(bytes.count - 20)), file: "t.png"), file: "t.png", "PNG")
        var flipped = bytes
        flipped[bytes.count / 2] ^= 0xFF  // breaks the IDAT CRC
        assertDatasetError(try ImageCodec.decode(flipped, file: "c.png"), file: "c.png", "PNG")
        assertDatasetError(try ImageCodec.decode(Array(bytes.prefix(12)), file: "h.png"), file: "h.png", "PNG")
    }

    func testUnknownFormatAndEmptyFile() {
        assertDatasetError(try ImageCodec.decode(Array("GIF89a".utf8), file: "a.gif"), file: "a.gif", "unsupported image format")
        assertDatasetError(try ImageCodec.decode([], file: "e.png"), file: "e.png", "empty")
    }
}

final class PNGColourTypeTests: XCTestCase {
    func testPaletteGreyAlphaAndLowBitDepthPNGs() throws {
        // Palette: 2×2, indices 0 1 / 2 0 into red, green, blue.
        let pal = HandPNG.encode(width: 2, height: 2, colorType: 3, palette: [255, 0, 0, 0, 255, 0, 0, 0, 255],
                                 rows: [[0, 1], [2, 0]])
        XCTAssertEqual(try ImageCodec.decode(pal, file: "p.png"),
                       Image(width: 2, height: 2, channels: 3, pixels: [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 0, 0]))
        // Grey + alpha: the alpha is dropped, the grey kept as is.
        let ga = HandPNG.encode(width: 2, height: 1, colorType: 4, rows: [[10, 255, 200, 0]])
        XCTAssertEqual(try ImageCodec.decode(ga, file: "ga.png"), Image(width: 2, height: 1, channels: 1, pixels: [10, 200]))
        // RGBA → RGB.
        let rgba = HandPNG.encode(width: 1, height: 1, colorType: 6, rows: [[1, 2, 3, 128]])
        XCTAssertEqual(try ImageCodec.decode(rgba, file: "rgba.png"), Image(width: 1, height: 1, channels: 3, pixels: [1, 2, 3]))
        // 1-bit grey expands to 0/255.
        let bits = HandPNG.encode(width: 4, height: 1, colorType: 0, bitDepth: 1, rows: [[0b1010_0000]])
        XCTAssertEqual(try ImageCodec.decode(bits, file: "b.png"), Image(width: 4, height: 1, channels: 1, pixels: [255, 0, 255, 0]))
    }
}
