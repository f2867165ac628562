import XCTest
@testable import Engine

/// 1×1 convolutions straight on GEMM against the seven-loop reference (forward, dx, dw, dbias).
final class PointwiseConvTests: XCTestCase {
    override func tearDown() { Threads.set(1) }

    static let geometries: [ConvGeometry] = [
        // one image per GEMM on x itself (H·W ≥ 256), batch 1 and 3
        ConvGeometry(batch: 1, inChannels: 5, height: 33, width: 32, outChannels: 7, kernel: (1, 1)),
        ConvGeometry(batch: 3, inChannels: 4, height: 16, width: 16, outChannels: 5, kernel: (1, 1)),
        ConvGeometry(batch: 3, inChannels: 6, height: 32, width: 35, outChannels: 4, kernel: (1, 1)),
        // small images side by side in one GEMM (gathered blocks), odd sizes
        ConvGeometry(batch: 1, inChannels: 6, height: 5, width: 7, outChannels: 4, kernel: (1, 1)),
        ConvGeometry(batch: 3, inChannels: 4, height: 3, width: 3, outChannels: 9, kernel: (1, 1)),
        ConvGeometry(batch: 5, inChannels: 3, height: 1, width: 1, outChannels: 2, kernel: (1, 1)),
        // so many output channels that two images fill a core's L2: five images in chunks of 2, 2, 1
        ConvGeometry(batch: 5, inChannels: 3, height: 4, width: 4, outChannels: ConvKernels.l2Floats / 32, kernel: (1, 1)),
        // strided (ResNet downsample), even and odd sizes, unequal strides
        ConvGeometry(batch: 3, inChannels: 6, height: 8, width: 8, outChannels: 5, kernel: (1, 1), stride: (2, 2)),
        ConvGeometry(batch: 1, inChannels: 4, height: 7, width: 9, outChannels: 3, kernel: (1, 1), stride: (2, 2)),
        ConvGeometry(batch: 2, inChannels: 3, height: 65, width: 66, outChannels: 4, kernel: (1, 1), stride: (2, 2)),
        ConvGeometry(batch: 2, inChannels: 3, height: 5, width: 8, outChannels: 2, kernel: (1, 1), stride: (1, 3)),
        // dilation changes nothing for a 1×1 kernel
        ConvGeometry(batch: 2, inChannels: 3, height: 4, width: 6, outChannels: 3, kernel: (1, 1), dilation: (2, 2)),
        // grouped 1×1
        ConvGeometry(batch: 2, inChannels: 4, height: 3, width: 3, outChannels: 6, kernel: (1, 1), groups: 2),
        ConvGeometry(batch: 3, inChannels: 6, height: 33, width: 33, outChannels: 9, kernel: (1, 1), groups: 3),
        ConvGeometry(batch: 2, inChannels: 6, height: 9, width: 9, outChannels: 3, kernel: (1, 1), stride: (2, 2), groups: 3),
    ]

    let direct = ConvPathCheck(
        forward: { x, w, b, y, g in PointwiseConv.forward(x: x, w: w, bias: b, y: y, g) },
        backward: { x, w, dy, dx, dw, db, g in
            PointwiseConv.backward(x: x, w: w, dy: dy, dx: dx, dw: dw, g)
            ConvKernels.biasGradient(dy: dy, dbias: db, g)
        })

    func testGEMMPathMatchesReference() {
        for threads in [1, 2] {
            Threads.set(threads)
            for (i, g) in Self.geometries.enumerated() {
                XCTAssertTrue(PointwiseConv.supports(g), "#\(i) \(g) should be pointwise")
                direct.check(g, seed: UInt64(200 + i), "pointwise #\(i)")
            }
        }
    }

    /// Small images share a GEMM up to `targetColumns`, fewer where their blocks would overflow a core's L2.
    func testChunksOfSmallImages() {
        XCTAssertEqual(PointwiseConv.chunkSize(Self.geometries[0], slice: 1), 1, "33×32 pixels: a GEMM of its own")
        XCTAssertEqual(PointwiseConv.chunkSize(Self.geometries[4], slice: 3), 3, "3×3 pixels, few channels: all together")
        let wide = Self.geometries[6]
        XCTAssertEqual(PointwiseConv.chunkSize(wide, slice: 5), 2, "\(wide.outChannels) channels at 4×4: two images fill L2")
    }

    func testConvKernelsDispatch() {
        let g = Self.geometries[0]
        XCTAssertEqual(ConvKernels.path(for: g), .pointwise)
        XCTAssertEqual(ConvKernels.columnBufferSize(g), 0, "1×1 convolutions keep no im2col cache")
        // Padded 1×1 convolutions stay on im2col.
        let padded = ConvGeometry(batch: 1, inChannels: 2, height: 4, width: 4, outChannels: 3, kernel: (1, 1), padding: (1, 1, 1, 1))
        XCTAssertFalse(PointwiseConv.supports(padded))
        XCTAssertEqual(ConvKernels.path(for: padded), .im2col)
        ConvKernels.fastPaths = false
        defer { ConvKernels.fastPaths = true }
        XCTAssertEqual(ConvKernels.path(for: g), .im2col)
    }
}
