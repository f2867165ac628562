import Foundation
import Engine
import Datasets
import Training
import Growth

/// The target test images the analyses look at: the first `perClass` test images of each class of the analysed seed's
/// draw (the same images for every network, so features and top images compare), prepared as the network reads them.
/// Every analysis works on the features of these images, computed once per network.
public struct AnalysisSample {
    /// At most this many images in all (exact t-SNE and the distance matrices are O(n²)); the default demo's 5,000 test
    /// images give 100 per class.
    public static let defaultLimit = 1000

    /// [n, C, H, W], as the network reads them (normalised).
    public let images: Tensor
    public let labels: [Int]
    public let classNames: [String]
    /// How the images were normalised, to show them as they were.
    public let normalization: Normalization
    /// Images taken per class (at most; a class with fewer test images gives all it has).
    public let perClass: Int

    public var count: Int { labels.count }

    /// The sample of `config`'s target for `seed`'s draw, prepared for `network`.
    public init(config: ComparisonConfig, seed: UInt64, network: GrownNetwork, dataDirectory: String, limit: Int = defaultLimit) throws {
        let task = try FewShotTask(target: config.target, shots: config.shots, testPerClass: config.testPerClass, seed: seed, network: network,
                                   dataDir: dataDirectory, augment: false, batchSize: config.training.batchSize)
        // Only the sample's images are decoded: their labels are known before decoding.
        let loader = (task.test as? LoaderSource)?.loader
        let testLabels = try loader.map { l in l.indices.map { l.dataset.label(at: $0) } } ?? materialise(task.test).1
        let cap = max(1, limit / max(task.classes, 1))
        var taken = [Int](repeating: 0, count: task.classes), rows: [Int] = []
        for (i, label) in testLabels.enumerated() where taken[label] < cap {
            taken[label] += 1
            rows.append(i)
        }
        perClass = taken.max() ?? 0
        if let loader {
            let subset = DataLoader(loader.dataset, indices: rows.map { loader.indices[$0] }, batchSize: 256, transform: loader.transform,
                                    shuffle: false, seed: loader.seed)
            (images, labels) = try materialise(LoaderSource(subset))
        } else {
            let (x, y) = try materialise(task.test)
            images = Self.rows(rows, of: x)
            labels = rows.map { y[$0] }
        }
        classNames = task.classNames
        normalization = network.preprocessing().normalization
    }

    /// Rows `rows` of the images, in that order: [rows.count, C, H, W].
    public func images(_ rows: [Int]) -> Tensor { Self.rows(rows, of: images) }

    static func rows(_ rows: [Int], of x: Tensor) -> Tensor {
        let width = x.count / max(x.shape[0], 1)
        let out = Tensor(uninitialized: [rows.count] + Array(x.shape.dropFirst()))
        for (r, i) in rows.enumerated() { (out.pointer + r * width).update(from: x.pointer + i * width, count: width) }
        return out
    }
}
