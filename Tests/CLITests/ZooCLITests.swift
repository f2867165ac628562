import XCTest
import Foundation

/// The zoo verbs on real files: `zoo`, `predict` with the packaged EfficientNet-Lite0 weights, fine-tuning it on
/// a folder of photos and predicting the folder's class names, and `inspect`/`import` of a plain state dict.
extension CLITests {
    /// The data folder (GROW_DATA_DIR, else the repository's `data/`), or a skip when the real data is absent.
    func realDataDir(needing files: [String]) throws -> String {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let dir = ProcessInfo.processInfo.environment["GROW_DATA_DIR"] ?? repo.appendingPathComponent("data").path
        for f in files where !FileManager.default.fileExists(atPath: "\(dir)/\(f)") {
            throw XCTSkip("\(dir)/\(f) is missing: run scripts/fetch_data.sh first")
        }
        return dir
    }

    func testZooPredictAndFineTuneOnAPhotoFolder() throws {
        let data = try realDataDir(needing: ["efficientnet-lite0/efficientnet-lite0-57934424.pth", "imagenet/classes.txt", "foolbox"])
        let zoo = try run(["zoo", "--data-dir", data])
        for id in ["mini-alexnet", "efficientnet-lite0", "alexnet", "vgg16", "resnet18", "resnet50"] { XCTAssertTrue(zoo.out.contains(id + " — "), id) }
        XCTAssertTrue(zoo.out.contains("present (use --from efficientnet-lite0)"), zoo.out)

        let image = "\(data)/foolbox/imagenet_00_243.jpg"
        let predicted = try run(["predict", "--model", "efficientnet-lite0", "--top", "2", "--json", "--data-dir", data, image])
        let json = try JSONSerialization.jsonObject(with: Data(predicted.out.utf8)) as! [[String: Any]]
        let top = json[0]["top"] as! [[String: Any]]
        XCTAssertEqual(top.count, 2)
        XCTAssertEqual(top[0]["index"] as? Int, 243, predicted.out)
        XCTAssertEqual(top[0]["name"] as? String, "bull mastiff", predicted.out)

        // A user's photo folder: two classes of three photos each.
        let folder = work.appendingPathComponent("photos")
        let photos = try FileManager.default.contentsOfDirectory(atPath: "\(data)/foolbox").filter { $0.hasPrefix("imagenet_") }.sorted()
        for (c, name) in ["mastiffs", "chairs"].enumerated() {
            let dir = folder.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            for p in photos[(c * 3)..<(c * 3 + 3)] {
                try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent(p).path, withDestinationPath: "\(data)/foolbox/\(p)")
            }
        }
        let ft = try run(["finetune", "--from", "efficientnet-lite0", "--size", "32", "--target", "folder:\(folder.path)", "--shots", "2",
                          "--test-per-class", "1", "--method", "wa", "--units", "8", "--depth", "new", "--epochs", "2",
                          "--data-dir", data, "--out", "photos.safetensors"])
        XCTAssertTrue(ft.out.contains("growing: widen the top layer (FC7) by 8"), ft.out)
        let mine = try run(["predict", "--model", "photos.safetensors", "--top", "2", "--data-dir", data, image])
        XCTAssertTrue(mine.out.contains("mastiffs") && mine.out.contains("chairs"), "the folder's class names: \(mine.out)")
    }

    func testInspectAndImportOfAPlainStateDict() throws {
        let source = try writeQuadrants(64, name: "source", seed: 1)
        try run(["pretrain", "--dataset", source, "--epochs", "1", "--batch-size", "32", "--out", "src.safetensors"])
        let plain = work.appendingPathComponent("plain.safetensors")
        try Self.stripMetadata(from: work.appendingPathComponent("src.safetensors"), to: plain, dropping: "optimizer.")

        let inspect = try run(["inspect", "plain.safetensors"])
        XCTAssertTrue(inspect.out.contains("fc7.weight  [512, 512]  F32"), inspect.out)
        XCTAssertTrue(inspect.out.contains("tensor names match: mini-alexnet"), inspect.out)
        let noSize = try run(["import", "--arch", "mini-alexnet", "plain.safetensors", "--out", "imported.safetensors"], expect: 1)
        XCTAssertTrue(noSize.err.contains("fc6.weight: expected shape [512, 1152], file has [512, 512]") && noSize.err.contains("--size"), noSize.err)
        let imported = try run(["import", "--arch", "mini-alexnet", "--size", "16", "plain.safetensors", "--out", "imported.safetensors"])
        XCTAssertTrue(imported.out.contains("wrote imported.safetensors"), imported.out)
        XCTAssertTrue(try run(["inspect", "imported.safetensors"]).out.contains("architecture: mini-alexnet"))
        let wrong = try run(["import", "--arch", "resnet18", "plain.safetensors", "--out", "x.safetensors"], expect: 1)
        XCTAssertTrue(wrong.err.contains("classifier weight 'fc.weight'"), wrong.err)
        let plainFinetune = try run(["finetune", "--from", "plain.safetensors", "--target", source], expect: 1)
        XCTAssertTrue(plainFinetune.err.contains("--arch"), plainFinetune.err)
    }

    /// A copy of a safetensors file without its metadata and without tensors whose names start with `dropping`.
    static func stripMetadata(from: URL, to: URL, dropping prefix: String) throws {
        let bytes = [UInt8](try Data(contentsOf: from))
        let n = Int(bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        var header = try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + n)])) as! [String: Any]
        header["__metadata__"] = nil
        var data: [UInt8] = []
        var out: [String: Any] = [:]
        for (name, value) in header.sorted(by: { $0.key < $1.key }) where !name.hasPrefix(prefix) {
            var info = value as! [String: Any]
            let range = info["data_offsets"] as! [Int]
            info["data_offsets"] = [data.count, data.count + range[1] - range[0]]
            data += bytes[(8 + n + range[0])..<(8 + n + range[1])]
            out[name] = info
        }
        var json = [UInt8](try JSONSerialization.data(withJSONObject: out))
        while json.count % 8 != 0 { json.append(0x20) }
        let length = withUnsafeBytes(of: UInt64(json.count).littleEndian, Array.init)
        try Data(length + json + data).write(to: to)
    }
}
