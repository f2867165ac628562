import Foundation

extension SVGChart {
    /// A scatter plot with one marker per point, coloured by group, and a legend: for 2-D embeddings (t-SNE, PCA) of
    /// features coloured by class.
    ///
    /// - Groups 0–9 are filled circles in the chart palette; groups 10–19 are hollow circles in the same ten colours,
    ///   so 20 classes stay distinguishable (beyond 20 the styles repeat). Every group in `groupNames` gets a legend
    ///   entry; `group` must index `groupNames`.
    /// - Points are drawn in the order given (later ones on top), so pass them shuffled if no class should hide
    ///   another. Points with a non-finite coordinate are left out.
    /// - Readable in light and dark page themes: the background, text and axes follow `prefers-color-scheme` through
    ///   the SVG's own style sheet (CSS overrides the helpers' presentation attributes); the palette reads on both.
    public static func scatter(title: String, xLabel: String, yLabel: String,
                               points: [(x: Double, y: Double, group: Int)], groupNames: [String],
                               width: Int = 720, height: Int = 540) -> String {
        if let bad = points.first(where: { $0.group < 0 || $0.group >= groupNames.count }) {
            fatalError("SVGChart.scatter: group \(bad.group) has no name; expected groups in 0..<\(groupNames.count) (one name each)")
        }
        let shown = points.filter { $0.x.isFinite && $0.y.isFinite }
        let (left, right, top, bottom) = (62.0, 190.0, 34.0, 46.0)   // the right margin holds the legend
        let (w, h) = (Double(width) - left - right, Double(height) - top - bottom)
        var (x0, x1) = (shown.map(\.x).min() ?? 0, shown.map(\.x).max() ?? 1)
        var (y0, y1) = (shown.map(\.y).min() ?? 0, shown.map(\.y).max() ?? 1)
        if x1 <= x0 { x0 -= 0.5; x1 += 0.5 }
        if y1 <= y0 { y0 -= 0.5; y1 += 0.5 }
        let (xPad, yPad) = ((x1 - x0) * 0.04, (y1 - y0) * 0.04)   // keep markers off the axes
        (x0, x1, y0, y1) = (x0 - xPad, x1 + xPad, y0 - yPad, y1 + yPad)
        func px(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * w }
        func py(_ y: Double) -> Double { top + (1 - (y - y0) / (y1 - y0)) * h }

        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" font-family=\"sans-serif\">\n"
        svg += """
            <style>
            .bg { fill: #ffffff; } text { fill: #222222; }
            @media (prefers-color-scheme: dark) {
              .bg { fill: #1b1b1f; } text { fill: #e6e6e6; }
              .axes g { stroke: #b0b0b0; } .axes line[stroke="#ddd"] { stroke: #3c3c44; }
            }
            </style>

            """
        svg += "<rect class=\"bg\" width=\"100%\" height=\"100%\"/>\n"
        svg += "<text x=\"\(width / 2)\" y=\"20\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">\(escape(title))</text>\n"
        // `ticks` steps by repeated addition, so a tick at zero can come out as −1e-16 and print as "-0": snap it.
        func snapped(_ lo: Double, _ hi: Double) -> [Double] { ticks(lo, hi).map { abs($0) < 1e-9 * (hi - lo) ? 0 : $0 } }
        svg += "<g class=\"axes\">\n" + axes(left: left, top: top, w: w, h: h, xTicks: snapped(x0, x1).map { (px($0), format($0)) },
                                            yTicks: snapped(y0, y1).map { (py($0), format($0)) }, xLabel: xLabel, yLabel: yLabel) + "</g>\n"
        svg += "<g class=\"points\">\n"
        for p in shown {
            svg += String(format: "<circle class=\"pt\" cx=\"%.1f\" cy=\"%.1f\" r=\"3\" %@/>\n", px(p.x), py(p.y), markerStyle(p.group))
        }
        svg += "</g>\n<g class=\"legend\">\n"
        for (g, name) in groupNames.enumerated() {
            let ly = top + 10 + Double(g) * 17
            svg += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" %@/>", left + w + 20, ly - 4, markerStyle(g))
            svg += "<text x=\"\(left + w + 32)\" y=\"\(ly)\" font-size=\"12\">\(escape(name))</text>\n"
        }
        return svg + "</g>\n</svg>\n"
    }

    /// The fill/stroke attributes of group g's marker: filled for 0–9, hollow for 10–19, then repeating.
    static func markerStyle(_ g: Int) -> String {
        let color = palette[g % palette.count]
        return (g / palette.count) % 2 == 0
            ? "fill=\"\(color)\" fill-opacity=\"0.8\""
            : "fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\""
    }
}
