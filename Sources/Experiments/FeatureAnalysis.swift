import Foundation
import Engine
import Analysis

/// How the feature-space figure lays points out in two dimensions.
public enum EmbeddingMethod: String, Codable, Sendable, CaseIterable {
    /// Exact t-SNE (perplexity 30, or n/3 when fewer points, 1,000 iterations, seeded): neighbourhoods, as the paper's Fig. 3.
    case tsne
    /// The first two principal components: faster, linear, keeps global distances.
    case pca

    public var label: String { self == .tsne ? "t-SNE" : "PCA" }
}

/// The paper's Fig. 3 as numbers and pictures: for the pre-trained network and each fine-tuned one, the top-layer
/// features of the analysis sample (what the classifier reads), how well they separate the classes — leave-one-out
/// kNN accuracy (k = 1, 5) and the silhouette — and a 2-D embedding of them.
public struct FeatureSpace: Codable, Sendable {
    /// One network's features.
    public struct Network: Codable, Sendable {
        public let label: String
        public let dimensions: Int
        public let knn1: Double
        public let knn5: Double
        public let silhouette: Double
        /// The embedding's coordinates, one per sample image.
        public let x: [Float]
        public let y: [Float]
    }

    public let embedding: EmbeddingMethod
    /// What the embedding was run with, for the caption.
    public let embeddingDetail: String
    public let labels: [Int]
    public let classNames: [String]
    public let networks: [Network]

    /// Measures and embeds the top-layer features of each network (label, activations on `sample`).
    static func measure(_ networks: [(String, NetworkActivations)], sample: AnalysisSample, embedding: EmbeddingMethod, seed: UInt64) -> FeatureSpace {
        let n = sample.count
        let perplexity = min(30, Double(n - 1) / 3)
        let detail = embedding == .tsne ? String(format: "exact t-SNE, perplexity %.0f, 1,000 iterations, seed %llu", perplexity, seed)
                                        : "first two principal components"
        let measured = networks.map { label, activations -> Network in
            let features = activations.features
            let xy = embedding == .tsne ? Embedding.tsne(features, perplexity: perplexity, iterations: 1000, seed: seed)
                                        : Embedding.pca(features, dimensions: 2)
            let points = xy.array
            return Network(label: label, dimensions: features.shape[1],
                           knn1: Separability.knnAccuracy(features, labels: sample.labels, k: 1),
                           knn5: Separability.knnAccuracy(features, labels: sample.labels, k: min(5, n - 1)),
                           silhouette: Separability.silhouette(features, labels: sample.labels),
                           x: stride(from: 0, to: points.count, by: 2).map { points[$0] },
                           y: stride(from: 1, to: points.count, by: 2).map { points[$0] })
        }
        return FeatureSpace(embedding: embedding, embeddingDetail: detail, labels: sample.labels, classNames: sample.classNames, networks: measured)
    }
}
