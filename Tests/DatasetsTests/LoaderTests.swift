import XCTest
import Engine
@testable import Datasets

final class DataLoaderTests: XCTestCase {
    /// 23 distinct 6×6 grey images (image i has pattern seed i), labels i mod 3.
    func dataset() throws -> ByteImageDataset {
        let n = 23
        let pixels = (0..<n).flatMap { Fixture.pattern(width: 6, height: 6, channels: 1, seed: $0).pixels }
        return try ByteImageDataset(name: "toy", shape: ImageShape(height: 6, width: 6, channels: 1), pixels: pixels,
                                    labels: (0..<n).map { $0 % 3 })
    }

    let augment = TrainTransform(Preprocessing(crop: 6, padding: 1, channels: 1))

    func collect(_ epoch: LoaderEpoch) throws -> [ImageBatch] {
        var out = [ImageBatch]()
        while let b = try epoch.nextBatch() { out.append(b) }
        return out
    }

    func testEveryExampleOncePerEpochWithShapesAndLabels() throws {
        let ds = try dataset()
        let loader = DataLoader(ds, batchSize: 5, transform: augment, seed: 4)
        XCTAssertEqual(loader.batchCount, 5)
        let batches = try collect(loader.batches(epoch: 0))
        XCTAssertEqual(batches.map(\.labels.count), [5, 5, 5, 5, 3])
        XCTAssertEqual(batches.first?.images.shape, [5, 1, 6, 6])
        XCTAssertEqual(batches.flatMap(\.indices).sorted(), Array(0..<23))
        for b in batches { XCTAssertEqual(b.labels, b.indices.map { $0 % 3 }) }
        let next = try collect(loader.batches(epoch: 1)).flatMap(\.indices)
        XCTAssertNotEqual(next, batches.flatMap(\.indices), "each epoch has its own order")
        let dropped = DataLoader(ds, batchSize: 5, transform: augment, dropLast: true)
        XCTAssertEqual(try collect(dropped.batches(epoch: 0)).map(\.labels.count), [5, 5, 5, 5])
    }

    func testSameSeedSameBatchesWhateverPrefetchOrThreads() throws {
        let ds = try dataset()
        func run(prefetch: Int, threads: Int, seed: UInt64 = 11) throws -> [[Float]] {
            let l = DataLoader(ds, indices: Array(2..<23), batchSize: 4, transform: augment, seed: seed,
                               prefetch: prefetch, decodeThreads: threads)
            return try (0..<2).flatMap { try collect(l.batches(epoch: $0)).map(\.images.array) }
        }
        let reference = try run(prefetch: 0, threads: 1)
        XCTAssertEqual(try run(prefetch: 2, threads: 1), reference)
        XCTAssertEqual(try run(prefetch: 1, threads: 3), reference)
        XCTAssertEqual(try run(prefetch: 3, threads: 2), reference)
        XCTAssertNotEqual(try run(prefetch: 2, threads: 2, seed: 12), reference)
    }

    func testAugmentationDependsOnExampleAndEpochNotPosition() throws {
        let ds = try dataset()
        let a = DataLoader(ds, indices: [7], batchSize: 1, transform: augment, seed: 3)
        let b = DataLoader(ds, indices: [1, 7, 9], batchSize: 3, transform: augment, shuffle: false, seed: 3)
        let alone = try collect(a.batches(epoch: 5))[0].images.array
        let inBatch = try collect(b.batches(epoch: 5))[0].images.array
        XCTAssertEqual(Array(inBatch[36..<72]), alone)
    }

    func testOrderedBatchesUseTheEvaluationTransform() throws {
        let ds = try dataset()
        let eval = EvalTransform(Preprocessing(crop: 6, channels: 1))
        let loader = DataLoader(ds, batchSize: 10, transform: augment, evaluationTransform: eval, seed: 1)
        let batches = try collect(loader.orderedBatches())
        XCTAssertEqual(batches.flatMap(\.indices), Array(0..<23))
        let first = try ds.image(at: 0).pixels.map { Float($0) / 255 }
        let diff = zip(batches[0].images.array[0..<36], first).map { abs($0 - $1) }.max()!
        XCTAssertLessThan(diff, 1e-6, "example 0, centre crop of its own size = the image / 255")
    }

    func testDecodeErrorsStopTheEpochAndNameTheFile() throws {
        let dir = TempDir()
        for i in 0..<6 { dir.write("root/c/\(i).png", try PNGCodec.encode(Fixture.pattern(width: 4, height: 4, channels: 1, seed: i))) }
        dir.write("root/c/3.png", [0x89, 0x50, 0x4E, 0x47, 0, 0])
        let ds = try ImageFolderDataset(root: "\(dir.path)/root")
        let loader = DataLoader(ds, batchSize: 2, transform: EvalTransform(Preprocessing(crop: 4, channels: 1)), shuffle: false)
        let epoch = loader.batches(epoch: 0)
        XCTAssertNotNil(try epoch.nextBatch())
        assertDatasetError(try epoch.nextBatch(), file: "3.png", "PNG")
        var seen = 0
        let again = loader.batches(epoch: 0)
        for _ in again { seen += 1 }
        XCTAssertEqual(seen, 1)
        XCTAssertNotNil(again.error, "the for-in form keeps the error")
        let mixed = DataLoader(ds, batchSize: 2, transform: TransformPipeline([], outputShape: [1, 5, 5]), shuffle: false)
        assertDatasetError(try mixed.batches(epoch: 0).nextBatch(), file: "#0", "after the transforms")
    }

    func testAbandonedEpochsDoNotBlock() throws {
        let ds = try dataset()
        let loader = DataLoader(ds, batchSize: 1, transform: augment, prefetch: 2)
        for e in 0..<20 { _ = try loader.batches(epoch: e).nextBatch() }  // each epoch dropped after one batch
        XCTAssertEqual(try collect(loader.batches(epoch: 99)).count, 23)
    }
}
