import XCTest
@testable import Engine

final class TransposeTests: XCTestCase {
    /// Shapes around the 8×8 block and the 64-column band (partial blocks on either side, single rows and columns), with
    /// and without a bias, at 1 and 2 threads, in every instruction-set build of the kernel.
    func testBlockedTransposeMatchesNaive() {
        defer { Threads.set(1); CPUKernels.current = CPUKernels.supported }
        var rng = RNG(seed: 8)
        let shapes = [(1, 1), (1, 37), (37, 1), (8, 8), (16, 16), (15, 17), (33, 48), (100, 128), (1000, 7), (9, 130), (128, 4096)]
        for isa in CPUKernels.ISA.allCases where isa <= CPUKernels.supported {
            CPUKernels.current = isa
            for (threads, (rows, cols)) in shapes.flatMap({ shape in [1, 2].map { ($0, shape) } }) {
                Threads.set(threads)
                let src = randomTensor([rows, cols], &rng), bias = randomTensor([rows], &rng)
                for withBias in [false, true] {
                    let fast = Tensor(shape: [cols, rows], repeating: .nan), slow = Tensor(shape: [cols, rows], repeating: -1)
                    Transpose.transpose(src.pointer, rows: rows, cols: cols, into: fast.pointer, addingRowBias: withBias ? bias.pointer : nil)
                    Transpose.naive(src.pointer, rows: rows, cols: cols, into: slow.pointer, addingRowBias: withBias ? bias.pointer : nil)
                    assertClose(fast, slow, atol: 0, rtol: 0, "\(rows)×\(cols) bias \(withBias) T\(threads) \(isa)")
                }
            }
        }
    }
}
