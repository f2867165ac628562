import Growth

/// One method of the comparison grid: a growth method with its normalisation and initialisation.
public struct MethodVariant: Codable, Hashable, Sendable {
    public let key: String
    public let label: String
    public let method: GrowthMethod
    public let normalize: Bool
    public let initialization: NewUnitInit

    public init(key: String, label: String, method: GrowthMethod, normalize: Bool, initialization: NewUnitInit) {
        self.key = key; self.label = label; self.method = method; self.normalize = normalize; self.initialization = initialization
    }

    public static let ft = MethodVariant(key: "ft", label: "FT", method: .ft, normalize: false, initialization: .random)
    /// The control for WA's scaling: FC7 normalised and scaled as WA's old block, no new units.
    public static let ftNorm = MethodVariant(key: "ft+norm", label: "FT+norm", method: .ftNorm, normalize: true, initialization: .random)
    public static let da = MethodVariant(key: "da", label: "DA", method: .da, normalize: true, initialization: .random)
    public static let wa = MethodVariant(key: "wa", label: "WA", method: .wa, normalize: true, initialization: .random)
    public static let dwa = MethodVariant(key: "dwa", label: "DWA", method: .dwa, normalize: true, initialization: .random)
    public static let wwa = MethodVariant(key: "wwa", label: "WWA", method: .wwa, normalize: true, initialization: .random)
    /// Ablations (paper Table 3) and the function-preserving initialisation.
    public static let waRand = MethodVariant(key: "wa-rand", label: "WA w/o norm (rand)", method: .wa, normalize: false, initialization: .random)
    public static let waCopyRand = MethodVariant(key: "wa-copy+rand", label: "WA w/o norm (copy+rand)", method: .wa, normalize: false, initialization: .copyRand)
    public static let daNoNorm = MethodVariant(key: "da-nonorm", label: "DA w/o norm", method: .da, normalize: false, initialization: .random)
    /// Net2Net-style widening without noise: new units are exact copies of random old units (their outgoing weights
    /// split with the copies). It would preserve the source function, but the split consumer is the source classifier,
    /// which fine-tuning replaces, so on a new task it is "exact copies, no noise" — copy+rand with σ = 0.
    public static let waNet2Net = MethodVariant(key: "wa-copy", label: "WA w/o norm (exact copies)", method: .wa, normalize: false, initialization: .net2net)

    public static let standard: [MethodVariant] = [ft, ftNorm, da, wa, dwa, wwa, waRand, waCopyRand, daNoNorm, waNet2Net]

    public static func named(_ key: String) -> MethodVariant? { standard.first { $0.key == key } }
}
