import Engine
import NN

/// Shared weight surgery of growth: widening a layer's inputs (plain or net2net-split), copy noise.
enum HeadSurgery {
    /// A copy of `linear` reading `extra` more input blocks of `blockSize` after its current `blocks`
    /// (see `widenColumns`); bias and the parameters' knobs are kept.
    static func widenInputs(_ linear: Linear, blocks: Int, blockSize: Int, sources: [Int], extra: Int, net2net: Bool,
                            rng: inout RNG) -> Linear {
        let w = widenColumns(linear.weight.value, blocks: blocks, blockSize: blockSize, sources: sources, extraBlocks: extra,
                             net2net: net2net, rng: &rng)
        let widened = Linear(weight: w, bias: linear.bias?.value.copy())
        copyKnobs(from: linear.weight, to: widened.weight)
        if let b = linear.bias, let nb = widened.bias { copyKnobs(from: b, to: nb) }
        return widened
    }

    /// w: [out, blocks·blockSize] (input unit or channel c owns columns c·blockSize ..< (c+1)·blockSize) →
    /// [out, (blocks + extraBlocks)·blockSize]. New blocks are Gaussian (std 0.01), or for Net2Net copies
    /// of their source's block, each original and its replicas divided by the copy count.
    static func widenColumns(_ w: Tensor, blocks: Int, blockSize: Int, sources: [Int], extraBlocks: Int, net2net: Bool,
                             rng: inout RNG) -> Tensor {
        let out = w.shape[0], oldWidth = blocks * blockSize, newWidth = (blocks + extraBlocks) * blockSize
        let result = Tensor(zeros: [out, newWidth])
        var copies = [Float](repeating: 1, count: blocks)
        if net2net { for u in sources { copies[u] += 1 } }
        for r in 0..<out {
            let src = w.pointer + r * oldWidth, dst = result.pointer + r * newWidth
            for c in 0..<blocks { for p in 0..<blockSize { dst[c * blockSize + p] = src[c * blockSize + p] / copies[c] } }
            for j in 0..<extraBlocks {
                for p in 0..<blockSize {
                    dst[(blocks + j) * blockSize + p] = net2net ? src[sources[j] * blockSize + p] / copies[sources[j]] : 0.01 * rng.normal()
                }
            }
        }
        return result
    }

    /// Noise for copy+rand: 0.1 × the RMS of the old weights (0 without noise).
    static func copyNoiseStd(_ w: Tensor, noise: Bool) -> Float {
        guard noise else { return 0 }
        var sq: Double = 0
        for i in 0..<w.count { sq += Double(w.pointer[i] * w.pointer[i]) }
        return Float((sq / Double(max(w.count, 1))).squareRoot()) * 0.1
    }

    static func copyKnobs(from a: Parameter, to b: Parameter) {
        b.trainable = a.trainable; b.lrMultiplier = a.lrMultiplier; b.decayMultiplier = a.decayMultiplier
    }
}
