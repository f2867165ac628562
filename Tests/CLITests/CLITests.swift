import XCTest
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Runs the built `grow` binary on tiny generated data and checks its output and files.
final class CLITests: XCTestCase {
    var work: URL!

    override func setUpWithError() throws {
        work = FileManager.default.temporaryDirectory.appendingPathComponent("grow-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: work) }

    /// The `grow` executable next to the test bundle.
    var grow: URL {
        get throws {
            let candidates = [Bundle.main.bundleURL] + Bundle.allBundles.map { $0.bundleURL.deletingLastPathComponent() }
            guard let dir = candidates.first(where: { FileManager.default.fileExists(atPath: $0.appendingPathComponent("grow").path) }) else {
                throw XCTSkip("the grow executable was not built next to the tests; run `swift build --build-tests` first")
            }
            return dir.appendingPathComponent("grow")
        }
    }

    @discardableResult
    func run(_ arguments: [String], expect status: Int32 = 0, file: StaticString = #filePath, line: UInt = #line) throws -> (out: String, err: String) {
        let r = try launch(arguments)
        XCTAssertEqual(r.status, status, "grow \(arguments.joined(separator: " ")) exited \(r.status)\nstdout: \(r.out)\nstderr: \(r.err)", file: file, line: line)
        return (r.out, r.err)
    }

    /// An IDX pair of 16×16 images: a bright square in one quadrant (class = quadrant), 4 classes.
    func writeQuadrants(_ n: Int, name: String, seed: UInt64) throws -> String {
        var state = seed
        func next() -> Int { state = state &* 6364136223846793005 &+ 1442695040888963407; return Int(state >> 33) }
        var images: [UInt8] = [0, 0, 8, 3] + [n, 16, 16].flatMap { withUnsafeBytes(of: UInt32($0).bigEndian, Array.init) }
        var labels: [UInt8] = [0, 0, 8, 1] + withUnsafeBytes(of: UInt32(n).bigEndian, Array.init)
        for i in 0..<n {
            let c = i % 4
            labels.append(UInt8(c))
            var img = [UInt8](repeating: 0, count: 256)
            let (r0, c0) = (c / 2 * 8 + next() % 3, c % 2 * 8 + next() % 3)
            for r in r0..<(r0 + 5) { for col in c0..<(c0 + 5) { img[r * 16 + col] = 255 } }
            for j in 0..<256 where next() % 10 == 0 { img[j] = UInt8(next() % 256) }
            images += img
        }
        let imagesPath = work.appendingPathComponent("\(name)-images.idx").path, labelsPath = work.appendingPathComponent("\(name)-labels.idx").path
        try Data(images).write(to: URL(fileURLWithPath: imagesPath))
        try Data(labels).write(to: URL(fileURLWithPath: labelsPath))
        return "idx:\(imagesPath),\(labelsPath)"
    }

    func testPretrainFinetuneEvalInspectCompare() throws {
        let source = try writeQuadrants(200, name: "source", seed: 1)
        let target = try writeQuadrants(120, name: "target", seed: 2)

        let pre = try run(["pretrain", "--dataset", source, "--epochs", "1", "--batch-size", "32", "--out", "src.safetensors"])
        XCTAssertTrue(pre.out.contains("pretraining mini-alexnet on idx:"), pre.out)
        XCTAssertTrue(pre.out.contains("wrote src.safetensors"), pre.out)
        XCTAssertTrue(pre.err.contains("pretrain") && pre.err.contains("img/s"), "a progress display: \(pre.err)")

        let ft = try run(["finetune", "--from", "src.safetensors", "--target", target, "--shots", "5", "--test-per-class", "10",
                          "--method", "wwa", "--units", "8", "--depth", "fc6", "--epochs", "2", "--out", "wwa.safetensors"])
        XCTAssertTrue(ft.out.contains("growing: widen the layer below the top (FC6) by 4"), ft.out)
        XCTAssertTrue(ft.out.contains("per-block accuracy"), ft.out)
        XCTAssertTrue(FileManager.default.fileExists(atPath: work.appendingPathComponent("wwa.safetensors").path))

        let inspect = try run(["inspect", "wwa.safetensors"])
        XCTAssertTrue(inspect.out.contains("growth log:"), inspect.out)
        XCTAssertTrue(inspect.out.contains("1. widen the layer below the top (FC6) by 4 (random, norm γ₀=20.0, consumer keeps old inputs)"), inspect.out)
        XCTAssertTrue(inspect.out.contains("finetune on"), inspect.out)

        let eval = try run(["eval", "--model", "wwa.safetensors", "--dataset", target])
        XCTAssertTrue(eval.out.contains("test top-1"), eval.out)
        XCTAssertTrue(eval.out.contains("confusion matrix"), eval.out)

        let compare = try run(["compare", "--from", "src.safetensors", "--target", target, "--shots", "5", "--quick",
                               "--retention", source, "--select-lr", "0.001,0.01", "--source-study", source, "--out", "report"])
        XCTAssertTrue(compare.out.contains("claims:"), compare.out)
        let markdown = try String(contentsOf: work.appendingPathComponent("report/report.md"), encoding: .utf8)
        for section in ["Learning rates picked on validation", "Training budget and convergence", "FT had", "Table 6", "Table 7"] {
            XCTAssertTrue(markdown.contains(section), section)
        }
        for file in ["report.md", "report.html", "results.csv", "results.json", "plots/per-block.svg"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: work.appendingPathComponent("report/\(file)").path), file)
        }
        // The HTML report is well-formed (XML-parsable, plots inline).
        let html = try Data(contentsOf: work.appendingPathComponent("report/report.html"))
        let doc = try XMLDocument(data: html, options: [])
        XCTAssertGreaterThanOrEqual(try doc.nodes(forXPath: "//*[local-name()='svg']").count, 5)
        XCTAssertGreaterThanOrEqual(try doc.nodes(forXPath: "//table").count, 3)
        let csv = try String(contentsOf: work.appendingPathComponent("report/results.csv"), encoding: .utf8)
        XCTAssertEqual(csv.split(separator: "\n").count, 1 + 4 * 2 + 2, "one row per run of the quick grid, and the source study's two")
        XCTAssertFalse(markdown.contains("run with --source-study"), "claims 9 and 10 are tested")
        XCTAssertTrue(FileManager.default.fileExists(atPath: work.appendingPathComponent("report/source-study/scratch.safetensors").path))

        // `grow report` rewrites the same report from results.json alone.
        try FileManager.default.removeItem(at: work.appendingPathComponent("report/report.md"))
        let rewritten = try run(["report", "report"])
        XCTAssertTrue(rewritten.out.contains("claims:"), rewritten.out)
        XCTAssertEqual(try String(contentsOf: work.appendingPathComponent("report/report.md"), encoding: .utf8), markdown)
        _ = try run(["report", "no-such-folder"], expect: 64)
        // A second run with the same configuration reuses the source study's models instead of training them again.
        let again = try run(["compare", "--from", "src.safetensors", "--target", target, "--shots", "5", "--quick",
                             "--retention", source, "--source-study", source, "--out", "report"])
        XCTAssertTrue((again.out + again.err).contains("source study: reusing"), again.err)
    }

    /// `grow bench --batch` times the selected workload at the given batch and says so in its report; a batch below
    /// one is refused.
    func testBenchAtAnotherBatch() throws {
        let (out, _) = try run(["bench", "--quick", "--json", "--threads", "1", "--only", "mlp-head", "--batch", "8"])
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
        let workloads = try XCTUnwrap(report["workloads"] as? [[String: Any]])
        XCTAssertEqual(workloads.count, 1)
        XCTAssertEqual(workloads[0]["batch"] as? Int, 8)
        XCTAssertGreaterThan(workloads[0]["train_images_per_s"] as? Double ?? 0, 0)
        let refused = try run(["bench", "--batch", "0"], expect: 64)
        XCTAssertTrue(refused.err.contains("--batch must be at least 1"), refused.err)
    }

    func testBadInputGivesClearErrors() throws {
        let missing = try run(["finetune", "--from", "nope.safetensors"], expect: 64)
        XCTAssertTrue(missing.err.contains("No checkpoint at nope.safetensors"), missing.err)
        let unknown = try run(["pretrain", "--dataset", "imagenet-21k"], expect: 64)
        XCTAssertTrue(unknown.err.contains("valid names are"), unknown.err)
        try Data("not a checkpoint".utf8).write(to: work.appendingPathComponent("junk.safetensors"))
        let junk = try run(["inspect", "junk.safetensors"], expect: 1)
        XCTAssertTrue(junk.err.contains("junk.safetensors"), junk.err)
    }

    /// Degenerate data is refused in one line, naming the set or class and the fix, before anything trains.
    func testDegenerateDataIsRefusedBeforeTraining() throws {
        let source = try writeQuadrants(40, name: "source", seed: 1)
        try run(["pretrain", "--dataset", source, "--epochs", "1", "--batch-size", "32", "--out", "src.safetensors"])
        // One class: the quadrant images of class 0 only, as IDX.
        let images = try Data(contentsOf: work.appendingPathComponent("source-images.idx"))
        let one = try writeIDX(name: "one", count: 10, side: 16, pixels: images.subdata(in: 16..<(16 + 10 * 256)), labels: [UInt8](repeating: 0, count: 10))
        let single = try run(["finetune", "--from", "src.safetensors", "--target", one, "--shots", "2", "--out", "x.safetensors"], expect: 1)
        XCTAssertTrue(single.err.contains("1 class") && single.err.contains("at least 2"), single.err)
        let pretrainOne = try run(["pretrain", "--dataset", one, "--epochs", "1", "--out", "y.safetensors"], expect: 1)
        XCTAssertTrue(pretrainOne.err.contains("at least 2"), pretrainOne.err)
        // More shots than a class has.
        let few = try run(["finetune", "--from", "src.safetensors", "--target", source, "--shots", "10", "--out", "x.safetensors"], expect: 1)
        XCTAssertTrue(few.err.contains("has 10 examples, too few for 10 training") && few.err.contains("lower --shots to 9"), few.err)
        // Images smaller than the network's minimum side.
        let tiny = try writeIDX(name: "tiny", count: 8, side: 4, pixels: Data(count: 8 * 16), labels: [0, 1, 0, 1, 0, 1, 0, 1])
        let small = try run(["pretrain", "--dataset", tiny, "--epochs", "1", "--out", "y.safetensors"], expect: 1)
        XCTAssertTrue(small.err.contains("4×4 pixels, smaller than mini-alexnet's minimum side 8") && small.err.contains("--size 8"), small.err)
        // An output path that cannot be written is refused before any work (a file is in the way of its folder).
        let blocked = try run(["finetune", "--from", "src.safetensors", "--target", source, "--shots", "2", "--out", "src.safetensors/x.safetensors"], expect: 1)
        XCTAssertTrue(blocked.err.contains("--out: cannot create the folder") && blocked.err.contains("src.safetensors"), blocked.err)
        XCTAssertFalse(blocked.out.contains("training views"), blocked.out)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work.appendingPathComponent("x.safetensors").path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: work.appendingPathComponent("y.safetensors").path))
    }

    /// An IDX pair of `count` square images of `side` pixels.
    func writeIDX(name: String, count: Int, side: Int, pixels: Data, labels: [UInt8]) throws -> String {
        let images = Data([0, 0, 8, 3] + [count, side, side].flatMap { withUnsafeBytes(of: UInt32($0).bigEndian, Array.init) }) + pixels
        let labelData = Data([0, 0, 8, 1] + withUnsafeBytes(of: UInt32(count).bigEndian, Array.init) + labels)
        let (i, l) = (work.appendingPathComponent("\(name)-images.idx"), work.appendingPathComponent("\(name)-labels.idx"))
        try images.write(to: i); try labelData.write(to: l)
        return "idx:\(i.path),\(l.path)"
    }
}
