import XCTest
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
@testable import Experiments

final class SVGScatterTests: XCTestCase {
    /// One marker per (finite) point, one legend entry per group, names escaped, and the document is well-formed XML
    /// (checked by Foundation's XMLParser, which stops at the first error).
    func testScatterHasAMarkerPerPointAndALegendEntryPerGroup() throws {
        var points: [(x: Double, y: Double, group: Int)] = []
        for i in 0..<60 { points.append((x: Double(i % 7) - 3, y: Double(i) / 10, group: i % 12)) }
        points.append((.nan, 1, 0))   // left out
        let names = (0..<12).map { "class \($0)" } + ["a<b & c"]
        let svg = SVGChart.scatter(title: "t-SNE of FC7", xLabel: "t-SNE 1", yLabel: "t-SNE 2", points: points, groupNames: names)
        XCTAssertEqual(svg.components(separatedBy: "<circle class=\"pt\"").count - 1, 60)
        let legend = try XCTUnwrap(svg.range(of: "<g class=\"legend\">")).upperBound
        let legendPart = String(svg[legend...])
        XCTAssertEqual(legendPart.components(separatedBy: "<circle").count - 1, names.count)
        for name in names.dropLast() { XCTAssertTrue(legendPart.contains(">\(name)</text>"), "legend entry for \(name)") }
        XCTAssertTrue(legendPart.contains("a&lt;b &amp; c"))
        XCTAssertTrue(svg.contains("fill=\"none\" stroke=\"#1f77b4\""), "group 10 is a hollow marker in the first colour")
        XCTAssertTrue(svg.contains("prefers-color-scheme: dark"))
        XCTAssertTrue(svg.contains(">t-SNE 1</text>") && svg.contains(">t-SNE 2</text>"), "axis labels")

        let parser = XMLParser(data: Data(svg.utf8))
        let counter = ElementCounter()
        parser.delegate = counter
        XCTAssertTrue(wellFormed(parser), "not well-formed XML: \(parser.parserError.map { "\($0)" } ?? "?") at line \(parser.lineNumber)")
        XCTAssertEqual(counter.counts["svg"], 1)
        XCTAssertEqual(counter.counts["circle"], 60 + names.count)
        // The checker itself rejects an unbalanced document and a bare "&", so the assertion above can fail.
        XCTAssertFalse(wellFormed(XMLParser(data: Data("<svg><g><circle/></svg>".utf8))))
        XCTAssertFalse(wellFormed(XMLParser(data: Data("<svg><text>a & b</text></svg>".utf8))))
    }

    /// Linux's XMLParser (libxml2) recovers from a tag mismatch and still returns true from `parse()`, but records
    /// the error; so both are checked.
    func wellFormed(_ parser: XMLParser) -> Bool { parser.parse() && parser.parserError == nil }

    /// A lone point and identical coordinates still give finite positions.
    func testDegenerateRanges() {
        let svg = SVGChart.scatter(title: "one", xLabel: "x", yLabel: "y", points: [(1, 1, 0), (1, 1, 0)], groupNames: ["a"])
        XCTAssertFalse(svg.contains("nan") || svg.contains("inf"))
        // Ticks across zero print "0", never "-0".
        let across = SVGChart.scatter(title: "t", xLabel: "x", yLabel: "y", points: [(-13, -7, 0), (31, 29, 0)], groupNames: ["a"])
        XCTAssertTrue(across.contains(">0</text>"))
        XCTAssertFalse(across.contains(">-0</text>"))
    }
}

/// Counts elements by name while XMLParser walks the document.
private final class ElementCounter: NSObject, XMLParserDelegate {
    var counts: [String: Int] = [:]
    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        counts[name, default: 0] += 1
    }
}
