import Foundation

/// A seeded, splittable random generator (xoshiro256**), used for initialisation, shuffling,
/// dropout and augmentation. The same seed gives the same stream on every machine.
public struct RNG: RandomNumberGenerator, Sendable, Codable, Equatable {
    // Four words, not an array: `next` runs once per dropout element and per augmentation draw, and an array's
    // bounds and uniqueness checks cost more than xoshiro's arithmetic.
    private var s0, s1, s2, s3: UInt64

    /// The 256-bit state (what checkpoints record).
    public var state: [UInt64] { [s0, s1, s2, s3] }

    public init(seed: UInt64) {
        // SplitMix64 expands the seed into the 256-bit state.
        var z = seed
        func splitMix() -> UInt64 {
            z &+= 0x9E37_79B9_7F4A_7C15
            var x = z
            x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
            x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
            return x ^ (x >> 31)
        }
        (s0, s1, s2, s3) = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    private enum CodingKeys: String, CodingKey { case state }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let words = try container.decode([UInt64].self, forKey: .state)
        guard words.count == 4 else {
            throw DecodingError.dataCorruptedError(forKey: .state, in: container,
                                                   debugDescription: "a generator's state is 4 words, found \(words.count)")
        }
        (s0, s1, s2, s3) = (words[0], words[1], words[2], words[3])
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(state, forKey: .state)
    }

    public mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// An independent generator derived from this one and a label (e.g. a layer name).
    public func derived(_ label: String) -> RNG {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in label.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        return RNG(seed: s0 ^ h)
    }

    /// Uniform in [0, 1).
    public mutating func uniform() -> Float { Float(next() >> 40) * (1.0 / 16_777_216.0) }

    /// `count` draws of `uniform()` into `out`, the same stream as calling it `count` times. A caller in another module
    /// calling `uniform()` per element pays a call and a load and store of the state each time (dropout masks were ~6 %
    /// of a comparison grid's profile); here the state stays in registers.
    public mutating func fillUniform(_ out: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { out[i] = uniform() }
    }

    /// Advances the stream by `count` draws (what `count` calls of `next()` or `uniform()` would consume).
    public mutating func discard(_ count: Int) {
        for _ in 0..<count { _ = next() }
    }

    /// Standard normal (Box–Muller).
    public mutating func normal() -> Float {
        var u1 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        if u1 < 1e-300 { u1 = 1e-300 }
        let u2 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }

    /// An integer in 0..<n.
    public mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }

    /// Fisher–Yates shuffle with this generator.
    public mutating func shuffle<T>(_ a: inout [T]) {
        if a.count < 2 { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) { a.swapAt(i, below(i + 1)) }
    }
}

/// Weight initialisers (fan-in/fan-out computed from an OIHW or [out, in] shape).
public enum Init: Sendable, Equatable {
    case zeros
    case constant(Float)
    case gaussian(std: Float)
    /// Glorot/Xavier uniform: U(±sqrt(6/(fanIn+fanOut))).
    case xavierUniform
    /// He/Kaiming normal for ReLU: N(0, 2/fanIn).
    case kaimingNormal
    /// PyTorch's default for Linear/Conv weights: U(±1/sqrt(fanIn)).
    case kaimingUniformDefault

    public func fill(_ t: Tensor, rng: inout RNG) {
        let (fanIn, fanOut) = Init.fans(t.shape)
        let p = t.pointer
        switch self {
        case .zeros: t.zero()
        case .constant(let v): t.fill(v)
        case .gaussian(let std): for i in 0..<t.count { p[i] = std * rng.normal() }
        case .xavierUniform:
            let a = (6 / Float(fanIn + fanOut)).squareRoot()
            for i in 0..<t.count { p[i] = (2 * rng.uniform() - 1) * a }
        case .kaimingNormal:
            let std = (2 / Float(fanIn)).squareRoot()
            for i in 0..<t.count { p[i] = std * rng.normal() }
        case .kaimingUniformDefault:
            let a = 1 / Float(fanIn).squareRoot()
            for i in 0..<t.count { p[i] = (2 * rng.uniform() - 1) * a }
        }
    }

    /// (fanIn, fanOut) of a weight of shape [out, in, kh, kw] or [out, in].
    public static func fans(_ shape: [Int]) -> (Int, Int) {
        guard shape.count >= 2 else { return (Swift.max(shape.first ?? 1, 1), Swift.max(shape.first ?? 1, 1)) }
        let receptive = shape.dropFirst(2).reduce(1, *)
        return (Swift.max(shape[1] * receptive, 1), Swift.max(shape[0] * receptive, 1))
    }
}

/// SplitMix64-style mixing of a seed with two integers: independent seeds per (epoch, example), (run, stream), ….
public func mix(_ seed: UInt64, _ a: UInt64, _ b: UInt64 = 0) -> UInt64 {
    func round(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    return round(round(round(seed) ^ a) ^ b)
}
