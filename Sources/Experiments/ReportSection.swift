import Foundation

/// A picture of the report: an SVG chart, or a PNG (e.g. a grid of images), under a file name in `plots/`.
public enum ReportImage {
    case svg(name: String, document: String)
    case png(name: String, bytes: [UInt8], width: Int, height: Int)

    public var name: String {
        switch self { case .svg(let name, _), .png(let name, _, _, _): name }
    }

    /// The file's bytes (Markdown links to the file).
    var data: Data {
        switch self { case .svg(_, let document): Data(document.utf8); case .png(_, let bytes, _, _): Data(bytes) }
    }

    /// The picture inline, so report.html needs no other file.
    var html: String {
        switch self {
        case .svg(_, let document): document
        case .png(let name, let bytes, let width, let height):
            "<img src=\"data:image/png;base64,\(Data(bytes).base64EncodedString())\" width=\"\(width)\" height=\"\(height)\" alt=\"\(SVGChart.escape(name))\"/>"
        }
    }
}

/// Pictures shown together, with a caption that reads them (computed from the numbers).
public struct ReportFigure {
    public let id: String
    public let images: [ReportImage]
    public let caption: String

    public init(id: String, images: [ReportImage], caption: String) { self.id = id; self.images = images; self.caption = caption }
}

/// A section of the report: a title, paragraphs, tables and figures, rendered to Markdown and HTML alike.
public struct ReportSection {
    public let title: String
    public let paragraphs: [String]
    public let tables: [ReportTable]
    public let figures: [ReportFigure]

    public init(title: String, paragraphs: [String], tables: [ReportTable] = [], figures: [ReportFigure] = []) {
        self.title = title; self.paragraphs = paragraphs; self.tables = tables; self.figures = figures
    }

    public var images: [ReportImage] { figures.flatMap(\.images) }

    public var markdown: String {
        var s = "### \(title)\n\n" + paragraphs.map { "\($0)\n\n" }.joined() + tables.map(\.markdown).joined()
        for figure in figures {
            s += figure.images.map { "![\($0.name)](plots/\($0.name))" }.joined(separator: " ") + "\n\n"
            if !figure.caption.isEmpty { s += "*\(figure.caption)*\n\n" }
        }
        return s
    }

    public var html: String {
        func esc(_ t: String) -> String { SVGChart.escape(t) }
        var s = "<h3>\(esc(title))</h3>\n" + paragraphs.map { "<p>\(esc($0))</p>\n" }.joined() + tables.map(\.html).joined()
        for figure in figures {
            s += "<figure class=\"analysis\" id=\"\(esc(figure.id))\">\n" + figure.images.map { "<div class=\"panel\">\($0.html)</div>\n" }.joined()
            if !figure.caption.isEmpty { s += "<figcaption>\(esc(figure.caption))</figcaption>\n" }
            s += "</figure>\n"
        }
        return s
    }
}
