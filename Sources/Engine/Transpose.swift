/// Matrix transpose in tiles, with a naive reference beside it.
///
/// src: [rows, cols] (row stride `cols`) → dst: [cols, rows], dst[j, i] = src[i, j] + rowBias[i].
public enum Transpose {
    /// Tile side: a 16×16 tile of each matrix (1 KiB) stays in L1 while it is read down its columns.
    static let tile = 16

    /// Transposes `src` into `dst`, adding `rowBias[i]` (one value per source row) when given. Workers take
    /// disjoint bands of 16 source columns (destination rows).
    public static func transpose(_ src: UnsafePointer<Float>, rows: Int, cols: Int, into dst: UnsafeMutablePointer<Float>,
                                 addingRowBias rowBias: UnsafePointer<Float>? = nil) {
        let (s, d, b) = (UncheckedSendable(src), UncheckedSendable(dst), UncheckedSendable(rowBias))
        let bands = (cols + tile - 1) / tile
        parallelFor(bands, minPerThread: Swift.max(1, 65_536 / Swift.max(rows * tile, 1))) { range in
            for band in range {
                let j0 = band * tile, j1 = Swift.min(j0 + tile, cols)
                var i0 = 0
                while i0 < rows {
                    let i1 = Swift.min(i0 + tile, rows)
                    for j in j0..<j1 {
                        let out = d.value + j * rows
                        if let bias = b.value {
                            for i in i0..<i1 { out[i] = s.value[i * cols + j] + bias[i] }
                        } else {
                            for i in i0..<i1 { out[i] = s.value[i * cols + j] }
                        }
                    }
                    i0 = i1
                }
            }
        }
    }

    /// The reference: one element at a time, row by row. Tests only.
    public static func naive(_ src: UnsafePointer<Float>, rows: Int, cols: Int, into dst: UnsafeMutablePointer<Float>,
                             addingRowBias rowBias: UnsafePointer<Float>? = nil) {
        for i in 0..<rows {
            for j in 0..<cols { dst[j * rows + i] = src[i * cols + j] + (rowBias?[i] ?? 0) }
        }
    }
}
