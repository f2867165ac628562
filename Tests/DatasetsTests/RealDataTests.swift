import XCTest
import Engine
@testable import Datasets

/// Checks on the fetched data sets (counts, shapes, class balance, first-image checksums computed
/// independently with Python when the fetch script was written). They need `scripts/fetch_data.sh`
/// to have run; set GROW_SKIP_REAL_DATA=1 to skip them on a machine without the data.
final class RealDataTests: XCTestCase {
    var dataDir = ""

    override func setUpWithError() throws {
        if ProcessInfo.processInfo.environment["GROW_SKIP_REAL_DATA"] == "1" { throw XCTSkip("GROW_SKIP_REAL_DATA=1") }
        dataDir = DataDirectory.resolve()
        let missing = ["fashion-mnist", "animal-mnist", "mnist-5k", "foolbox"].filter {
            !FileManager.default.fileExists(atPath: "\(dataDir)/\($0)")
        }
        guard missing.isEmpty else {
            throw DatasetError(dataDir, "no \(missing.joined(separator: ", ")) here: run scripts/fetch_data.sh (or `grow data fetch`) "
                               + "first, set GROW_DATA_DIR to the data folder, or set GROW_SKIP_REAL_DATA=1 to skip these tests")
        }
    }

    func pixelSum(_ bytes: [UInt8]) -> Int { bytes.withUnsafeBufferPointer { $0.reduce(0) { $0 + Int($1) } } }

    func testFashionMNISTTrainAndTest() throws {
        let train = try DatasetSource.builtin(.fashionMNIST).load(.train, dataDir: dataDir) as! ByteImageDataset
        XCTAssertEqual(train.count, 60_000)
        XCTAssertEqual(train.imageShape, ImageShape(height: 28, width: 28, channels: 1))
        XCTAssertEqual(train.classCounts(), [Int](repeating: 6_000, count: 10))
        XCTAssertEqual((0..<10).map { train.label(at: $0) }, [9, 0, 0, 3, 0, 2, 7, 2, 5, 5])
        XCTAssertEqual(pixelSum(try train.image(at: 0).pixels), 76_247)
        XCTAssertEqual(pixelSum(train.pixels), 3_431_114_169)
        let test = try DatasetSource.builtin(.fashionMNIST).load(.test, dataDir: dataDir)
        XCTAssertEqual(test.count, 10_000)
        XCTAssertEqual(test.classCounts(), [Int](repeating: 1_000, count: 10))
        XCTAssertEqual(test.classNames[9], "Ankle boot")
        // foolbox's first Fashion-MNIST sample is test image 0: two formats, one picture.
        let png = try ImageFileDataset.foolbox("fashionMNIST", dataDir: dataDir)
        XCTAssertEqual(try png.image(at: 0), try test.image(at: 0))
        XCTAssertEqual(png.label(at: 0), test.label(at: 0))
    }

    func testAnimalMNIST() throws {
        let ds = try DatasetSource(parsing: "animal-mnist").load(dataDir: dataDir) as! ByteImageDataset
        XCTAssertEqual(ds.count, 10_000)
        XCTAssertEqual(ds.imageShape, ImageShape(height: 28, width: 28, channels: 1))
        XCTAssertEqual(ds.classCounts(), [Int](repeating: 1_000, count: 10))
        XCTAssertEqual(ds.labels, (0..<10_000).map { $0 / 1_000 }, "the set is sorted by class")
        XCTAssertEqual(pixelSum(try ds.image(at: 0).pixels), 48_553)
        XCTAssertEqual(pixelSum(ds.pixels), 545_386_226)
        XCTAssertEqual(ds.classNames, ["Bear", "Bird", "Cat", "Cow", "Dog", "Elephant", "Giraffe", "Horse", "Sheep", "Zebra"])
        let draw = try FewShotSampler.draw(ds, shots: 10, testPerClass: 100, seed: 0)
        XCTAssertEqual(draw.train.count, 100)
        XCTAssertEqual(Set(draw.train.map { ds.label(at: $0) }).count, 10)
    }

    func testMNIST5k() throws {
        let ds = try DatasetSource.builtin(.mnist5k).load(dataDir: dataDir) as! ByteImageDataset
        XCTAssertEqual(ds.count, 5_000)
        XCTAssertEqual(ds.imageShape, ImageShape(height: 28, width: 28, channels: 1))
        XCTAssertEqual(ds.classCounts(), [Int](repeating: 500, count: 10))
        XCTAssertEqual(ds.label(at: 0), 0)
        XCTAssertEqual(pixelSum(try ds.image(at: 0).pixels), 31_095)
    }

    func testFoolboxJPEGsAndPNGsDecode() throws {
        let imagenet = try ImageFileDataset.foolbox("imagenet", dataDir: dataDir)
        XCTAssertEqual(imagenet.count, 20)
        XCTAssertEqual(imagenet.label(at: 0), 243)
        let first = try imagenet.image(at: 0)
        XCTAssertEqual(first.shape, ImageShape(height: 512, width: 512, channels: 3))
        // Per-channel sums from Pillow 11 (its own libjpeg-turbo build); libjpeg's accurate integer
        // IDCT is specified exactly, so the sums agree to rounding noise.
        let sums = (0..<3).map { c in stride(from: c, to: first.pixels.count, by: 3).reduce(0) { $0 + Int(first.pixels[$1]) } }
        for (mine, pil) in zip(sums, [30_155_512, 29_191_298, 22_095_980]) {
            XCTAssertEqual(Double(mine) / 262_144, Double(pil) / 262_144, accuracy: 0.05, "mean channel value vs Pillow")
        }
        let cifar = try ImageFileDataset.foolbox("cifar10", dataDir: dataDir)
        let c0 = try cifar.image(at: 0)
        XCTAssertEqual(c0.shape, ImageShape(height: 32, width: 32, channels: 3))
        XCTAssertEqual((0..<3).map { c in stride(from: c, to: c0.pixels.count, by: 3).reduce(0) { $0 + Int(c0.pixels[$1]) } },
                       [112_665, 113_426, 106_871])
        XCTAssertEqual(pixelSum(try ImageFileDataset.foolbox("mnist", dataDir: dataDir).image(at: 0).pixels), 18_454)
    }

    func testFoolboxSamplesAsAnImageFolder() throws {
        // Lay the 100 samples out as root/<kind>/<file> (symlinks) and read them as a folder data set.
        let dir = TempDir()
        let source = "\(dataDir)/foolbox"
        for name in try FileManager.default.contentsOfDirectory(atPath: source) {
            let kind = String(name.split(separator: "_")[0])
            try FileManager.default.createDirectory(atPath: "\(dir.path)/\(kind)", withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: "\(dir.path)/\(kind)/\(name)",
                                                       withDestinationPath: URL(fileURLWithPath: "\(source)/\(name)").path)
        }
        let ds = try ImageFolderDataset(root: dir.path, skipBadImages: true)
        XCTAssertEqual(ds.count, 100)
        XCTAssertTrue(ds.skipped.isEmpty)
        XCTAssertEqual(ds.classNames, ["cifar10", "cifar100", "fashionMNIST", "imagenet", "mnist"])
        XCTAssertEqual(ds.classCounts(), [20, 20, 20, 20, 20])
        let loader = DataLoader(ds, indices: Array(60..<80), batchSize: 8,
                                transform: TrainTransform(Preprocessing(resize: 128, crop: 112, channels: 3, normalization: .imagenet)))
        let batch = try XCTUnwrap(try loader.batches(epoch: 0).nextBatch())
        XCTAssertEqual(batch.images.shape, [8, 3, 112, 112])
    }

    func testFashionLoaderBatches() throws {
        let train = try DatasetSource.builtin(.fashionMNIST).load(.test, dataDir: dataDir)
        let loader = DataLoader(train, batchSize: 64, transform: TrainTransform(Preprocessing(crop: 28, padding: 2, channels: 1)))
        XCTAssertEqual(loader.batchCount, 157)
        var n = 0
        for b in loader.batches(epoch: 0).prefix(20) { n += b.labels.count; XCTAssertEqual(b.images.shape, [64, 1, 28, 28]) }
        XCTAssertEqual(n, 1280)
    }
}
