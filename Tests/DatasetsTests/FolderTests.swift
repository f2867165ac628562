import XCTest
@testable import Datasets

final class ImageFolderTests: XCTestCase {
    /// root/cat/{a.png, b.jpg, sub/c.png}, root/ant/x.jpeg (grey): classes sort as ant, cat.
    func makeFolder() throws -> TempDir {
        let dir = TempDir()
        dir.write("root/cat/a.png", try PNGCodec.encode(Fixture.pattern(width: 4, height: 3, channels: 3)))
        dir.write("root/cat/b.jpg", try JPEGCodec.encode(Fixture.smooth(width: 8, height: 8, channels: 3)))
        dir.write("root/cat/sub/c.png", try PNGCodec.encode(Fixture.pattern(width: 2, height: 2, channels: 1)))
        dir.write("root/cat/notes.txt", text: "not an image")
        dir.write("root/cat/.hidden.png", text: "ignored")
        dir.write("root/ant/x.JPEG", try JPEGCodec.encode(Fixture.smooth(width: 6, height: 5, channels: 1)))
        return dir
    }

    func testListsClassesSortedAndDecodesOnDemand() throws {
        let dir = try makeFolder()
        let ds = try ImageFolderDataset(root: "\(dir.path)/root")
        XCTAssertEqual(ds.classNames, ["ant", "cat"])
        XCTAssertEqual(ds.files, ["ant/x.JPEG", "cat/a.png", "cat/b.jpg", "cat/sub/c.png"])
        XCTAssertEqual(ds.labels, [0, 1, 1, 1])
        XCTAssertEqual(try ds.image(at: 0).shape, ImageShape(height: 5, width: 6, channels: 1))
        XCTAssertEqual(try ds.image(at: 1), Fixture.pattern(width: 4, height: 3, channels: 3))
        let (shapes, failures) = ds.scan()
        XCTAssertEqual(shapes.values.reduce(0, +), 4)
        XCTAssertTrue(failures.isEmpty)
    }

    func testSplitListsSelectFilesAndKeepAllClasses() throws {
        let dir = try makeFolder()
        dir.write("root/train.txt", text: "cat/a.png\n./cat/sub/c.png\n\n")
        dir.write("root/test.txt", text: "ant/x.JPEG\ncat/b.jpg\n")
        let train = try ImageFolderDataset(root: "\(dir.path)/root", split: .train)
        XCTAssertEqual(train.files, ["cat/a.png", "cat/sub/c.png"])
        XCTAssertEqual(train.classNames, ["ant", "cat"])
        XCTAssertEqual(train.classCounts(), [0, 2])
        XCTAssertEqual(try ImageFolderDataset(root: "\(dir.path)/root", split: .test).labels, [0, 1])
        XCTAssertEqual(try DatasetSource(parsing: "folder:\(dir.path)/root").splits(), [.all, .train, .test])
    }

    func testBadFoldersAreErrors() throws {
        let dir = try makeFolder()
        assertDatasetError(try ImageFolderDataset(root: "\(dir.path)/missing"), file: "missing", "no such folder")
        assertDatasetError(try ImageFolderDataset(root: "\(dir.path)/root/ant"), file: "ant", "no class folders")
        try FileManager.default.createDirectory(atPath: "\(dir.path)/root/empty", withIntermediateDirectories: true)
        assertDatasetError(try ImageFolderDataset(root: "\(dir.path)/root"), file: "root/empty", "empty class folder")
        try FileManager.default.removeItem(atPath: "\(dir.path)/root/empty")
        assertDatasetError(try ImageFolderDataset(root: "\(dir.path)/root", split: .train), file: "train.txt", "no split list")
        dir.write("root/train.txt", text: "cat/a.png\ncat/zzz.png\n")
        assertDatasetError(try ImageFolderDataset(root: "\(dir.path)/root", split: .train), file: "train.txt", "line 2", "does not exist")
        dir.write("root/train.txt", text: "dog/a.png\n")
        assertDatasetError(try ImageFolderDataset(root: "\(dir.path)/root", split: .train), file: "train.txt", "class folder")
    }

    func testCorruptImagesFailOnDecodeOrAreSkipped() throws {
        let dir = try makeFolder()
        let jpeg = try JPEGCodec.encode(Fixture.pattern(width: 32, height: 32, channels: 3))
        dir.write("root/cat/truncated.jpg", Array(jpeg.prefix(jpeg.count / 2)))
        dir.write("root/cat/zero.png", [])
        let strict = try ImageFolderDataset(root: "\(dir.path)/root")
        XCTAssertEqual(strict.count, 6)
        let bad = strict.files.firstIndex(of: "cat/truncated.jpg")!
        assertDatasetError(try strict.image(at: bad), file: "cat/truncated.jpg", "truncated JPEG")
        XCTAssertEqual(strict.scan().failures.count, 2)
        XCTAssertTrue(DatasetSummary.describe(strict).contains("2 unreadable image(s)"))

        let lenient = try ImageFolderDataset(root: "\(dir.path)/root", skipBadImages: true)
        XCTAssertEqual(lenient.count, 4)
        XCTAssertEqual(lenient.skipped.map { ($0.file as NSString).lastPathComponent }.sorted(), ["truncated.jpg", "zero.png"])
        XCTAssertTrue(DatasetSummary.describe(lenient).contains("skipped 2 unreadable image(s)"))
    }
}

final class DatasetSourceTests: XCTestCase {
    func testParsesEveryForm() throws {
        XCTAssertEqual(try DatasetSource(parsing: "fashion-mnist"), .builtin(.fashionMNIST))
        XCTAssertEqual(try DatasetSource(parsing: "Animal-MNIST"), .builtin(.animalMNIST))
        XCTAssertEqual(try DatasetSource(parsing: "mnist-5k"), .builtin(.mnist5k))
        XCTAssertEqual(try DatasetSource(parsing: "idx:a/b,c"), .idx(images: "a/b", labels: "c"))
        XCTAssertEqual(try DatasetSource(parsing: "csv:x.csv"), .csv(path: "x.csv", format: CSVFormat()))
        XCTAssertEqual(try DatasetSource(parsing: "csv:x.csv,label=first,shape=8x4x3"),
                       .csv(path: "x.csv", format: CSVFormat(labelColumn: .first, shape: ImageShape(height: 8, width: 4, channels: 3))))
        XCTAssertEqual(try DatasetSource(parsing: "csv:x.csv,label=3"), .csv(path: "x.csv", format: CSVFormat(labelColumn: .index(3))))
        XCTAssertEqual(try DatasetSource(parsing: "folder:/d,with,commas"), .folder(path: "/d,with,commas"))
    }

    func testBadNamesListTheValidForms() {
        assertDatasetError(try DatasetSource(parsing: "cifar10"), file: "cifar10", "unknown data set",
                           "fashion-mnist, animal-mnist, mnist-5k, idx:IMAGES,LABELS, csv:PATH, folder:PATH")
        assertDatasetError(try DatasetSource(parsing: "zip:x"), file: "zip:x", "unknown data set kind 'zip'")
        assertDatasetError(try DatasetSource(parsing: "idx:onlyone"), file: "idx:onlyone", "idx:IMAGES,LABELS")
        assertDatasetError(try DatasetSource(parsing: "csv:x,shape=3"), file: "csv:x,shape=3", "HxW")
        assertDatasetError(try DatasetSource(parsing: "csv:x,colour=red"), file: "csv:x,colour=red", "unknown csv option")
        assertDatasetError(try DatasetSource(parsing: "folder:"), file: "folder:", "needs a path")
    }

    func testMissingBuiltinDataSaysHowToFetch() {
        let empty = TempDir()
        assertDatasetError(try DatasetSource.builtin(.animalMNIST).load(dataDir: empty.path), file: "animal-mnist", "grow data fetch")
        assertDatasetError(try DatasetSource.builtin(.fashionMNIST).load(.all, dataDir: empty.path), file: "fashion-mnist",
                           "no 'all' split", "train, test")
        assertDatasetError(try DatasetSource.builtin(.mnist5k).load(.train, dataDir: empty.path), file: "mnist-5k", "few-shot")
    }

    func testLoadsIDXAndCSVSourcesAndDataDirectoryOrder() throws {
        let dir = TempDir()
        let i = dir.write("i", Fixture.idx([2, 1, 1], [7, 8])), l = dir.write("l", Fixture.idx([2], [1, 0]))
        XCTAssertEqual(try DatasetSource(parsing: "idx:\(i),\(l)").load().labels, [1, 0])
        let c = dir.write("c.csv", text: "9,1\n8,0\n")
        XCTAssertEqual(try DatasetSource(parsing: "csv:\(c),label=last").load().count, 2)
        XCTAssertEqual(DataDirectory.resolve("/explicit"), "/explicit")
        let env = ProcessInfo.processInfo.environment["GROW_DATA_DIR"]
        XCTAssertEqual(DataDirectory.resolve(), env.flatMap { $0.isEmpty ? nil : $0 } ?? "./data")
    }
}
