import Engine
import NN

/// Full-width weights that PyTorch and Swift both compute from the tensor's name alone, so logits can be
/// compared without storing 138 M parameters. The twin of `deterministic()` in
/// scripts/make_torchvision_fixtures.py; keep the two identical:
///
///     h   = FNV-1a 64 of the name's UTF-8 bytes
///     u_i = (splitmix64(h XOR i) >> 40) · 2⁻²³ − 1        uniform in [−1, 1), exact in Float32
///     v_i = offset + scale · u_i                            in Float32, (offset, scale) from the name:
///           running_var (1, 0.5) · running_mean (0, 0.1) · bias (0, 0.1) · rank-1 weight (1, 0.25)
///           · other weight (0, √(6 / fan_in)), i.e. He variance 2 / fan_in.
enum DeterministicWeights {
    static func fnv1a64(_ name: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in name.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        return h
    }

    static func offsetAndScale(_ name: String, _ shape: [Int]) -> (offset: Float, scale: Float) {
        if name.hasSuffix("running_var") { return (1, 0.5) }
        if name.hasSuffix("running_mean") { return (0, 0.1) }
        if name.hasSuffix(".bias") { return (0, 0.1) }
        if name.hasSuffix(".weight") && shape.count == 1 { return (1, 0.25) }
        precondition(name.hasSuffix(".weight"), "DeterministicWeights: no rule for \(name) \(shape)")
        let fanIn = shape.dropFirst().reduce(1, *)
        return (0, Float((6.0 / Double(fanIn)).squareRoot()))
    }

    /// Overwrites `t` with the deterministic values of the entry called `name`.
    static func fill(_ t: Tensor, name: String) {
        let (offset, scale) = offsetAndScale(name, t.shape)
        let h = fnv1a64(name)
        // A raw pointer loop: debug builds run this over VGG-16's 138 M values.
        let p = t.pointer
        for i in 0..<t.count {
            var z = (h ^ UInt64(i)) &+ 0x9E37_79B9_7F4A_7C15
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            p[i] = offset + scale * (Float(z >> 40) * 0x1p-23 - 1)
        }
    }

    /// Fills every parameter and buffer of `model` by its hierarchical name.
    static func fill(_ model: Layer) {
        for (name, tensor) in model.stateDict() { fill(tensor, name: name) }
    }

    /// The deterministic tensor of the entry called `name` with `shape`.
    static func tensor(_ name: String, shape: [Int]) -> Tensor {
        let t = Tensor(uninitialized: shape)
        fill(t, name: name)
        return t
    }
}
