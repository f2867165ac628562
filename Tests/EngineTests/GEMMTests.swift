import XCTest
@testable import Engine

/// The GEMM seam, on each backend, against the naive triple loop, over transposes, odd sizes and strides.
final class GEMMTests: XCTestCase {
    override func setUp() { Threads.set(1) }
    override func tearDown() { GEMM.backend = .onednn }

    func testSgemmMatchesNaiveReference() {
        var rng = RNG(seed: 1)
        for backend in GEMM.Backend.allCases {
            GEMM.backend = backend
            for (m, n, k) in [(1, 1, 1), (3, 5, 7), (17, 1, 33), (64, 31, 9), (2, 100, 1), (33, 65, 129), (4, 6, 200)] {
                for transA in [false, true] {
                    for transB in [false, true] {
                        for (alpha, beta): (Float, Float) in [(1, 0), (0.5, 1), (-2, 0.25)] {
                            let a = randomTensor(transA ? [k, m] : [m, k], &rng), b = randomTensor(transB ? [n, k] : [k, n], &rng)
                            let c0 = randomTensor([m, n], &rng)
                            let fast = c0.copy(), slow = c0.copy()
                            let lda = transA ? m : k, ldb = transB ? k : n
                            GEMM.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a.pointer, lda: lda,
                                       b: b.pointer, ldb: ldb, beta: beta, c: fast.pointer, ldc: n)
                            GEMM.naive(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a.pointer, lda: lda,
                                       b: b.pointer, ldb: ldb, beta: beta, c: slow.pointer, ldc: n)
                            assertClose(fast, slow, atol: 1e-4, rtol: 1e-4, "\(backend) sgemm m\(m) n\(n) k\(k) tA\(transA) tB\(transB) α\(alpha) β\(beta)")
                        }
                    }
                }
            }
        }
    }

    /// Products large enough to be split across workers, by columns (wide C) and by rows (tall C), with strides
    /// larger than the matrices; and inside a worker (no nested split), at 2 and 3 threads.
    func testSplitSgemmMatchesNaiveReference() {
        defer { Threads.set(1) }
        var rng = RNG(seed: 2)
        for (threads, backend) in [(2, GEMM.Backend.onednn), (3, .onednn), (2, .openblas)] {
            Threads.set(threads)
            GEMM.backend = backend
            for (m, n, k) in [(40, 301, 200), (301, 40, 200), (130, 130, 130)] {
                XCTAssertGreaterThanOrEqual(m * n * k, GEMM.splitMultiplyAdds)
                for transA in [false, true] {
                    for transB in [false, true] {
                        let (lda, ldb, ldc) = ((transA ? m : k) + 3, (transB ? k : n) + 5, n + 7)
                        let a = randomTensor([(transA ? k : m) * lda], &rng), b = randomTensor([(transB ? n : k) * ldb], &rng)
                        let c0 = randomTensor([m * ldc], &rng)
                        let fast = c0.copy(), slow = c0.copy(), nested = c0.copy()
                        GEMM.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.5, a: a.pointer, lda: lda,
                                   b: b.pointer, ldb: ldb, beta: 1, c: fast.pointer, ldc: ldc)
                        GEMM.naive(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.5, a: a.pointer, lda: lda,
                                   b: b.pointer, ldb: ldb, beta: 1, c: slow.pointer, ldc: ldc)
                        parallelFor(1) { _ in
                            GEMM.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.5, a: a.pointer, lda: lda,
                                       b: b.pointer, ldb: ldb, beta: 1, c: nested.pointer, ldc: ldc)
                        }
                        let what = "\(backend) m\(m) n\(n) k\(k) tA\(transA) tB\(transB) T\(threads)"
                        assertClose(fast, slow, atol: 1e-3, rtol: 1e-4, "split sgemm " + what)   // padding between rows untouched too
                        assertClose(nested, slow, atol: 1e-3, rtol: 1e-4, "sgemm inside a worker " + what)
                    }
                }
            }
        }
    }

    /// Long-k products with Bᵀ go to OpenBLAS even when oneDNN is the backend; everything else follows the backend.
    func testLibraryChoice() {
        GEMM.backend = .onednn
        XCTAssertEqual(GEMM.library(transB: true, m: 16, n: 96, k: 12_544), .openblas)
        XCTAssertEqual(GEMM.library(transB: true, m: 128, n: 128, k: 2_047), .onednn)
        XCTAssertEqual(GEMM.library(transB: false, m: 16, n: 96, k: 12_544), .onednn)
        XCTAssertEqual(GEMM.library(transB: false, m: 4, n: 4, k: 0), .openblas)
        GEMM.backend = .openblas
        XCTAssertEqual(GEMM.library(transB: false, m: 512, n: 512, k: 512), .openblas)
    }

    func testWorkerMarkIsScopedToLoopBodies() {
        defer { Threads.set(1) }
        Threads.set(2)
        XCTAssertFalse(Threads.isWorker)
        XCTAssertEqual(Threads.available, 2)
        let inside = UnsafeMutablePointer<Int>.allocate(capacity: 4)
        defer { inside.deallocate() }
        parallelFor(4) { r in for i in r { inside[i] = Threads.available } }
        XCTAssertEqual((0..<4).map { inside[$0] }, [1, 1, 1, 1], "nested loops run inline")
        XCTAssertFalse(Threads.isWorker, "the calling thread's mark is restored")
    }

    func testThreadCountDrivesOpenBLAS() {
        Threads.set(2)
        XCTAssertEqual(Threads.count, 2)
        Threads.set(0)
        XCTAssertEqual(Threads.count, 1, "thread count is clamped to at least 1")
    }
}

func randomTensor(_ shape: [Int], _ rng: inout RNG, scale: Float = 1) -> Tensor {
    let t = Tensor(uninitialized: shape)
    for i in 0..<t.count { t.pointer[i] = scale * rng.normal() }
    return t
}

/// Fails with the first differing element, the max difference and the shape.
func assertClose(_ a: Tensor, _ b: Tensor, atol: Float, rtol: Float, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
    guard a.shape == b.shape else { return XCTFail("\(what): shape \(a.shape) vs \(b.shape)", file: file, line: line) }
    var worst = 0 as Float, worstIndex = -1, firstBad = -1
    for i in 0..<a.count {
        let d = abs(a.pointer[i] - b.pointer[i])
        if d > worst || d.isNaN { worst = d; worstIndex = i }
        if firstBad < 0 && !(d <= atol + rtol * abs(b.pointer[i])) { firstBad = i }
    }
    if firstBad >= 0 {
        XCTFail("\(what): shape \(a.shape), first mismatch at flat \(firstBad): \(a.pointer[firstBad]) vs \(b.pointer[firstBad]); "
                + "max |diff| \(worst) at \(worstIndex) (atol \(atol), rtol \(rtol))", file: file, line: line)
    }
}
