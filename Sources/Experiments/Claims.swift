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

/// The three kinds of comparison a claim makes, each judged on the 95 % interval [lo, hi] of a paired
/// difference d = A − B (per seed, so every seed's few-shot draw is shared), with an equivalence margin m.
/// Only an interval wholly on one side decides; anything else is inconclusive.
public enum ClaimTest: Sendable {
    /// "A beats B": held when lo > 0; not held when hi ≤ 0.
    case beats
    /// "A is at least as good as B": held when lo > −m; not held when hi < −m.
    case atLeastAsGood
    /// "A is no better than B": held when hi < +m; not held when lo > +m.
    case noBetter

    public func verdict(_ d: Summary, margin m: Double) -> ClaimCheck.Verdict {
        guard d.n >= 2, d.lower.isFinite, d.upper.isFinite else { return .inconclusive }
        switch self {
        case .beats: return d.lower > 0 ? .held : d.upper <= 0 ? .notHeld : .inconclusive
        case .atLeastAsGood: return d.lower > -m ? .held : d.upper < -m ? .notHeld : .inconclusive
        case .noBetter: return d.upper < m ? .held : d.lower > m ? .notHeld : .inconclusive
        }
    }

    /// The rule in words, for the report.
    public static func rules(margin m: Double) -> String {
        let p = String(format: "%.1f", 100 * m)
        return "Every verdict reads the 95 % interval (Student t over seeds) of a paired difference A − B: "
            + "\"A beats B\" is held when the interval lies above 0 and not held when it lies at or below 0; "
            + "\"A is at least as good as B\" is held when it lies above −\(p) points (the equivalence margin) and not held when it lies below −\(p); "
            + "\"A is no better than B\" is held when it lies below +\(p) and not held when it lies above +\(p). "
            + "An interval that straddles the line is inconclusive, and so is every claim with fewer than 2 seeds. "
            + "(Claim 10 pairs the source test images instead of seeds: one training run of each network.) "
            + "A claim made of several comparisons is held when all are held, not held when any is not held, inconclusive otherwise."
    }
}

/// Checks the paper's claims on paired differences over seeds with the rules of `ClaimTest`.
public struct ClaimChecker {
    let runs: [RunResult]
    let depths: [FineTuneDepth]
    let sourceStudy: SourceStudyResult?
    /// Equivalence margin for "at least as good" / "no better than", as a fraction (0.01 = 1 point).
    public let margin: Double

    public init(_ results: ComparisonResults) {
        runs = results.runs
        depths = results.config.depths
        sourceStudy = results.sourceStudy
        margin = results.config.equivalenceMargin
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

    /// "+2.4 points (95% CI +1.0 … +3.9, 5 seeds)"; `unit` names what was paired (seeds, or images for the source study).
    static func describe(_ d: Summary, unit: String = "seed") -> String {
        d.n < 2 ? String(format: "%+.1f points (1 %@)", 100 * d.mean, unit)
            : String(format: "%+.1f points (95%% CI %+.1f … %+.1f, %d %@s)", 100 * d.mean, 100 * d.lower, 100 * d.upper, d.n, unit)
    }

    /// Combines the verdicts of a claim's parts: all held → held; any not held → not held; else inconclusive.
    static func combine(_ vs: [ClaimCheck.Verdict]) -> ClaimCheck.Verdict {
        if vs.isEmpty { return .notTested }
        if vs.allSatisfy({ $0 == .held }) { return .held }
        return vs.contains(.notHeld) ? .notHeld : .inconclusive
    }

    /// One comparison of a claim: its verdict and its evidence line.
    struct Part { let verdict: ClaimCheck.Verdict; let evidence: String }

    func part(_ test: ClaimTest, _ d: Summary, _ what: String, unit: String = "seed") -> Part {
        Part(verdict: test.verdict(d, margin: margin), evidence: "\(what) = \(Self.describe(d, unit: unit))")
    }

    func claim(_ number: Int, _ text: String, _ parts: [Part], missing: String) -> ClaimCheck {
        ClaimCheck(number: number, claim: text, verdict: Self.combine(parts.map(\.verdict)),
                   evidence: parts.isEmpty ? missing : parts.map(\.evidence).joined(separator: "; "))
    }

    /// `test` of a against b at each of `depths` (the depths both were run at).
    func compare(_ test: ClaimTest, _ a: String, _ b: String, at depths: [FineTuneDepth]) -> [Part] {
        depths.compactMap { depth in
            difference(values(a, depth), values(b, depth)).map { part(test, $0, "\(depth.label): \(label(a)) − \(label(b))") }
        }
    }

    func label(_ key: String) -> String { MethodVariant.named(key)?.label ?? key }

    public func check() -> [ClaimCheck] {
        let all = [FineTuneDepth.all].filter(depths.contains)
        var out: [ClaimCheck] = []
        out.append(claim(1, "WA with separate L2 normalisation and learned scales beats classic fine-tuning at every depth — both plain FT and FT with the same normalisation and scaling of FC7 (FT+norm), so the gain is the new units', not the scaling's.",
                         compare(.beats, "wa", "ft", at: depths) + compare(.beats, "wa", "ft+norm", at: depths), missing: "WA or FT not in the grid"))
        out.append(claim(2, "WA without normalisation (rand, copy+rand) is no better than classic fine-tuning.",
                         compare(.noBetter, "wa-rand", "ft", at: depths) + compare(.noBetter, "wa-copy+rand", "ft", at: depths), missing: "ablations not in the grid"))
        out.append(claim(3, "DA beats classic fine-tuning even without normalisation (depth All).",
                         compare(.beats, "da-nonorm", "ft", at: all), missing: "DA w/o norm or FT at depth All not in the grid"))
        out.append(claim(4, "Widening is at least as good as deepening (WA ≥ DA, depth All).",
                         compare(.atLeastAsGood, "wa", "da", at: all), missing: "WA or DA at depth All not in the grid"))
        out.append(unitRobustness())
        out.append(claim(6, "Combining depth and width (DWA) does not beat WA; widening two layers (WWA) is at least as good as WA (depth All).",
                         compare(.noBetter, "dwa", "wa", at: all) + compare(.atLeastAsGood, "wwa", "wa", at: all), missing: "DWA, WWA or WA at depth All not in the grid"))
        out.append(deeperIsBetter())
        out.append(perBlock())
        out.append(fixedWideNetwork())
        out.append(sourceTask())
        out.append(cumulative())
        out.append(retention())
        return out
    }

    func unitRobustness() -> ClaimCheck {
        let sweep = runs.unitStudy
        let counts = Set(sweep.map(\.units)).sorted()
        var parts: [Part] = []
        for s in counts {
            for m in ["wa", "da"] {
                let v = Dictionary(sweep.filter { $0.variant == m && $0.units == s }.map { ($0.seed, $0.top1) }, uniquingKeysWith: { a, _ in a })
                if let d = difference(v, values("ft", .all)) { parts.append(part(.beats, d, "\(label(m)) \(s) units − FT")) }
            }
        }
        return claim(5, "Gains over FT are robust to the number of new units (depth All).", parts, missing: "run with --units-sweep")
    }

    /// 7: All beats New for WA and DA, and WA's gain over FT at New beats its gain at every other depth.
    func deeperIsBetter() -> ClaimCheck {
        let text = "Fine-tuning more layers is better (All > New), and WA's largest gain over FT is at New."
        guard depths.contains(.all), depths.contains(.new) else { return claim(7, text, [], missing: "needs depths New and All") }
        var parts: [Part] = []
        for m in ["wa", "da"] {
            if let d = difference(values(m, .all), values(m, .new)) { parts.append(part(.beats, d, "\(label(m)) All − New")) }
        }
        func gain(_ depth: FineTuneDepth) -> [UInt64: Double] {
            let wa = values("wa", depth), ft = values("ft", depth)
            var out: [UInt64: Double] = [:]
            for (seed, a) in wa { if let b = ft[seed] { out[seed] = a - b } }
            return out
        }
        let gNew = gain(.new)
        for depth in depths where depth != .new {
            if let d = difference(gNew, gain(depth)) { parts.append(part(.beats, d, "(WA − FT at New) − (WA − FT at \(depth.label))")) }
        }
        return claim(7, text, parts, missing: "WA, DA or FT at New and All not in the grid")
    }

    /// 8: new block at least as good as the old one; the combination beats the better block.
    func perBlock() -> ClaimCheck {
        let text = "In normalised WA, the new block alone is at least as discriminative as the old, and the combination beats either block (depth All)."
        let wa = runs.filter { $0.variant == "wa" && $0.depth == .all && $0.study == "grid" && $0.perBlock["old"] != nil && $0.perBlock["new"] != nil }
        guard !wa.isEmpty else { return claim(8, text, [], missing: "WA at depth All not in the grid") }
        let newMinusOld = Summary(wa.map { $0.perBlock["new"]! - $0.perBlock["old"]! })
        let combinedMinusBest = Summary(wa.map { $0.top1 - max($0.perBlock["new"]!, $0.perBlock["old"]!) })
        return claim(8, text, [part(.atLeastAsGood, newMinusOld, "new − old"), part(.beats, combinedMinusBest, "combined − better block")], missing: "")
    }

    /// 9: WA from the base (grown on the target) beats FT of the same-capacity wide network pre-trained from scratch.
    func fixedWideNetwork() -> ClaimCheck {
        let text = "Growing beats a fixed wide network of the same capacity pre-trained from scratch and then fine-tuned (depth All)."
        let wide = values("ft", .all, study: "source-scratch")
        var parts: [Part] = []
        if let d = difference(values("wa", .all), wide) { parts.append(part(.beats, d, "WA − FT of the wide network")) }
        var c = claim(9, text, parts, missing: "run with --source-study SOURCE_DATA")
        if let d = difference(wide, values("ft", .all)) {
            c = ClaimCheck(number: 9, claim: c.claim, verdict: c.verdict, evidence: c.evidence + "; for reference, FT of the wide network − FT of the base = \(Self.describe(d))")
        }
        return c
    }

    /// 10: the network grown on the source task is at least as good there as the base and as the wide network from scratch,
    /// judged on paired per-image differences over the source test set (one training run of each).
    func sourceTask() -> ClaimCheck {
        let text = "Growing does not hurt on the source task when grown there: the grown network is at least as good on the source test set as the base and as the wide network trained from scratch."
        guard let study = sourceStudy else { return claim(10, text, [], missing: "run with --source-study SOURCE_DATA") }
        let parts = ["grown − base", "grown − scratch"].compactMap { key in
            study.differences[key].map { part(.atLeastAsGood, $0, "\(key) (source test images, paired)", unit: "image") }
        }
        return claim(10, text, parts, missing: "the source study measured nothing")
    }

    func cumulative() -> ClaimCheck {
        let chained = Dictionary(runs.filter { $0.study == "cumulative-chained" && $0.variant == "wa" }.map { ($0.seed, $0.top1) }, uniquingKeysWith: { a, _ in a })
        let direct = Dictionary(runs.filter { $0.study == "cumulative-direct" && $0.variant == "wa" }.map { ($0.seed, $0.top1) }, uniquingKeysWith: { a, _ in a })
        let parts = difference(chained, direct).map { [part(.beats, $0, "chained − direct")] } ?? []
        return claim(11, "Cumulative growth (source → first target → target) beats direct transfer (WA).", parts, missing: "run with --cumulative FIRST_TARGET")
    }

    func retention() -> ClaimCheck {
        let parts = difference(values("da", .all) { $0.retention }, values("wa", .all) { $0.retention })
            .map { [part(.beats, $0, "DA − WA source accuracy")] } ?? []
        return claim(12, "DA forgets less of the source task than WA (source accuracy after adapting, depth All).", parts, missing: "run with --retention SOURCE")
    }
}
