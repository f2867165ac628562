import CKernels

/// The instruction set of the engine's own multi-versioned kernels (`Sources/CKernels`): the best the CPU has,
/// unless a test or benchmark picks a lower one.
public enum CPUKernels {
    public enum ISA: Int, Sendable, CaseIterable, Comparable, CustomStringConvertible {
        case baseline = 0, avx2 = 1, avx512 = 2
        public var description: String { ["x86-64 baseline (SSE2)", "AVX2 + FMA", "AVX-512"][rawValue] }
        public static func < (a: ISA, b: ISA) -> Bool { a.rawValue < b.rawValue }
    }

    /// The best variant this CPU runs.
    public static var supported: ISA { ISA(rawValue: Int(gb_isa_supported().rawValue))! }

    /// The variant in use; setting it is clamped to `supported`.
    public static var current: ISA {
        get { ISA(rawValue: Int(gb_isa_current().rawValue))! }
        set { gb_isa_select(GBISA(rawValue: UInt32(newValue.rawValue))) }
    }
}
