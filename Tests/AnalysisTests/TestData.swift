import Engine

/// Synthetic data for the analysis tests.
enum TestData {
    /// [n, d] standard normal entries, times `scale`, plus `offset` on every entry.
    static func gaussian(_ n: Int, _ d: Int, seed: UInt64, scale: Float = 1, offset: Float = 0) -> Tensor {
        var rng = RNG(seed: seed)
        let t = Tensor(uninitialized: [n, d])
        for i in 0..<t.count { t.pointer[i] = scale * rng.normal() + offset }
        return t
    }

    /// `clusters` Gaussian clusters of `perCluster` points in d dimensions: centres N(0, spread²) per coordinate, points
    /// N(centre, 1). Returns the points [clusters·perCluster, d] (cluster-major) and their labels.
    static func clusters(_ clusters: Int, perCluster: Int, d: Int, spread: Float, seed: UInt64) -> (Tensor, [Int]) {
        var rng = RNG(seed: seed)
        let centres = (0..<clusters).map { _ in (0..<d).map { _ in spread * rng.normal() } }
        let n = clusters * perCluster
        let x = Tensor(uninitialized: [n, d])
        var labels = [Int]()
        for c in 0..<clusters {
            for p in 0..<perCluster {
                let i = c * perCluster + p
                for k in 0..<d { x.pointer[i * d + k] = centres[c][k] + rng.normal() }
                labels.append(c)
            }
        }
        return (x, labels)
    }

    /// Max |a − b| over two equally long float buffers, with the index where it occurs.
    static func maxDifference(_ a: [Float], _ b: [Float]) -> (value: Float, at: Int) {
        var worst: Float = 0, at = 0
        for i in a.indices where abs(a[i] - b[i]) > worst { worst = abs(a[i] - b[i]); at = i }
        return (worst, at)
    }
}
