import Foundation
import Engine
import Datasets

/// Loader throughput (decoded + augmented images per second), to check the loader keeps ahead of
/// training (`grow data bench`).
public enum LoaderBenchmark {
    /// One measurement: images per second through `DataLoader` (decode + transform + batching).
    public struct Result: Sendable, Codable {
        public let name: String
        public let batch: Int
        public let decodeThreads: Int
        public let imagesPerSecond: Double
    }

    /// Runs the loader over `dataset` for at least `seconds` (whole batches) and returns images/s.
    public static func measure(_ name: String, _ dataset: any ImageDataset, batch: Int, transform: any ExampleTransform,
                               seconds: Double, decodeThreads: Int = Threads.count) throws -> Result {
        let loader = DataLoader(dataset, batchSize: batch, transform: transform, seed: 1, decodeThreads: decodeThreads)
        _ = try loader.makeBatch(Array(0..<Swift.min(batch, dataset.count)), epoch: 0)  // warm caches and pools
        var images = 0, epoch = 0
        let start = DispatchTime.now().uptimeNanoseconds
        func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        while elapsed() < seconds {
            let batches = loader.batches(epoch: epoch)
            while let b = try batches.nextBatch() {
                images += b.labels.count
                if elapsed() >= seconds { break }
            }
            epoch += 1
        }
        return Result(name: name, batch: batch, decodeThreads: decodeThreads, imagesPerSecond: Double(images) / elapsed())
    }

    /// The two measurements: foolbox's 512×512 ImageNet JPEGs through the paper's training
    /// transform at 224 px (full-size decode, and libjpeg's reduced-scale decode to ≥ 256 px), and
    /// Fashion-MNIST batches of 64 with random crop (padding 2) and flip.
    public static func standard(dataDir: String = DataDirectory.resolve(), seconds: Double = 3,
                                only filter: String? = nil) throws -> [Result] {
        func wanted(_ name: String) -> Bool { filter.map { name.lowercased().contains($0.lowercased()) } ?? true }
        var results = [Result]()
        let imagenet = TrainTransform(Preprocessing(resize: 256, crop: 224, channels: 3, normalization: .imagenet))
        for scaled in [false, true] {
            let name = "foolbox JPEG 512→224, " + (scaled ? "decode at 1/2" : "full decode")
            guard wanted(name) else { continue }
            var jpegs = try ImageFileDataset.foolbox("imagenet", dataDir: dataDir)
            jpegs.minShorterSide = scaled ? 256 : 0
            results.append(try measure(name, jpegs, batch: 20, transform: imagenet, seconds: seconds))
        }
        let name = "fashion-mnist 28×28 batch 64"
        if wanted(name) {
            let fashion = try DatasetSource.builtin(.fashionMNIST).load(.train, dataDir: dataDir)
            let small = TrainTransform(Preprocessing(crop: 28, padding: 2, channels: 1))
            results.append(try measure(name, fashion, batch: 64, transform: small, seconds: seconds))
        }
        return results
    }
}
