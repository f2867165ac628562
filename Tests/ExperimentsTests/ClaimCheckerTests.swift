import XCTest
@testable import Growth
@testable import Experiments
@testable import Engine
@testable import Training

/// The claim checker on synthetic grids whose paired differences are chosen to be decisive either way or to
/// straddle the line: every claim is shown held, not held and inconclusive by the stated rule.
final class ClaimCheckerTests: XCTestCase {
    let seeds: [UInt64] = [1, 2, 3, 4, 5]
    /// Per-seed differences: clearly positive, clearly negative, straddling zero, and tiny (inside a 1-point margin).
    let above = [0.04, 0.05, 0.06, 0.05, 0.045]
    var below: [Double] { above.map { -$0 } }
    let straddle = [0.06, -0.04, 0.05, -0.03, 0.01]
    let tiny = [0.001, -0.002, 0.0, 0.002, -0.001]
    /// Per-seed baseline accuracies, so differences are paired, not constant offsets of one number.
    let base = [0.60, 0.55, 0.62, 0.58, 0.57]

    func run(_ v: String, _ d: FineTuneDepth, _ seed: UInt64, _ top1: Double, study: String = "grid", units: Int = 256,
             perBlock: [String: Double] = [:], retention: Double? = nil) -> RunResult {
        RunResult(variant: v, depth: d, seed: seed, units: units, shots: 20, study: study, top1: top1, meanPerClass: top1, perBlock: perBlock,
                  retention: retention, seconds: 1, steps: 10, curve: [], pace: [])
    }

    /// A grid: `cells[variant][depth]` = per-seed offsets added to `base`.
    func grid(_ cells: [String: [FineTuneDepth: [Double]]], depths: [FineTuneDepth] = FineTuneDepth.allCases, extra: [RunResult] = []) -> [ClaimCheck] {
        var config = ComparisonConfig(target: "synthetic")
        config.depths = depths; config.seeds = seeds
        var results = ComparisonResults(config: config, sourceDescription: "", targetDescription: "")
        for (v, byDepth) in cells {
            for (d, offsets) in byDepth {
                for (i, s) in seeds.enumerated() { results.runs.append(run(v, d, s, base[i] + offsets[i])) }
            }
        }
        results.runs += extra
        return ClaimChecker(results).check()
    }

    func verdict(_ claims: [ClaimCheck], _ n: Int) -> ClaimCheck.Verdict { claims.first { $0.number == n }!.verdict }
    func everyDepth(_ o: [Double]) -> [FineTuneDepth: [Double]] { Dictionary(uniqueKeysWithValues: FineTuneDepth.allCases.map { ($0, o) }) }
    var zero: [Double] { [0, 0, 0, 0, 0] }

    func testTheThreeKindsOfComparison() {
        let m = 0.01
        XCTAssertEqual(ClaimTest.beats.verdict(Summary(above), margin: m), .held)
        XCTAssertEqual(ClaimTest.beats.verdict(Summary(below), margin: m), .notHeld)
        XCTAssertEqual(ClaimTest.beats.verdict(Summary(straddle), margin: m), .inconclusive)
        XCTAssertEqual(ClaimTest.beats.verdict(Summary([0.0001, 0.1, -0.1]), margin: m), .inconclusive, "a positive mean alone does not hold")
        XCTAssertEqual(ClaimTest.atLeastAsGood.verdict(Summary(tiny), margin: m), .held)
        XCTAssertEqual(ClaimTest.atLeastAsGood.verdict(Summary(below), margin: m), .notHeld)
        XCTAssertEqual(ClaimTest.atLeastAsGood.verdict(Summary(straddle), margin: m), .inconclusive)
        XCTAssertEqual(ClaimTest.noBetter.verdict(Summary(tiny), margin: m), .held)
        XCTAssertEqual(ClaimTest.noBetter.verdict(Summary(above), margin: m), .notHeld)
        XCTAssertEqual(ClaimTest.noBetter.verdict(Summary(straddle), margin: m), .inconclusive)
        XCTAssertEqual(ClaimTest.beats.verdict(Summary([0.3]), margin: m), .inconclusive, "one seed decides nothing")
    }

    func testClaim1NeedsWABeyondBothFTAndFTNorm() {
        XCTAssertEqual(verdict(grid(["ft": everyDepth(zero), "ft+norm": everyDepth(zero), "wa": everyDepth(above)]), 1), .held)
        // The scaling explains the gain: WA beats FT but not FT+norm.
        XCTAssertEqual(verdict(grid(["ft": everyDepth(zero), "ft+norm": everyDepth(above), "wa": everyDepth(above)]), 1), .notHeld)
        var wa = everyDepth(above); wa[.fc6] = straddle
        XCTAssertEqual(verdict(grid(["ft": everyDepth(zero), "ft+norm": everyDepth(zero), "wa": wa]), 1), .inconclusive)
        XCTAssertEqual(verdict(grid(["ft": everyDepth(zero)]), 1), .notTested)
    }

    func testClaim2NoBetterWithinTheMargin() {
        XCTAssertEqual(verdict(grid(["ft": everyDepth(zero), "wa-rand": everyDepth(tiny), "wa-copy+rand": everyDepth(below)]), 2), .held)
        XCTAssertEqual(verdict(grid(["ft": everyDepth(zero), "wa-rand": everyDepth(tiny), "wa-copy+rand": everyDepth(above)]), 2), .notHeld)
        XCTAssertEqual(verdict(grid(["ft": everyDepth(zero), "wa-rand": everyDepth(straddle), "wa-copy+rand": everyDepth(tiny)]), 2), .inconclusive)
    }

    func testClaims3And4AtDepthAll() {
        for (offsets, v3, v4) in [(above, ClaimCheck.Verdict.held, ClaimCheck.Verdict.held), (below, .notHeld, .notHeld), (straddle, .inconclusive, .inconclusive)] {
            let claims = grid(["ft": [.all: zero], "da-nonorm": [.all: offsets], "da": [.all: zero], "wa": [.all: offsets]])
            XCTAssertEqual(verdict(claims, 3), v3, "\(offsets)")
            XCTAssertEqual(verdict(claims, 4), v4, "\(offsets)")
        }
        XCTAssertEqual(verdict(grid(["da": [.all: zero], "wa": [.all: tiny]]), 4), .held, "within the margin is at least as good")
    }

    func testClaim5UnitSweep() {
        func sweep(_ offsets: [Double]) -> [RunResult] {
            [64, 512].flatMap { u in ["wa", "da"].flatMap { m in seeds.enumerated().map { i, s in run(m, .all, s, base[i] + offsets[i], study: "units", units: u) } } }
        }
        XCTAssertEqual(verdict(grid(["ft": [.all: zero], "wa": [.all: above], "da": [.all: above]], extra: sweep(above)), 5), .held)
        XCTAssertEqual(verdict(grid(["ft": [.all: zero], "wa": [.all: above], "da": [.all: above]], extra: sweep(below)), 5), .notHeld)
        XCTAssertEqual(verdict(grid(["ft": [.all: zero], "wa": [.all: above], "da": [.all: above]], extra: sweep(straddle)), 5), .inconclusive)
        XCTAssertEqual(verdict(grid(["ft": [.all: zero]]), 5), .notTested)
    }

    func testClaim6DWANoBetterAndWWAAtLeastAsGood() {
        XCTAssertEqual(verdict(grid(["wa": [.all: zero], "dwa": [.all: below], "wwa": [.all: tiny]]), 6), .held)
        XCTAssertEqual(verdict(grid(["wa": [.all: zero], "dwa": [.all: above], "wwa": [.all: tiny]]), 6), .notHeld)
        XCTAssertEqual(verdict(grid(["wa": [.all: zero], "dwa": [.all: tiny], "wwa": [.all: below]]), 6), .notHeld)
        XCTAssertEqual(verdict(grid(["wa": [.all: zero], "dwa": [.all: straddle], "wwa": [.all: tiny]]), 6), .inconclusive)
    }

    func testClaim7DeeperIsBetterAndTheGainIsLargestAtNew() {
        let d: [FineTuneDepth] = [.new, .all]
        func times(_ k: Double) -> [Double] { above.map { k * $0 } }
        // With a ≈ 5 points: FT gains 3a from New to All, WA 2a; WA's gain over FT is 2a at New, a at All.
        let held = grid(["ft": [.new: zero, .all: times(3)], "da": [.new: zero, .all: above], "wa": [.new: times(2), .all: times(4)]], depths: d)
        XCTAssertEqual(verdict(held, 7), .held)
        // The gain is larger at All.
        let gainAtAll = grid(["ft": [.new: zero, .all: above], "da": [.new: zero, .all: above], "wa": [.new: above, .all: times(3)]], depths: d)
        XCTAssertEqual(verdict(gainAtAll, 7), .notHeld)
        let noisy = grid(["ft": [.new: zero, .all: times(3)], "da": [.new: zero, .all: straddle], "wa": [.new: times(2), .all: times(4)]], depths: d)
        XCTAssertEqual(verdict(noisy, 7), .inconclusive)
        XCTAssertEqual(verdict(grid(["wa": [.all: zero]], depths: [.all]), 7), .notTested)
    }

    func testClaim8PerBlock() {
        func wa(new: [Double], combinedOverBest: [Double]) -> [RunResult] {
            seeds.enumerated().map { i, s in
                let old = 0.5, newBlock = 0.5 + new[i]
                return run("wa", .all, s, max(old, newBlock) + combinedOverBest[i], perBlock: ["old": old, "new": newBlock])
            }
        }
        XCTAssertEqual(verdict(grid([:], extra: wa(new: tiny, combinedOverBest: above)), 8), .held)
        XCTAssertEqual(verdict(grid([:], extra: wa(new: below, combinedOverBest: above)), 8), .notHeld)
        XCTAssertEqual(verdict(grid([:], extra: wa(new: above, combinedOverBest: straddle)), 8), .inconclusive)
        XCTAssertEqual(verdict(grid([:]), 8), .notTested)
    }

    func testClaims11And12() {
        func studies(_ offsets: [Double]) -> [RunResult] {
            seeds.enumerated().flatMap { i, s in
                [run("wa", .all, s, base[i], study: "cumulative-direct"), run("wa", .all, s, base[i] + offsets[i], study: "cumulative-chained"),
                 run("wa", .all, s, 0.6, retention: 0.7), run("da", .all, s, 0.6, retention: 0.7 + offsets[i])]
            }
        }
        for (offsets, v) in [(above, ClaimCheck.Verdict.held), (below, .notHeld), (straddle, .inconclusive)] {
            let claims = grid([:], extra: studies(offsets))
            XCTAssertEqual(verdict(claims, 11), v)
            XCTAssertEqual(verdict(claims, 12), v)
        }
        XCTAssertEqual(verdict(grid([:]), 11), .notTested)
        XCTAssertEqual(verdict(grid([:]), 12), .notTested)
    }

    func testClaim9GrowingBeatsTheFixedWideNetwork() {
        func wide(_ offsets: [Double]) -> [RunResult] { seeds.enumerated().map { i, s in run("ft", .all, s, base[i] + offsets[i], study: "source-scratch") } }
        for (wa, v) in [(above, ClaimCheck.Verdict.held), (below, .notHeld), (straddle, .inconclusive)] {
            XCTAssertEqual(verdict(grid(["ft": [.all: zero], "wa": [.all: wa]], extra: wide(zero)), 9), v)
        }
        XCTAssertEqual(verdict(grid(["ft": [.all: zero], "wa": [.all: above]]), 9), .notTested)
    }

    func testClaim10OnPairedSourceTestImages() {
        func study(grownMinusBase: [Double], grownMinusScratch: [Double]) -> [ClaimCheck] {
            var config = ComparisonConfig(target: "synthetic")
            config.seeds = seeds
            var results = ComparisonResults(config: config, sourceDescription: "", targetDescription: "")
            var s = SourceStudyResult(config: SourceStudyConfig(dataset: "fashion-mnist"))
            s.differences = ["grown − base": Summary(grownMinusBase), "grown − scratch": Summary(grownMinusScratch)]
            results.sourceStudy = s
            return ClaimChecker(results).check()
        }
        // Per-image differences in {−1, 0, 1} over 10,000 images.
        func images(better: Int, worse: Int) -> [Double] { Array(repeating: 1, count: better) + Array(repeating: -1, count: worse) + Array(repeating: 0, count: 10_000 - better - worse) }
        XCTAssertEqual(verdict(study(grownMinusBase: images(better: 300, worse: 200), grownMinusScratch: images(better: 250, worse: 250)), 10), .held)
        XCTAssertEqual(verdict(study(grownMinusBase: images(better: 100, worse: 400), grownMinusScratch: images(better: 250, worse: 250)), 10), .notHeld, "3 points worse")
        XCTAssertEqual(verdict(study(grownMinusBase: images(better: 1000, worse: 1150), grownMinusScratch: images(better: 250, worse: 250)), 10), .inconclusive,
                       "1.5 points worse with a ±0.9-point interval: could be inside or outside the 1-point margin")
        XCTAssertEqual(verdict(grid([:]), 10), .notTested)
    }

    func testOneSeedIsInconclusiveEverywhere() {
        var config = ComparisonConfig(target: "synthetic")
        config.seeds = [1]
        var results = ComparisonResults(config: config, sourceDescription: "", targetDescription: "")
        results.runs = FineTuneDepth.allCases.flatMap { [run("ft", $0, 1, 0.5), run("ft+norm", $0, 1, 0.5), run("wa", $0, 1, 0.9)] }
        XCTAssertEqual(ClaimChecker(results).check().first { $0.number == 1 }!.verdict, .inconclusive)
    }
}

/// The validation split of `--select-lr`: a quarter of each class's shots, disjoint from the rest, never empty.
final class LearningRateSelectionTests: XCTestCase {
    func testValidationIsAQuarterOfEachClassAndDisjoint() {
        let labels = [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2]
        let bank = ViewBank(views: Tensor(zeros: [labels.count * 2, 1]), labels: labels, viewCount: 2)
        let (train, validation) = LearningRateSelection.split(bank)
        XCTAssertEqual(validation, [3, 4, 8, 9, 11], "⌈5/4⌉ = 2 of classes 0 and 1, 1 of class 2")
        XCTAssertEqual(Set(train).intersection(validation), [])
        XCTAssertEqual((train + validation).sorted(), Array(0..<labels.count))
        XCTAssertEqual(bank.subset(validation).labels, [0, 0, 1, 1, 2])
        XCTAssertEqual(bank.subset(validation).views.shape, [10, 1], "every view of the chosen examples")
    }

    func testTheBestValidationAccuracyWinsAndTiesGoToTheSmallerRate() throws {
        let bank = ViewBank(views: Tensor(zeros: [8, 1]), labels: [0, 0, 0, 0, 1, 1, 1, 1], viewCount: 1)
        let scores: [Float: Double] = [0.01: 0.5, 0.001: 0.75, 0.003: 0.75]
        let choice = try LearningRateSelection.choose([0.01, 0.003, 0.001], bank: bank) { rate, train, validation in
            XCTAssertEqual(train.exampleCount, 6); XCTAssertEqual(validation.exampleCount, 2)
            return scores[rate]!
        }
        XCTAssertEqual(choice.rate, 0.001)
        XCTAssertEqual(choice.validation.count, 3)
    }
}
