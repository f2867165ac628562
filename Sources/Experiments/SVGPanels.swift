import Foundation

extension SVGChart {
    /// One chart of a multi-panel figure and the size it was drawn at.
    public struct Panel {
        public let svg: String
        public let width: Int
        public let height: Int
        public init(svg: String, width: Int, height: Int) { self.svg = svg; self.width = width; self.height = height }
    }

    /// Several charts as one SVG figure, `columns` to a row, left to right then top to bottom: each chart becomes a nested
    /// `<svg>` placed at its cell, so it keeps its own axes, legend and theme.
    public static func panels(_ panels: [Panel], columns: Int) -> String {
        precondition(columns > 0 && !panels.isEmpty, "SVGChart.panels: needs at least one panel and one column")
        let rows = stride(from: 0, to: panels.count, by: columns).map { Array(panels[$0..<min($0 + columns, panels.count)]) }
        let width = rows.map { $0.reduce(0) { $0 + $1.width } }.max()!
        let height = rows.reduce(0) { $0 + $1.map(\.height).max()! }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"gb-chart\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\">\n"
        var y = 0
        for row in rows {
            var x = 0
            for panel in row {
                // The panel's own root element, moved to its cell (nested <svg> elements take x and y).
                svg += panel.svg.replacingOccurrences(of: "<svg ", with: "<svg x=\"\(x)\" y=\"\(y)\" ", options: .anchored)
                x += panel.width
            }
            y += row.map(\.height).max()!
        }
        return svg + "</svg>\n"
    }
}
