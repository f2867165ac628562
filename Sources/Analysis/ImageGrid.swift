import Engine
import Datasets

/// Lays out k images (grey or RGB, float CHW) as one PNG: a grid of tiles with a border of `padding` pixels around
/// and between them. Used to show the images a unit responds to most.
///
/// Size: width = columns·(W·upscale + padding) + padding, height = rows·(H·upscale + padding) + padding. Tile t sits
/// at row t / columns, column t % columns; its top-left pixel is at (padding + column·(W·upscale + padding),
/// padding + row·(H·upscale + padding)). Cells without a tile, and the border, are `paddingValue`.
public enum ImageGrid {
    /// How float pixel values become 0…255.
    public enum Scaling: Sendable {
        /// Each tile is stretched from its own minimum to its maximum (over all channels) to 0…255; a constant tile
        /// becomes 128. Shows the structure of any input, but hides absolute brightness.
        case perTileMinMax
        /// Undoes a normalisation x = (v − mean[c])/std[c] with v in [0, 1]: v = x·std[c] + mean[c], clamped to
        /// [0, 1], times 255. mean and std have one entry per channel (or one for all).
        case meanStd(mean: [Float], std: [Float])
        /// Values in [lo, hi] map linearly to 0…255, clamped outside.
        case range(lo: Float, hi: Float)
    }

    /// tiles: [k, C, H, W] (C = 1 or 3) → PNG bytes; with `tileShape` given, any [k, …] holding k·C·H·W values
    /// (e.g. flattened rows [k, C·H·W]). k ≤ rows·columns; `upscale` repeats each pixel (nearest) so 28×28 tiles
    /// are visible.
    public static func png(tiles: Tensor, rows: Int, columns: Int, tileShape: (channels: Int, height: Int, width: Int)? = nil,
                           padding: Int = 2, upscale: Int = 1, scaling: Scaling = .perTileMinMax,
                           paddingValue: UInt8 = 255) throws -> [UInt8] {
        var grid = tiles
        if let s = tileShape {
            let k = tiles.shape.first ?? 0
            require(tiles.count == k * s.channels * s.height * s.width, "ImageGrid.png",
                    "expected \(k) tiles of \(s.channels)×\(s.height)×\(s.width) values, got shape \(tiles.shape)")
            grid = tiles.reshaped([k, s.channels, s.height, s.width])
        }
        return try PNGCodec.encode(image(tiles: grid, rows: rows, columns: columns, padding: padding, upscale: upscale,
                                         scaling: scaling, paddingValue: paddingValue))
    }

    /// tiles: k arrays, each one CHW image of `tileShape` → PNG bytes. See `png(tiles: Tensor, …)`.
    public static func png(tiles: [[Float]], rows: Int, columns: Int, tileShape: (channels: Int, height: Int, width: Int),
                           padding: Int = 2, upscale: Int = 1, scaling: Scaling = .perTileMinMax,
                           paddingValue: UInt8 = 255) throws -> [UInt8] {
        let size = tileShape.channels * tileShape.height * tileShape.width
        if let bad = tiles.firstIndex(where: { $0.count != size }) {
            fatalError("ImageGrid.png: tile \(bad) has \(tiles[bad].count) values, expected \(tileShape.channels)×\(tileShape.height)×\(tileShape.width) = \(size)")
        }
        let t = Tensor(uninitialized: [tiles.count, tileShape.channels, tileShape.height, tileShape.width])
        for (i, tile) in tiles.enumerated() { tile.withUnsafeBufferPointer { (t.pointer + i * size).update(from: $0.baseAddress!, count: size) } }
        return try png(tiles: t, rows: rows, columns: columns, padding: padding, upscale: upscale, scaling: scaling,
                       paddingValue: paddingValue)
    }

    /// The grid as an 8-bit `Image` (HWC), before PNG encoding. tiles: [k, C, H, W].
    public static func image(tiles: Tensor, rows: Int, columns: Int, padding: Int = 2, upscale: Int = 1,
                             scaling: Scaling = .perTileMinMax, paddingValue: UInt8 = 255) -> Image {
        guard tiles.shape.count == 4, tiles.shape[1] == 1 || tiles.shape[1] == 3 else {
            fatalError("ImageGrid: tiles must be [k, C, H, W] with C = 1 or 3, got shape \(tiles.shape)")
        }
        let (k, c, h, w) = (tiles.shape[0], tiles.shape[1], tiles.shape[2], tiles.shape[3])
        require(rows >= 1 && columns >= 1 && k <= rows * columns, "ImageGrid",
                "expected at most rows·columns = \(rows)·\(columns) = \(rows * columns) tiles, got \(k)")
        require(padding >= 0 && upscale >= 1, "ImageGrid", "expected padding ≥ 0 and upscale ≥ 1, got \(padding), \(upscale)")
        if case .meanStd(let mean, let std) = scaling {
            require((mean.count == c || mean.count == 1) && (std.count == c || std.count == 1), "ImageGrid",
                    "expected mean and std with 1 or \(c) entries, got \(mean.count) and \(std.count)")
        }
        let (th, tw) = (h * upscale, w * upscale)
        let width = columns * (tw + padding) + padding, height = rows * (th + padding) + padding
        var pixels = [UInt8](repeating: paddingValue, count: width * height * c)
        for t in 0..<k {
            let src = tiles.pointer + t * c * h * w
            let map = byteMap(scaling, tile: UnsafeBufferPointer(start: src, count: c * h * w), channels: c)
            let top = padding + (t / columns) * (th + padding), left = padding + (t % columns) * (tw + padding)
            for y in 0..<th {
                for x in 0..<tw {
                    for ch in 0..<c {
                        // Nearest upscaling: output pixel (y, x) shows input pixel (y / upscale, x / upscale).
                        let v = src[(ch * h + y / upscale) * w + x / upscale]
                        pixels[((top + y) * width + left + x) * c + ch] = map(v, ch)
                    }
                }
            }
        }
        return Image(width: width, height: height, channels: c, pixels: pixels)
    }

    /// The float → byte map of one tile (CHW values) under `scaling`.
    private static func byteMap(_ scaling: Scaling, tile: UnsafeBufferPointer<Float>, channels: Int) -> (Float, Int) -> UInt8 {
        func byte(_ unit: Float) -> UInt8 { UInt8((Swift.min(Swift.max(unit, 0), 1) * 255).rounded()) }
        switch scaling {
        case .perTileMinMax:
            let lo = tile.min() ?? 0, hi = tile.max() ?? 0
            if hi <= lo { return { _, _ in 128 } }
            return { v, _ in byte((v - lo) / (hi - lo)) }
        case .meanStd(let mean, let std):
            return { v, ch in byte(v * std[std.count == 1 ? 0 : ch] + mean[mean.count == 1 ? 0 : ch]) }
        case .range(let lo, let hi):
            return { v, _ in byte(hi > lo ? (v - lo) / (hi - lo) : 0.5) }
        }
    }
}
