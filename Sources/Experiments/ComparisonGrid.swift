import Foundation
import Engine
import Datasets
import Training
import Growth

/// What `grow compare` runs: methods × depths × seeds on one few-shot target, optional sweeps over
/// new units and shots, source retention and cumulative growth. Every run of a seed uses the same
/// few-shot draw and the same source network; hyperparameters are shared by all methods.
public struct ComparisonConfig: Codable, Sendable {
    public var target: String
    public var shots: Int = 20
    /// Test images per class; nil: every image not drawn for training, up to 500 per class.
    public var testPerClass: Int? = nil
    public var seeds: [UInt64] = [1, 2, 3, 4, 5]
    /// Equivalence margin of the "at least as good" and "no better than" claims, as a fraction (0.01 = 1 point).
    public var equivalenceMargin: Double = 0.01
    public var variants: [MethodVariant] = MethodVariant.standard
    public var depths: [FineTuneDepth] = FineTuneDepth.allCases
    /// When set, depth All runs only for these method keys (whole-network fine-tuning of a large source is slow);
    /// the report shows the other cells as not run.
    public var allDepthVariants: [String]? = nil
    /// `--select-lr`: each grid run picks its base learning rate among these on a validation split of its
    /// training shots (nil: every run uses `training.learningRate`).
    public var learningRateCandidates: [Float]? = nil
    /// Hyperparameters of every run (method, depth and seed are set per run).
    public var training = FineTuneConfig()
    /// Table 2: extra WA and DA runs at depth All with these unit counts (empty: skip).
    public var unitSweep: [Int] = []
    /// Extra FT and WA runs at depth All with these shot counts (empty: skip).
    public var shotSweep: [Int] = []
    /// Source data for the retention probe (nil: skip) and how many of its test images to use.
    public var retentionSource: String? = nil
    public var retentionImages: Int = 1000
    /// Tables 6–7: growth on the source task, its models scored there and fine-tuned on the target (nil: skip);
    /// trained models are kept in `sourceStudyDirectory`.
    public var sourceStudy: SourceStudyConfig? = nil
    public var sourceStudyDirectory: String = "runs/source-study"
    /// Table 8: first target of source → first → `target` (nil: skip).
    public var cumulativeFirstTarget: String? = nil
    public var dataDirectory: String = DataDirectory.resolve()
    /// Runs trained at once, each on one thread (1: one run at a time on all threads). With any number of workers
    /// the results are those of the runs done one by one on one thread.
    public var workers: Int = 1

    public init(target: String) { self.target = target }

    public var gridRunCount: Int { seeds.count * variants.reduce(0) { $0 + depths(for: $1).count } }

    /// The depths the grid runs for `variant`.
    public func depths(for variant: MethodVariant) -> [FineTuneDepth] {
        guard let only = allDepthVariants, !only.contains(variant.key) else { return depths }
        return depths.filter { $0 != .all }
    }
    public var totalRunCount: Int {
        gridRunCount * (1 + (learningRateCandidates?.count ?? 0)) + seeds.count * (2 * unitSweep.count + 2 * shotSweep.count + (cumulativeFirstTarget == nil ? 0 : 4) + (sourceStudy == nil ? 0 : 2))
    }
}

/// One fine-tuning run of the grid.
public struct RunResult: Codable, Sendable {
    public let variant: String
    public let depth: FineTuneDepth
    public let seed: UInt64
    public let units: Int
    public let shots: Int
    /// "grid", "units", "shots", "cumulative-direct" / "cumulative-chained", or "source-scratch" / "source-grown"
    /// (FT at depth All from the source study's wide-from-scratch / grown-on-source network).
    public var study: String
    public let top1: Double
    public let meanPerClass: Double
    public let perBlock: [String: Double]
    public let retention: Double?
    public let seconds: Double
    public let steps: Int
    public let curve: [Trainer.CurvePoint]
    public let pace: [PacePoint]
    /// Old-block, new-block and combined accuracy during training (widened networks; nil in results of older versions).
    public var blockCurve: [BlockAccuracyPoint]? = nil
    /// The base learning rate the run trained with, and with `--select-lr` each candidate's validation accuracy.
    public var learningRate: Double? = nil
    public var validation: [String: Double]? = nil
}

/// Everything a comparison produced, with what is needed to reproduce it.
public struct ComparisonResults: Codable, Sendable {
    public var config: ComparisonConfig
    public var runs: [RunResult] = []
    public var sourceDescription: String
    public var sourceAccuracy: Double?
    public var targetDescription: String
    public var draws: [UInt64: [[Int]]] = [:]
    public var environment: [String: String] = [:]
    public var wallSeconds: Double = 0
    /// Prepared views per training image (1: no augmentation) and test images, of the last draw.
    public var viewsPerImage = 1
    public var testImages = 0
    /// Tables 6–7 on the source task (nil: not run).
    public var sourceStudy: SourceStudyResult?
    /// Stopped by Ctrl-C before every run finished.
    public var interrupted = false
}

extension RunResult {
    /// The same run, listed under another study.
    func relabeled(study: String) -> RunResult {
        var r = self
        r.study = study
        return r
    }
}

extension Array where Element == RunResult {
    /// Table 2's runs: WA and DA at depth All by unit count — the unit sweep plus the grid's own unit
    /// count; empty when no sweep ran.
    public var unitStudy: [RunResult] {
        guard contains(where: { $0.study == "units" }) else { return [] }
        return filter { $0.study == "units" || ($0.study == "grid" && $0.depth == .all && ($0.variant == "wa" || $0.variant == "da")) }
    }
}
