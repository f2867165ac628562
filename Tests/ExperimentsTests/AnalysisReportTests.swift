import XCTest
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
@testable import Engine
@testable import Datasets
@testable import Growth
@testable import Zoo
@testable import Experiments

/// The report's analyses (the paper's Figs. 3–7) on a tiny comparison: each figure is there and shows something, and the
/// analyses recomputed from the kept networks (what `grow explain` does) give the report's numbers again.
final class AnalysisReportTests: XCTestCase {
    var work: URL!

    override func setUpWithError() throws {
        Threads.set(1)
        work = FileManager.default.temporaryDirectory.appendingPathComponent("grow-analysis-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: work) }

    /// An IDX pair of 16×16 images, 4 classes: a bright 5×5 square in the class's quadrant, jittered, plus sparse noise.
    func quadrants(_ n: Int, seed: UInt64) throws -> String {
        var rng = RNG(seed: seed)
        var images: [UInt8] = [0, 0, 8, 3] + [n, 16, 16].flatMap { withUnsafeBytes(of: UInt32($0).bigEndian, Array.init) }
        var labels: [UInt8] = [0, 0, 8, 1] + withUnsafeBytes(of: UInt32(n).bigEndian, Array.init)
        for i in 0..<n {
            let c = i % 4
            labels.append(UInt8(c))
            var img = [UInt8](repeating: 0, count: 256)
            let (r0, c0) = (c / 2 * 8 + rng.below(3), c % 2 * 8 + rng.below(3))
            for r in r0..<(r0 + 5) { for col in c0..<(c0 + 5) { img[r * 16 + col] = 255 } }
            for j in 0..<256 where rng.below(10) == 0 { img[j] = UInt8(rng.below(256)) }
            images += img
        }
        let imagesURL = work.appendingPathComponent("images.idx"), labelsURL = work.appendingPathComponent("labels.idx")
        try Data(images).write(to: imagesURL)
        try Data(labels).write(to: labelsURL)
        return "idx:\(imagesURL.path),\(labelsURL.path)"
    }

    func testAnalysesShowEveryFigureAndAreReproducedFromTheKeptNetworks() throws {
        let target = try quadrants(120, seed: 2)
        let source = Checkpoint(network: try GrownNetwork.base(MiniAlexNet.descriptor, inputShape: [1, 16, 16], classes: 6, seed: 3), history: [])
        var config = ComparisonConfig(target: target)
        config.shots = 5; config.testPerClass = 12; config.seeds = [1]
        config.variants = [.ft, .da, .wa, .waRand]; config.depths = [.new, .all]
        config.training.units = 32; config.training.budget = .iterations(12); config.training.batchSize = 8; config.training.views = 1
        config.training.augment = false; config.training.learningRate = 0.01
        let out = work.appendingPathComponent("compare")
        let runner = ComparisonRunner(source: source, config: config)
        runner.analysisNetworks = AnalysisNetworks(config: config, comparisonDirectory: out)
        let results = try runner.run()

        // The kept networks: the source, and FT, DA, WA at depth All of the first seed (not the un-normalised WA, not depth New).
        let kept = try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("networks").path).filter { $0.hasSuffix(".safetensors") }
        XCTAssertEqual(Set(kept), ["source.safetensors", "ft-all-seed1.safetensors", "da-all-seed1.safetensors", "wa-all-seed1.safetensors"])

        // Fig. 6 over time: every widened run has ≥ 2 points with both blocks; FT has none.
        for run in results.runs where run.variant == "wa" || run.variant == "wa-rand" {
            let curve = run.blockCurve ?? []
            XCTAssertGreaterThanOrEqual(curve.count, 2, "\(run.variant) at \(run.depth)")
            XCTAssertTrue(curve.allSatisfy { Set($0.blocks.keys) == ["old", "new"] && $0.blocks.values.allSatisfy { (0...1).contains($0) } })
        }
        XCTAssertTrue(results.runs.filter { $0.variant == "ft" }.allSatisfy { $0.blockCurve == nil })

        let analysis = try ComparisonAnalysis.run(results: results, directory: out, dataDirectory: work.path)
        XCTAssertEqual(analysis.notes, [])
        XCTAssertEqual(analysis.sampleSize, 4 * 12)

        // Fig. 3: four feature spaces with sane scores and an embedding with a finite point for every image of every class.
        let space = try XCTUnwrap(analysis.features)
        XCTAssertEqual(space.networks.map(\.label), ["Pre-trained", "FT", "DA", "WA"])
        XCTAssertEqual(Set(space.labels), [0, 1, 2, 3])
        for n in space.networks {
            XCTAssertEqual(n.x.count, space.labels.count, n.label)
            XCTAssertEqual(n.y.count, space.labels.count, n.label)
            XCTAssertTrue((n.x + n.y).allSatisfy(\.isFinite), n.label)
            XCTAssertGreaterThan((n.x.max()! - n.x.min()!) * (n.y.max()! - n.y.min()!), 0, "\(n.label): the embedding collapsed to a point (1-NN \(n.knn1), silhouette \(n.silhouette))")
            XCTAssertTrue((0...1).contains(n.knn1) && (0...1).contains(n.knn5), n.label)
            XCTAssertTrue((-1...1).contains(n.silhouette), n.label)
        }
        XCTAssertEqual(space.networks[3].dimensions, 512 + 32, "WA's classifier reads the old and the new units")

        // Figs. 4, 5, 7: WA's old and new units, then DA's new-layer units, each with before/after strips that decode as PNGs
        // of the stated size.
        XCTAssertEqual(analysis.units.map(\.key), ["wa", "da"])
        XCTAssertEqual(analysis.units.map { Set($0.units.map(\.block)) }, [["old", "new"], ["new layer"]])
        let units = analysis.units.flatMap(\.units)
        XCTAssertEqual(units.count, 3 * UnitStudy.perBlock)
        for study in analysis.units {
            XCTAssertEqual(study.gridWidth, UnitStudy.k * (16 * 3 + 2) + 2, "8 tiles of 16 px at 3×, padding 2")
            for u in study.units {
                for (png, shown) in [(u.gridBefore, u.topBefore.count), (u.gridAfter, u.topAfter.count)] {
                    let image = try PNGCodec.decode([UInt8](png), file: "unit-\(u.block)-\(u.index).png")
                    XCTAssertEqual(image.width, study.gridWidth)
                    XCTAssertEqual(image.height, study.gridHeight)
                    if shown > 0 { XCTAssertGreaterThan(Set(image.pixels).count, 2, "the strip shows images, not a blank") }
                }
                XCTAssertEqual(u.topAfter.count, UnitStudy.k, "only units active on at least k images are shown")
                XCTAssertTrue((0...1).contains(u.selectivityAfter))
            }
        }

        // The report: three sections with their numbers and pictures, inline in the HTML.
        try Report.write(results, claims: ClaimChecker(results).check(), analysis: analysis, to: out)
        let markdown = try String(contentsOf: out.appendingPathComponent("report.md"), encoding: .utf8)
        for title in ["Feature-space separability (paper Fig. 3)", "What units respond to (paper Figs. 4, 5, 7)", "Per-block learning over time (paper Fig. 6)"] {
            XCTAssertTrue(markdown.contains("### \(title)"), title)
        }
        XCTAssertTrue(markdown.contains(String(format: "| WA | 544 | %.1f | %.1f | %.3f |", 100 * space.networks[3].knn1, 100 * space.networks[3].knn5,
                                               space.networks[3].silhouette)), markdown)
        let htmlData = try Data(contentsOf: out.appendingPathComponent("report.html"))
        let html = String(decoding: htmlData, as: UTF8.self)
        XCTAssertTrue(html.contains("@media (prefers-color-scheme: dark)"))
        let doc = try XMLDocument(data: htmlData, options: [])
        XCTAssertEqual(try doc.nodes(forXPath: "//img[starts-with(@src, 'data:image/png;base64,')]").count, 2 * units.count)
        for n in space.networks {
            let key = n.label.lowercased().filter { $0.isLetter || $0.isNumber || $0 == "-" }
            // One marker per analysed image, in as many colours as there are classes.
            let svg = try String(contentsOf: out.appendingPathComponent("plots/embedding-\(key).svg"), encoding: .utf8)
            let markers = svg.components(separatedBy: "<circle class=\"pt\"").dropFirst()
            XCTAssertEqual(markers.count, space.labels.count, key)
            let colours = markers.compactMap { marker in marker.range(of: "fill=\"#[0-9a-f]{6}\"", options: .regularExpression).map { String(marker[$0]) } }
            XCTAssertEqual(Set(colours).count, 4, key)
        }
        let curves = try doc.nodes(forXPath: "//*[@id='per-block-curves']//*[local-name()='svg' and @class='gb-chart']")
        XCTAssertEqual(curves.count, 2, "WA with and without normalisation side by side")
        let pace = try XCTUnwrap(try doc.nodes(forXPath: "//*[@id='learning-pace']//*[local-name()='figcaption']").first?.stringValue)
        XCTAssertTrue(pace.contains("the old units' in WA and") && pace.contains("in WA w/o norm (rand)") && pace.contains("normalisation"), pace)

        // grow explain: the same numbers, recomputed from the kept networks alone.
        let again = try ComparisonAnalysis.run(results: results, directory: out, dataDirectory: work.path)
        let (a, b) = (try XCTUnwrap(again.features), space)
        XCTAssertEqual(a.networks.map(\.knn1), b.networks.map(\.knn1))
        XCTAssertEqual(a.networks.map(\.knn5), b.networks.map(\.knn5))
        XCTAssertEqual(a.networks.map(\.silhouette), b.networks.map(\.silhouette))
        XCTAssertEqual(a.networks.map(\.x), b.networks.map(\.x))
        XCTAssertEqual(again.units.flatMap(\.units).map(\.selectivityAfter), units.map(\.selectivityAfter))
        XCTAssertEqual(again.units.flatMap(\.units).map(\.gridAfter), units.map(\.gridAfter))

        // A kept network that is not the run's (here FT's file in DA's place) is refused by name, not analysed as DA.
        let networks = out.appendingPathComponent("networks")
        try FileManager.default.removeItem(at: networks.appendingPathComponent("da-all-seed1.safetensors"))
        try FileManager.default.copyItem(at: networks.appendingPathComponent("ft-all-seed1.safetensors"),
                                         to: networks.appendingPathComponent("da-all-seed1.safetensors"))
        let stale = try ComparisonAnalysis.run(results: results, directory: out, dataDirectory: work.path, embedding: .pca)
        XCTAssertEqual(stale.features?.networks.map(\.label), ["Pre-trained", "FT", "WA"])
        XCTAssertEqual(stale.notes, ["DA: da-all-seed1.safetensors is not the network of this comparison's run (another configuration wrote it)"])
    }
}
