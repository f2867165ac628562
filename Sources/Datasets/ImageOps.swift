import Foundation

/// Deterministic pixel operations on 8-bit HWC images; the transforms compose these.
public enum ImageOps {
    /// Resamples to `height`×`width` with a bilinear (triangle) filter on half-pixel centres. When
    /// shrinking, the triangle widens by the scale factor so every input pixel contributes
    /// (antialiasing, as PIL's BILINEAR does); when enlarging it is plain bilinear interpolation.
    /// Weights are normalised, so a constant image stays constant.
    public static func resize(_ img: Image, height: Int, width: Int) -> Image {
        precondition(height > 0 && width > 0, "resize: target \(height)×\(width) must be positive")
        if height == img.height && width == img.width { return img }
        let c = img.channels
        let hTaps = FilterTaps(input: img.width, output: width)
        let vTaps = FilterTaps(input: img.height, output: height)
        // Horizontal pass: [inH, outW, C] floats; then vertical into bytes.
        var mid = [Float](repeating: 0, count: img.height * width * c)
        var out = [UInt8](repeating: 0, count: height * width * c)
        img.pixels.withUnsafeBufferPointer { src in
            mid.withUnsafeMutableBufferPointer { m in
                hTaps.weights.withUnsafeBufferPointer { w in
                    for y in 0..<img.height {
                        let srcRow = src.baseAddress! + y * img.width * c, midRow = m.baseAddress! + y * width * c
                        for x in 0..<width {
                            let p = srcRow + hTaps.start[x] * c, n = hTaps.count[x], wb = w.baseAddress! + x * hTaps.stride
                            if c == 3 {  // the common case, with the channel loop unrolled
                                var s0: Float = 0, s1: Float = 0, s2: Float = 0
                                for k in 0..<n {
                                    let wk = wb[k], q = p + 3 * k
                                    s0 += wk * Float(q[0]); s1 += wk * Float(q[1]); s2 += wk * Float(q[2])
                                }
                                midRow[3 * x] = s0; midRow[3 * x + 1] = s1; midRow[3 * x + 2] = s2
                            } else {
                                for ch in 0..<c {
                                    var s: Float = 0
                                    for k in 0..<n { s += wb[k] * Float(p[k * c + ch]) }
                                    midRow[x * c + ch] = s
                                }
                            }
                        }
                    }
                }
            }
        }
        // Vertical pass: each output row is a weighted sum of whole input rows (contiguous, vectorises).
        let row = width * c
        var acc = [Float](repeating: 0, count: row)
        mid.withUnsafeBufferPointer { m in
            out.withUnsafeMutableBufferPointer { o in
                acc.withUnsafeMutableBufferPointer { a in
                    for y in 0..<height {
                        let lo = vTaps.start[y], n = vTaps.count[y], wb = y * vTaps.stride
                        a.update(repeating: 0)
                        for k in 0..<n {
                            let wk = vTaps.weights[wb + k], src = m.baseAddress! + (lo + k) * row
                            for i in 0..<row { a[i] += wk * src[i] }
                        }
                        let dst = o.baseAddress! + y * row
                        for i in 0..<row { dst[i] = UInt8(Swift.min(Swift.max(a[i] + 0.5, 0), 255)) }  // round half up
                    }
                }
            }
        }
        return Image(width: width, height: height, channels: c, pixels: out)
    }

    /// Resizes so the shorter side becomes `side`, keeping the aspect ratio (rounded to whole pixels).
    public static func resize(_ img: Image, shorterSide side: Int) -> Image {
        if img.height <= img.width {
            return resize(img, height: side, width: Swift.max(1, Int((Double(img.width) * Double(side) / Double(img.height)).rounded())))
        }
        return resize(img, height: Swift.max(1, Int((Double(img.height) * Double(side) / Double(img.width)).rounded())), width: side)
    }

    /// The `height`×`width` window whose top-left corner is at (`top`, `left`); the window may reach
    /// outside the image (negative offsets, or a crop larger than the image), where it reads zeros.
    public static func crop(_ img: Image, top: Int, left: Int, height: Int, width: Int) -> Image {
        let c = img.channels
        var out = [UInt8](repeating: 0, count: height * width * c)
        let x0 = Swift.max(0, -left), x1 = Swift.min(width, img.width - left)
        if x1 > x0 {
            img.pixels.withUnsafeBufferPointer { src in
                out.withUnsafeMutableBufferPointer { dst in
                    for y in 0..<height {
                        let sy = y + top
                        if sy < 0 || sy >= img.height { continue }
                        let s = src.baseAddress! + (sy * img.width + left + x0) * c
                        (dst.baseAddress! + (y * width + x0) * c).update(from: s, count: (x1 - x0) * c)
                    }
                }
            }
        }
        return Image(width: width, height: height, channels: c, pixels: out)
    }

    /// The centred `height`×`width` window (zero-padded if the image is smaller).
    public static func centerCrop(_ img: Image, height: Int, width: Int) -> Image {
        crop(img, top: (img.height - height) / 2, left: (img.width - width) / 2, height: height, width: width)
    }

    /// Mirrors left–right.
    public static func flipHorizontally(_ img: Image) -> Image {
        let c = img.channels, w = img.width
        var out = img.pixels
        img.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<img.height {
                    let s = src.baseAddress! + y * w * c, d = dst.baseAddress! + y * w * c
                    if c == 1 {
                        for x in 0..<w { d[x] = s[w - 1 - x] }
                    } else {
                        for x in 0..<w { (d + x * c).update(from: s + (w - 1 - x) * c, count: c) }
                    }
                }
            }
        }
        return Image(width: w, height: img.height, channels: c, pixels: out)
    }

    /// Grey → RGB by replication, RGB → grey by ITU-R 601 luma; unchanged when already `channels`.
    public static func convert(_ img: Image, channels: Int) -> Image {
        precondition(channels == 1 || channels == 3, "convert: \(channels) channels, expected 1 or 3")
        if img.channels == channels { return img }
        let n = img.width * img.height
        var out = [UInt8](repeating: 0, count: n * channels)
        img.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                if channels == 3 {
                    for p in 0..<n { let v = src[p]; dst[3 * p] = v; dst[3 * p + 1] = v; dst[3 * p + 2] = v }
                } else {
                    for p in 0..<n {
                        let y = 0.299 * Float(src[3 * p]) + 0.587 * Float(src[3 * p + 1]) + 0.114 * Float(src[3 * p + 2])
                        dst[p] = UInt8(Swift.min(y.rounded(), 255))
                    }
                }
            }
        }
        return Image(width: img.width, height: img.height, channels: channels, pixels: out)
    }
}

/// Per-output-pixel filter taps along one axis: `count[o]` weights from input `start[o]`.
struct FilterTaps {
    var start: [Int], count: [Int], weights: [Float]
    let stride: Int

    init(input: Int, output: Int) {
        let scale = Double(input) / Double(output)
        let support = Swift.max(scale, 1)  // triangle radius in input pixels
        stride = Int(ceil(support)) * 2 + 1
        start = [Int](repeating: 0, count: output)
        count = start
        weights = [Float](repeating: 0, count: output * stride)
        for o in 0..<output {
            let center = (Double(o) + 0.5) * scale
            let lo = Swift.max(Int(center - support + 0.5), 0)
            let hi = Swift.min(Int(center + support + 0.5), input)
            var total = 0.0
            var w = [Double]()
            for j in lo..<Swift.max(hi, lo + 1) {
                let t = Swift.max(0, 1 - abs((Double(j) + 0.5 - center) / support))
                w.append(t); total += t
            }
            start[o] = lo
            count[o] = w.count
            for (k, t) in w.enumerated() { weights[o * stride + k] = Float(total > 0 ? t / total : 1 / Double(w.count)) }
        }
    }
}
