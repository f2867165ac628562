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
    public static let da = MethodVariant(key: "da", label: "DA", method: .da, normalize: true, initialization: .random)
    public static let wa = MethodVariant(key: "wa", label: "WA", method: .wa, normalize: true, initialization: .random)
    public static let dwa = MethodVariant(key: "dwa", label: "DWA", method: .dwa, normalize: true, initialization: .random)
    public static let wwa = MethodVariant(key: "wwa", label: "WWA", method: .wwa, normalize: true, initialization: .random)
    /// Ablations (paper Table 3) and the function-preserving initialisation.
    public static let waRand = MethodVariant(key: "wa-rand", label: "WA w/o norm (rand)", method: .wa, normalize: false, initialization: .random)
    public static let waCopyRand = MethodVariant(key: "wa-copy+rand", label: "WA w/o norm (copy+rand)", method: .wa, normalize: false, initialization: .copyRand)
    public static let daNoNorm = MethodVariant(key: "da-nonorm", label: "DA w/o norm", method: .da, normalize: false, initialization: .random)
    /// Net2Net widening is function-preserving only without normalisation, so it runs without.
    public static let waNet2Net = MethodVariant(key: "wa-net2net", label: "WA net2net (no norm)", method: .wa, normalize: false, initialization: .net2net)

    public static let standard: [MethodVariant] = [ft, da, wa, dwa, wwa, waRand, waCopyRand, daNoNorm, waNet2Net]

    public static func named(_ key: String) -> MethodVariant? { standard.first { $0.key == key } }
}
