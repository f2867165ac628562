import Foundation

/// Small, dependency-free SVG charts for the comparison report (line and grouped-bar charts).
public enum SVGChart {
    public struct Series {
        public let name: String
        public let points: [(x: Double, y: Double)]
        public let dashed: Bool
        public init(name: String, points: [(x: Double, y: Double)], dashed: Bool = false) {
            self.name = name; self.points = points; self.dashed = dashed
        }
    }

    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#17becf", "#bcbd22"]

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    /// Round tick values covering lo…hi.
    static func ticks(_ lo: Double, _ hi: Double, count: Int = 5) -> [Double] {
        guard hi > lo else { return [lo] }
        let raw = (hi - lo) / Double(count)
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        var t = ceil(lo / step) * step, out: [Double] = []
        while t <= hi + step * 1e-9 { out.append(t); t += step }
        return out
    }

    static func format(_ v: Double) -> String {
        let v = abs(v) < 1e-12 ? 0 : v   // a tick at zero reached from below prints "0", not "-0"
        return abs(v) >= 100 || v == v.rounded() ? String(format: "%.0f", v) : abs(v) >= 1 ? String(format: "%.1f", v) : String(format: "%.2g", v)
    }

    /// A line chart; `yRange` fixes the y axis (else fitted to the data); the legend takes `legendWidth` on the right.
    public static func line(title: String, xLabel: String, yLabel: String, series: [Series], yRange: (Double, Double)? = nil,
                            width: Int = 780, height: Int = 360, legendWidth: Double = 250) -> String {
        let all = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
        let (left, right, top, bottom) = (62.0, legendWidth, 34.0, 46.0)
        let (w, h) = (Double(width) - left - right, Double(height) - top - bottom)
        let xs = all.map(\.x), ys = all.map(\.y)
        var (x0, x1) = (xs.min() ?? 0, xs.max() ?? 1)
        var (y0, y1) = yRange ?? (ys.min() ?? 0, ys.max() ?? 1)
        if x1 <= x0 { x1 = x0 + 1 }
        if y1 <= y0 { y0 -= 0.5; y1 += 0.5 }
        if yRange == nil { let pad = (y1 - y0) * 0.05; y0 -= pad; y1 += pad }
        func px(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * w }
        func py(_ y: Double) -> Double { top + (1 - (y - y0) / (y1 - y0)) * h }
        var svg = header(width, height, title)
        svg += axes(left: left, top: top, w: w, h: h, xTicks: ticks(x0, x1).map { (px($0), format($0)) },
                    yTicks: ticks(y0, y1).map { (py($0), format($0)) }, xLabel: xLabel, yLabel: yLabel)
        for (i, s) in series.enumerated() {
            let color = palette[i % palette.count]
            let pts = s.points.filter { $0.x.isFinite && $0.y.isFinite }
            let d = pts.enumerated().map { "\($0.offset == 0 ? "M" : "L")\(String(format: "%.1f,%.1f", px($0.element.x), py($0.element.y)))" }.joined(separator: " ")
            svg += "<path d=\"\(d)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"\(s.dashed ? " stroke-dasharray=\"6 4\"" : "")/>\n"
            for p in pts where pts.count <= 12 { svg += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%@\"/>\n", px(p.x), py(p.y), color) }
            let ly = top + 14 + Double(i) * 18
            svg += "<line x1=\"\(left + w + 12)\" y1=\"\(ly - 4)\" x2=\"\(left + w + 34)\" y2=\"\(ly - 4)\" stroke=\"\(color)\" stroke-width=\"2\"\(s.dashed ? " stroke-dasharray=\"6 4\"" : "")/>"
            svg += "<text x=\"\(left + w + 40)\" y=\"\(ly)\" font-size=\"12\">\(escape(s.name))</text>\n"
        }
        return svg + "</svg>\n"
    }

    /// Grouped bars: one group per label, one bar per series name, values in `yRange`.
    public static func bars(title: String, yLabel: String, groups: [(label: String, values: [(series: String, value: Double)])],
                            yRange: (Double, Double), width: Int = 640, height: Int = 360) -> String {
        let (left, right, top, bottom) = (62.0, 150.0, 34.0, 46.0)
        let (w, h) = (Double(width) - left - right, Double(height) - top - bottom)
        let seriesNames = groups.flatMap { $0.values.map(\.series) }.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        func py(_ y: Double) -> Double { top + (1 - (min(max(y, yRange.0), yRange.1) - yRange.0) / (yRange.1 - yRange.0)) * h }
        let groupWidth = w / Double(max(groups.count, 1))
        let barWidth = groupWidth * 0.8 / Double(max(seriesNames.count, 1))
        var svg = header(width, height, title)
        svg += axes(left: left, top: top, w: w, h: h,
                    xTicks: groups.enumerated().map { (left + (Double($0.offset) + 0.5) * groupWidth, $0.element.label) },
                    yTicks: ticks(yRange.0, yRange.1).map { (py($0), format($0)) }, xLabel: "", yLabel: yLabel)
        for (g, group) in groups.enumerated() {
            for (series, value) in group.values {
                guard let si = seriesNames.firstIndex(of: series), value.isFinite else { continue }
                let x = left + Double(g) * groupWidth + groupWidth * 0.1 + Double(si) * barWidth
                svg += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%@\"><title>%@ %@: %@</title></rect>\n",
                              x, py(value), barWidth * 0.92, top + h - py(value), palette[si % palette.count], escape(group.label), escape(series), format(value))
            }
        }
        for (i, name) in seriesNames.enumerated() {
            let ly = top + 14 + Double(i) * 18
            svg += "<rect x=\"\(left + w + 12)\" y=\"\(ly - 10)\" width=\"12\" height=\"12\" fill=\"\(palette[i % palette.count])\"/>"
            svg += "<text x=\"\(left + w + 30)\" y=\"\(ly)\" font-size=\"12\">\(escape(name))</text>\n"
        }
        return svg + "</svg>\n"
    }

    /// Colours of text, axes, grid and background for light and dark themes. Inside each SVG so a chart reads the same
    /// opened alone, as an <img> in Markdown, or inline in the HTML report (where the rules are shared); CSS rules override
    /// presentation attributes, so every chart drawn on `header` follows them.
    static let themeStyle = """
        <style>.gb-chart text { fill: #222; } .gb-chart .gb-bg { fill: #fff; } .gb-chart .gb-axis { stroke: #333; } \
        .gb-chart .gb-grid { stroke: #ddd; } \
        @media (prefers-color-scheme: dark) { .gb-chart text { fill: #ddd; } .gb-chart .gb-bg { fill: #1e1e1e; } \
        .gb-chart .gb-axis { stroke: #bbb; } .gb-chart .gb-grid { stroke: #444; } }</style>

        """

    static func header(_ width: Int, _ height: Int, _ title: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"gb-chart\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" font-family=\"sans-serif\">\n"
            + themeStyle
            + "<rect class=\"gb-bg\" width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
            + "<text x=\"\(width / 2)\" y=\"20\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">\(escape(title))</text>\n"
    }

    static func axes(left: Double, top: Double, w: Double, h: Double, xTicks: [(Double, String)], yTicks: [(Double, String)],
                     xLabel: String, yLabel: String) -> String {
        var s = "<g class=\"gb-axis\" stroke=\"#333\" stroke-width=\"1\"><line x1=\"\(left)\" y1=\"\(top + h)\" x2=\"\(left + w)\" y2=\"\(top + h)\"/>"
        s += "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(top + h)\"/></g>\n"
        for (y, label) in yTicks {
            s += String(format: "<line class=\"gb-grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>", left, y, left + w, y)
            s += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-size=\"11\">%@</text>\n", left - 6, y + 4, escape(label))
        }
        for (x, label) in xTicks {
            s += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"11\">%@</text>\n", x, top + h + 16, escape(label))
        }
        s += "<text x=\"\(left + w / 2)\" y=\"\(top + h + 38)\" text-anchor=\"middle\" font-size=\"12\">\(escape(xLabel))</text>\n"
        s += "<text x=\"16\" y=\"\(top + h / 2)\" text-anchor=\"middle\" font-size=\"12\" transform=\"rotate(-90 16 \(top + h / 2))\">\(escape(yLabel))</text>\n"
        return s
    }
}
