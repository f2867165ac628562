import Foundation
import Growth

/// A qualitative claim of the paper (`shared/paper.md` §8) checked against the grid.
public struct ClaimCheck: Codable, Sendable {
    public enum Verdict: String, Codable, Sendable { case held, notHeld = "not held", inconclusive, notTested = "not tested" }
    public let number: Int
    public let claim: String
    public let verdict: Verdict
    /// The numbers behind the verdict.
    public let evidence: String
}

/// Checks claims on paired differences over seeds (every seed shares its few-shot draw across methods):
/// "A beats B" holds when the 95 % interval of the mean difference lies above 0, is not held when the
/// mean difference is ≤ 0, and is inconclusive otherwise.
public struct ClaimChecker {
    let runs: [RunResult]
    let depths: [FineTuneDepth]

    public init(_ results: ComparisonResults) {
        runs = results.runs
        depths = results.config.depths
    }

    func values(_ variant: String, _ depth: FineTuneDepth, study: String = "grid", _ key: (RunResult) -> Double? = { $0.top1 }) -> [UInt64: Double] {
        var out: [UInt64: Double] = [:]
        for r in runs where r.variant == variant && r.depth == depth && r.study == study { if let v = key(r) { out[r.seed] = v } }
        return out
    }

    /// Paired difference a − b over the seeds both have.
    func difference(_ a: [UInt64: Double], _ b: [UInt64: Double]) -> Summary? {
        let seeds = Set(a.keys).intersection(b.keys).sorted()
        return seeds.isEmpty ? nil : Summary(seeds.map { a[$0]! - b[$0]! })
    }

    static func verdict(_ d: Summary) -> ClaimCheck.Verdict { d.lower > 0 ? .held : d.mean <= 0 ? .notHeld : .inconclusive }

    static func describe(_ d: Summary) -> String {
        d.n < 2 ? String(format: "%+.1f points (1 seed)", 100 * d.mean)
            : String(format: "%+.1f points (95%% CI %+.1f … %+.1f, %d seeds)", 100 * d.mean, 100 * d.lower, 100 * d.upper, d.n)
    }

    /// Combines per-depth verdicts: all held → held; any not held → not held; else inconclusive.
    static func combine(_ vs: [ClaimCheck.Verdict]) -> ClaimCheck.Verdict {
        if vs.isEmpty { return .notTested }
        if vs.allSatisfy({ $0 == .held }) { return .held }
        return vs.contains(.notHeld) ? .notHeld : .inconclusive
    }

    /// "a beats b" at each of `depths`.
    func beats(_ a: String, _ b: String, at depths: [FineTuneDepth], number: Int, claim: String) -> ClaimCheck {
        var verdicts: [ClaimCheck.Verdict] = [], parts: [String] = []
        for depth in depths {
            guard let d = difference(values(a, depth), values(b, depth)) else { continue }
            verdicts.append(Self.verdict(d))
            parts.append("\(depth.label): \(label(a)) − \(label(b)) = \(Self.describe(d))")
        }
        return ClaimCheck(number: number, claim: claim, verdict: Self.combine(verdicts), evidence: parts.isEmpty ? "methods not in the grid" : parts.joined(separator: "; "))
    }

    func label(_ key: String) -> String { MethodVariant.named(key)?.label ?? key }

    /// With one seed there is no spread to judge a difference by, so every tested claim is inconclusive.
    public func check() -> [ClaimCheck] {
        let checks = unguardedChecks()
        guard Set(runs.map(\.seed)).count < 2 else { return checks }
        return checks.map { c in
            c.verdict == .notTested ? c : ClaimCheck(number: c.number, claim: c.claim, verdict: .inconclusive, evidence: c.evidence + " — one seed only")
        }
    }

    func unguardedChecks() -> [ClaimCheck] {
        var out: [ClaimCheck] = []
        out.append(beats("wa", "ft", at: depths, number: 1, claim: "WA with separate L2 normalisation and learned scales beats classic fine-tuning at every depth."))

        // 2: WA without normalisation is no better than FT (holds unless an ablation is clearly better).
        var v2: [ClaimCheck.Verdict] = [], e2: [String] = []
        for ablation in ["wa-rand", "wa-copy+rand"] {
            for depth in depths {
                guard let d = difference(values(ablation, depth), values("ft", depth)) else { continue }
                v2.append(d.lower > 0 ? .notHeld : d.mean <= 0 ? .held : .inconclusive)
                e2.append("\(depth.label): \(label(ablation)) − FT = \(Self.describe(d))")
            }
        }
        out.append(ClaimCheck(number: 2, claim: "WA without normalisation (rand, copy+rand) is no better than classic fine-tuning.",
                              verdict: Self.combine(v2), evidence: e2.isEmpty ? "ablations not in the grid" : e2.joined(separator: "; ")))
        out.append(beats("da-nonorm", "ft", at: [.all].filter(depths.contains), number: 3, claim: "DA beats classic fine-tuning even without normalisation (depth All)."))

        // 4: widening ≥ deepening at All.
        if let d = difference(values("wa", .all), values("da", .all)) {
            let v: ClaimCheck.Verdict = d.upper < 0 ? .notHeld : d.mean >= 0 ? .held : .inconclusive
            out.append(ClaimCheck(number: 4, claim: "Widening is at least as good as deepening (WA ≥ DA, depth All).", verdict: v, evidence: "WA − DA = \(Self.describe(d))"))
        }
        out.append(unitRobustness())
        // 6: DWA does not beat WA; WWA about the best.
        if let d = difference(values("dwa", .all), values("wa", .all)), let w = difference(values("wwa", .all), values("wa", .all)) {
            let v: ClaimCheck.Verdict = d.lower > 0 ? .notHeld : (w.upper < 0 ? .notHeld : .held)
            out.append(ClaimCheck(number: 6, claim: "Combining depth and width (DWA) does not beat WA; widening two layers (WWA) is about the best.",
                                  verdict: v, evidence: "DWA − WA = \(Self.describe(d)); WWA − WA = \(Self.describe(w))"))
        }
        out.append(deeperIsBetter())
        out.append(perBlock())
        out.append(ClaimCheck(number: 9, claim: "Growing beats a fixed wide network of the same capacity.", verdict: .notTested,
                              evidence: "needs a wide network pre-trained from scratch; not part of this grid"))
        out.append(ClaimCheck(number: 10, claim: "Growing does not hurt on the source task when grown there.", verdict: .notTested,
                              evidence: "needs growth on the source task; not part of this grid"))
        out.append(cumulative())
        out.append(retention())
        return out
    }

    func unitRobustness() -> ClaimCheck {
        let sweep = runs.unitStudy
        let counts = Set(sweep.map(\.units)).sorted()
        guard !counts.isEmpty, !values("ft", .all).isEmpty else {
            return ClaimCheck(number: 5, claim: "Gains are robust to the number of new units.", verdict: .notTested, evidence: "run with --units-sweep")
        }
        var verdicts: [ClaimCheck.Verdict] = [], parts: [String] = []
        for s in counts {
            for m in ["wa", "da"] {
                let v = Dictionary(sweep.filter { $0.variant == m && $0.units == s }.map { ($0.seed, $0.top1) },
                                   uniquingKeysWith: { a, _ in a })
                guard let d = difference(v, values("ft", .all)) else { continue }
                verdicts.append(Self.verdict(d))
                parts.append("\(label(m)) \(s) units − FT = \(Self.describe(d))")
            }
        }
        return ClaimCheck(number: 5, claim: "Gains over FT are robust to the number of new units (depth All).", verdict: Self.combine(verdicts), evidence: parts.joined(separator: "; "))
    }

    func deeperIsBetter() -> ClaimCheck {
        guard depths.contains(.all), depths.contains(.new) else {
            return ClaimCheck(number: 7, claim: "Fine-tuning more layers is better; WA's largest gain over FT is at New.", verdict: .notTested, evidence: "needs depths New and All")
        }
        var verdicts: [ClaimCheck.Verdict] = [], parts: [String] = []
        for m in ["wa", "da"] {
            guard let d = difference(values(m, .all), values(m, .new)) else { continue }
            verdicts.append(Self.verdict(d)); parts.append("\(label(m)) All − New = \(Self.describe(d))")
        }
        if let gNew = difference(values("wa", .new), values("ft", .new)), let gAll = difference(values("wa", .all), values("ft", .all)) {
            verdicts.append(gNew.mean >= gAll.mean ? .held : .notHeld)
            parts.append(String(format: "WA − FT: %+.1f at New vs %+.1f at All", 100 * gNew.mean, 100 * gAll.mean))
        }
        return ClaimCheck(number: 7, claim: "Fine-tuning more layers is better (All > New), and WA's largest gain over FT is at New.",
                          verdict: Self.combine(verdicts), evidence: parts.joined(separator: "; "))
    }

    func perBlock() -> ClaimCheck {
        let wa = runs.filter { $0.variant == "wa" && $0.depth == .all && $0.study == "grid" }
        guard !wa.isEmpty, wa.allSatisfy({ $0.perBlock["old"] != nil && $0.perBlock["new"] != nil }) else {
            return ClaimCheck(number: 8, claim: "In normalised WA, the new block alone is at least as discriminative as the old, and the combination is best.",
                              verdict: .notTested, evidence: "WA at depth All not in the grid")
        }
        let newMinusOld = Summary(wa.map { $0.perBlock["new"]! - $0.perBlock["old"]! })
        let combinedMinusBest = Summary(wa.map { $0.top1 - max($0.perBlock["new"]!, $0.perBlock["old"]!) })
        let v: ClaimCheck.Verdict = newMinusOld.upper < 0 || combinedMinusBest.upper < 0 ? .notHeld
            : (newMinusOld.mean >= 0 && combinedMinusBest.mean >= 0 ? .held : .inconclusive)
        return ClaimCheck(number: 8, claim: "In normalised WA, the new block alone is at least as discriminative as the old, and the combination is best.",
                          verdict: v, evidence: "new − old = \(Self.describe(newMinusOld)); combined − best block = \(Self.describe(combinedMinusBest)) (depth All)")
    }

    func cumulative() -> ClaimCheck {
        let chained = Dictionary(runs.filter { $0.study == "cumulative-chained" && $0.variant == "wa" }.map { ($0.seed, $0.top1) }, uniquingKeysWith: { a, _ in a })
        let direct = Dictionary(runs.filter { $0.study == "cumulative-direct" && $0.variant == "wa" }.map { ($0.seed, $0.top1) }, uniquingKeysWith: { a, _ in a })
        guard let d = difference(chained, direct) else {
            return ClaimCheck(number: 11, claim: "Cumulative growth across related tasks helps.", verdict: .notTested, evidence: "run with --cumulative FIRST_TARGET")
        }
        return ClaimCheck(number: 11, claim: "Cumulative growth (source → first target → target) beats direct transfer (WA).",
                          verdict: Self.verdict(d), evidence: "chained − direct = \(Self.describe(d))")
    }

    func retention() -> ClaimCheck {
        let da = values("da", .all) { $0.retention }, wa = values("wa", .all) { $0.retention }
        guard let d = difference(da, wa) else {
            return ClaimCheck(number: 12, claim: "DA forgets less of the source task than WA.", verdict: .notTested, evidence: "run with --retention SOURCE")
        }
        return ClaimCheck(number: 12, claim: "DA forgets less of the source task than WA (source accuracy after adapting, depth All).",
                          verdict: Self.verdict(d), evidence: "DA − WA source accuracy = \(Self.describe(d))")
    }
}
