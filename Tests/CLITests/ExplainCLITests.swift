import XCTest
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

extension CLITests {
    /// `grow compare` ends with the analyses of why growth helps (three report sections with numbers and inline pictures),
    /// keeps the networks they read, and `grow explain` recomputes them from those networks alone, to the same report.
    func testCompareReportsTheAnalysesAndExplainRedoesThem() throws {
        let source = try writeQuadrants(200, name: "source", seed: 1)
        let target = try writeQuadrants(120, name: "target", seed: 2)
        try run(["pretrain", "--dataset", source, "--epochs", "1", "--batch-size", "32", "--out", "src.safetensors"])
        let compare = try run(["compare", "--from", "src.safetensors", "--target", target, "--shots", "5", "--quick", "--retention", "none",
                               "--out", "report"])
        XCTAssertTrue(compare.out.contains("analyses (FT, DA, WA fine-tuned at depth All on seed 1's draw; 40 test images"), compare.out)
        XCTAssertTrue(compare.out.contains("feature space"), compare.out)
        let dir = work.appendingPathComponent("report")
        for file in ["analysis.json", "networks/source.safetensors", "networks/ft-all-seed1.safetensors", "networks/da-all-seed1.safetensors",
                     "networks/wa-all-seed1.safetensors", "plots/embedding-wa.svg", "plots/per-block-curves-wa.svg", "plots/learning-pace.svg"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent(file).path), file)
        }
        let markdown = try String(contentsOf: dir.appendingPathComponent("report.md"), encoding: .utf8)
        for title in ["Feature-space separability (paper Fig. 3)", "What units respond to (paper Figs. 4, 5, 7)", "Per-block learning over time (paper Fig. 6)"] {
            XCTAssertTrue(markdown.contains("### \(title)"), title)
        }
        let doc = try XMLDocument(data: Data(contentsOf: dir.appendingPathComponent("report.html")), options: [])
        XCTAssertEqual(try doc.nodes(forXPath: "//*[@id='embeddings']//*[local-name()='svg']").count, 4, "pre-trained, FT, DA, WA")
        XCTAssertGreaterThanOrEqual(try doc.nodes(forXPath: "//img[starts-with(@src, 'data:image/png;base64,')]").count, 4)
        XCTAssertEqual(try doc.nodes(forXPath: "//*[@id='per-block-curves']//*[local-name()='svg']").count, 2)

        // explain: the analyses again from the kept networks, to the same numbers and the same report.
        func features() throws -> NSDictionary {
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("analysis.json"))) as! [String: Any]
            return try XCTUnwrap(json["features"] as? NSDictionary)
        }
        let before = try features()
        try FileManager.default.removeItem(at: dir.appendingPathComponent("analysis.json"))
        try FileManager.default.removeItem(at: dir.appendingPathComponent("report.md"))
        let explained = try run(["explain", "report"])
        XCTAssertTrue(explained.out.contains("feature space") && explained.out.contains("mean class selectivity"), explained.out)
        XCTAssertEqual(try features(), before)
        XCTAssertEqual(try String(contentsOf: dir.appendingPathComponent("report.md"), encoding: .utf8), markdown)

        // --no-analyses: the same runs (all reused), a report without the analyses' sections and no stale analysis.json.
        let skipped = try run(["compare", "--from", "src.safetensors", "--target", target, "--shots", "5", "--quick", "--retention", "none",
                               "--out", "report", "--no-analyses"])
        XCTAssertFalse(skipped.out.contains("analyses ("), skipped.out)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("analysis.json").path))
        let plain = try String(contentsOf: dir.appendingPathComponent("report.md"), encoding: .utf8)
        XCTAssertFalse(plain.contains("Feature-space separability"))
        XCTAssertTrue(plain.contains("### Per-block learning over time (paper Fig. 6)"), "read from the runs' own records")

        // Without the networks there is nothing to explain, and the error says why.
        try FileManager.default.removeItem(at: dir.appendingPathComponent("networks/source.safetensors"))
        let missing = try run(["explain", "report"], expect: 1)
        XCTAssertTrue(missing.err.contains("kept no networks for the analyses"), missing.err)
        _ = try run(["explain", "no-such-folder"], expect: 64)
    }
}
