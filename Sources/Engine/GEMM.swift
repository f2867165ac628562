import CDNNL
import COpenBLAS
import Foundation

/// The matrix-multiply seam: every GEMM in GrowingBrain goes through here (oneDNN's `dnnl_sgemm`, or OpenBLAS).
///
/// Row-major: C[m,n] = alpha * op(A)[m,k] * op(B)[k,n] + beta * C[m,n], where op(A) is A or Aᵀ.
/// `lda`, `ldb`, `ldc` are the row strides of A, B, C as stored.
public enum GEMM {
    /// The library that multiplies.
    public enum Backend: String, Sendable, CaseIterable {
        /// oneDNN's JIT GEMM, which picks AVX-512 or AVX2 kernels for the CPU at run time. Single-threaded per
        /// call like OpenBLAS here, and faster on the network shapes measured (AMD EPYC with AVX-512, 1 thread:
        /// 1024³ 108 vs 99 GFLOP/s; ResNet's 512×128×4608 5.8 vs 6.6 ms; the MLP head's weight gradient
        /// 1024×4096×128 10.4 vs 12.5 ms) except long-k products with Bᵀ, which `library` leaves to OpenBLAS.
        case onednn
        /// OpenBLAS, single-threaded.
        case openblas
    }

    /// What multiplies matrices, for benchmarks and run records: "oneDNN" or "OpenBLAS (Zen)".
    public static var libraryName: String { backend == .onednn ? "oneDNN" : "OpenBLAS (\(Threads.blasCore))" }

    /// `GROW_GEMM=openblas` selects OpenBLAS; oneDNN otherwise.
    nonisolated(unsafe) public static var backend: Backend =
        ProcessInfo.processInfo.environment["GROW_GEMM"].flatMap(Backend.init(rawValue:)) ?? .onednn

    /// Outside a parallel loop, a product of at least `splitMultiplyAdds` is split into one block of C's columns
    /// (or rows, when C is taller than wide) per worker, each a single-threaded library call: the engine's
    /// workers do all the threading (see `Threads.set`). Blocks start at multiples of 16 columns/rows, so a
    /// given thread count always splits the same way and results repeat bit for bit.
    public static func sgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                             alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                             b: UnsafePointer<Float>, ldb: Int,
                             beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        if m == 0 || n == 0 { return }
        let byColumns = n >= m
        let workers = Swift.min(Threads.available, (byColumns ? n : m) / 16)
        guard workers > 1, m * n * k >= splitMultiplyAdds else {
            return blas(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
        }
        let (ap, bp, cp) = (UncheckedSendable(a), UncheckedSendable(b), UncheckedSendable(c))
        parallelFor(workers) { blocks in
            for w in blocks {
                let extent = byColumns ? n : m
                let lo = (extent * w / workers) & ~15, hi = w == workers - 1 ? extent : (extent * (w + 1) / workers) & ~15
                guard lo < hi else { continue }
                if byColumns {   // C[:, lo..<hi] = op(A) · op(B)[:, lo..<hi]
                    blas(transA, transB, m, hi - lo, k, alpha, ap.value, lda, bp.value + (transB ? lo * ldb : lo), ldb,
                         beta, cp.value + lo, ldc)
                } else {         // C[lo..<hi, :] = op(A)[lo..<hi, :] · op(B)
                    blas(transA, transB, hi - lo, n, k, alpha, ap.value + (transA ? lo : lo * lda), lda, bp.value, ldb,
                         beta, cp.value + lo * ldc, ldc)
                }
            }
        }
    }

    /// The library a product runs on: `backend`, except that OpenBLAS takes k = 0 and products with Bᵀ and k at least
    /// 16× the larger side of C (weight gradients: dW = dy·colsᵀ over many pixels), where oneDNN's JIT GEMM ran up to
    /// 2× slower (AMD EPYC AVX-512, 1 thread: 16×96 with k = 12,544 1.15 vs 0.60 ms, 64×64 with k = 8,192 1.79 vs
    /// 1.05 ms; at k = 16× — 128×128×2048 — the two were level, below it oneDNN was ahead).
    public static func library(transB: Bool, m: Int, n: Int, k: Int) -> Backend {
        if backend == .openblas || k == 0 || (transB && k >= 16 * Swift.max(m, n)) { return .openblas }
        return .onednn
    }

    /// Smallest product (m·n·k) split across workers: below it a dispatch (~10 µs) costs more than it saves.
    public static let splitMultiplyAdds = 1 << 21

    @inline(__always)
    static func blas(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
                     _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                     _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
        if library(transB: transB, m: m, n: n, k: k) == .onednn {
            OneDNNRuntime.singleThreaded()   // this thread's OpenMP team: 1 (the engine's workers split)
            let status = dnnl_sgemm(transA ? 84 : 78, transB ? 84 : 78, Int64(m), Int64(n), Int64(k), alpha, a, Int64(lda),
                                    b, Int64(ldb), beta, c, Int64(ldc))   // 'T' : 'N'
            precondition(status == dnnl_success, "dnnl_sgemm failed (status \(status.rawValue)) for m \(m) n \(n) k \(k)")
            return
        }
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// The naive reference for `sgemm` (triple loop, Double accumulation). Tests only.
    public static func naive(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                             alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                             b: UnsafePointer<Float>, ldb: Int,
                             beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k {
                    let av = transA ? a[p * lda + i] : a[i * lda + p]
                    let bv = transB ? b[j * ldb + p] : b[p * ldb + j]
                    s += Double(av) * Double(bv)
                }
                let prior = beta == 0 ? 0 : Double(beta) * Double(c[i * ldc + j])
                c[i * ldc + j] = Float(Double(alpha) * s + prior)
            }
        }
    }
}

/// y += alpha * x over n floats (BLAS saxpy).
@inlinable
public func axpy(_ n: Int, _ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
    cblas_saxpy(Int32(n), alpha, x, 1, y, 1)
}
