import Foundation
import Growth

/// The networks the report's analyses read (the paper's Figs. 3–5 and 7): the source network, and FT, DA and WA
/// after fine-tuning on the comparison's first seed, at depth All (or, when the grid does not run all three there,
/// the deepest depth it runs them at). `grow compare` keeps them in `OUT/networks/` as checkpoints, each written
/// atomically as its run ends, so `grow explain OUT` can redo the analyses without training.
public struct AnalysisNetworks: Sendable {
    /// The methods the paper's Fig. 3 sets beside the pre-trained network.
    public static let methods: [MethodVariant] = [.ft, .da, .wa]
    public static let folderName = "networks"

    public let directory: URL
    /// Those of `methods` the comparison runs at `depth`, in that order.
    public let methods: [MethodVariant]
    public let depth: FineTuneDepth
    public let seed: UInt64

    /// The plan for `config`'s comparison written to `comparisonDirectory`; nil when it runs none of FT, DA, WA.
    public init?(config: ComparisonConfig, comparisonDirectory: URL) {
        let present = Self.methods.filter { config.variants.contains($0) }
        guard let seed = config.seeds.first, !present.isEmpty else { return nil }
        let common = FineTuneDepth.allCases.filter { depth in present.allSatisfy { config.depths(for: $0).contains(depth) } }
        guard let depth = common.last else { return nil }
        self.directory = comparisonDirectory.appendingPathComponent(Self.folderName, isDirectory: true)
        self.methods = present; self.depth = depth; self.seed = seed
    }

    public var sourceURL: URL { directory.appendingPathComponent("source.safetensors") }

    public func url(_ variant: MethodVariant) -> URL {
        directory.appendingPathComponent("\(variant.key)-\(depth.rawValue)-seed\(seed).safetensors")
    }

    /// The file a grid run keeps, if it is one the analyses read.
    public func kept(_ variant: MethodVariant, depth: FineTuneDepth, seed: UInt64) -> URL? {
        methods.contains(variant) && depth == self.depth && seed == self.seed ? url(variant) : nil
    }

    /// Describes the networks for the report: which runs they are.
    public var summary: String {
        "\(methods.map(\.label).joined(separator: ", ")) fine-tuned at depth \(depth.label) on seed \(seed)'s draw"
    }
}
