import XCTest
import Engine
import Datasets
@testable import Analysis

final class ImageGridTests: XCTestCase {
    /// 5 grey 3×2 tiles in a 2×3 grid, upscaled ×2, padding 1: the PNG decodes to the stated size, each tile's pixels
    /// sit at the stated place, the border and the empty cell are the padding value.
    func testGreyGridDecodesWithTilesInPlace() throws {
        let (h, w, up, pad) = (3, 2, 2, 1)
        // Tile t, pixel (y, x) = t·10 + y·2 + x, with per-tile min–max: 0 → 0, 5 → 255.
        let tiles = (0..<5).map { t in (0..<(h * w)).map { Float(t * 10 + $0) } }
        let bytes = try ImageGrid.png(tiles: tiles, rows: 2, columns: 3, tileShape: (1, h, w), padding: pad, upscale: up,
                                      paddingValue: 7)
        let image = try PNGCodec.decode(bytes, file: "grid.png")
        XCTAssertEqual(image.width, 3 * (w * up + pad) + pad)
        XCTAssertEqual(image.height, 2 * (h * up + pad) + pad)
        XCTAssertEqual(image.channels, 1)
        func pixel(_ x: Int, _ y: Int) -> UInt8 { image.pixels[y * image.width + x] }
        for t in 0..<5 {
            let top = pad + (t / 3) * (h * up + pad), left = pad + (t % 3) * (w * up + pad)
            for y in 0..<(h * up) {
                for x in 0..<(w * up) {
                    let source = (y / up) * w + x / up
                    let expected = UInt8((Float(source) / 5 * 255).rounded())
                    XCTAssertEqual(pixel(left + x, top + y), expected, "tile \(t) pixel (\(x), \(y))")
                }
            }
            XCTAssertEqual(pixel(left - 1, top), 7, "border left of tile \(t)")
        }
        XCTAssertEqual(pixel(0, 0), 7)
        XCTAssertEqual(pixel(pad + 2 * (w * up + pad) + 1, pad + (h * up + pad) + 1), 7, "the empty sixth cell")
        // The same tiles as a flattened tensor [k, C·H·W] with tileShape give the same PNG.
        let flat = Tensor(shape: [5, h * w], values: tiles.flatMap { $0 })
        XCTAssertEqual(try ImageGrid.png(tiles: flat, rows: 2, columns: 3, tileShape: (1, h, w), padding: pad, upscale: up,
                                         paddingValue: 7), bytes)
    }

    /// RGB tiles [k, 3, H, W] with mean/std un-normalisation land channel by channel.
    func testRGBGridWithMeanStd() throws {
        let (k, h, w) = (2, 2, 2)
        let mean: [Float] = [0.5, 0.4, 0.3], std: [Float] = [0.25, 0.2, 0.1]
        let t = Tensor(zeros: [k, 3, h, w])
        t[1, 0, 1, 0] = 2      // 2·0.25 + 0.5 = 1 → 255
        t[1, 2, 1, 0] = -3     // −3·0.1 + 0.3 = 0 → 0
        let bytes = try ImageGrid.png(tiles: t, rows: 1, columns: 2, scaling: .meanStd(mean: mean, std: std))
        let image = try PNGCodec.decode(bytes, file: "rgb.png")
        XCTAssertEqual([image.width, image.height, image.channels], [2 * (w + 2) + 2, 1 * (h + 2) + 2, 3])
        func rgb(_ x: Int, _ y: Int) -> [UInt8] { Array(image.pixels[((y * image.width + x) * 3)..<((y * image.width + x) * 3 + 3)]) }
        XCTAssertEqual(rgb(2, 2), [128, 102, 77], "a zero pixel shows the mean")
        XCTAssertEqual(rgb(2 + (w + 2), 3), [255, 102, 0], "tile 1, (x 0, y 1)")
        XCTAssertEqual(rgb(0, 0), [255, 255, 255], "border")
    }
}
