import XCTest
@testable import Engine

final class TransposeTests: XCTestCase {
    /// Shapes around the 16-element tile (partial tiles on either side, single rows and columns), with and without a bias.
    func testTiledTransposeMatchesNaive() {
        defer { Threads.set(1) }
        var rng = RNG(seed: 8)
        for (threads, (rows, cols)) in [(1, 1), (1, 37), (37, 1), (16, 16), (15, 17), (33, 48), (100, 128), (1000, 7), (128, 4096)]
            .flatMap({ shape in [1, 2].map { ($0, shape) } }) {
            Threads.set(threads)
            let src = randomTensor([rows, cols], &rng), bias = randomTensor([rows], &rng)
            for withBias in [false, true] {
                let fast = Tensor(shape: [cols, rows], repeating: .nan), slow = Tensor(shape: [cols, rows], repeating: -1)
                Transpose.transpose(src.pointer, rows: rows, cols: cols, into: fast.pointer, addingRowBias: withBias ? bias.pointer : nil)
                Transpose.naive(src.pointer, rows: rows, cols: cols, into: slow.pointer, addingRowBias: withBias ? bias.pointer : nil)
                assertClose(fast, slow, atol: 0, rtol: 0, "\(rows)×\(cols) bias \(withBias) T\(threads)")
            }
        }
    }
}
