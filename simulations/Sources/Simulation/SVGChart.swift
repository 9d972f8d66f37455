import Foundation

/// Hand-written SVG line and bar charts: axes with ticks and labels, a title, a legend.
public struct SVGChart {
    public enum Kind { case line, bar }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var kind: Kind
    /// For line charts: named curves. For bar charts: one series whose points are
    /// (category index, value), with `categories` naming the indices.
    public var series: [Series]
    public var categories: [String] = []
    public var width = 720.0
    public var height = 420.0

    public init(title: String, xLabel: String, yLabel: String, kind: Kind = .line, series: [Series], categories: [String] = []) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.kind = kind
        self.series = series
        self.categories = categories
    }

    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf"]

    /// Round tick values covering 0 ... maximum.
    static func ticks(upTo maximum: Double, count: Int = 5) -> [Double] {
        guard maximum > 0 else { return [0, 1] }
        let raw = maximum / Double(count)
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        return stride(from: 0.0, through: maximum + step * 0.999, by: step).map { $0 }
    }

    static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e9 { return String(Int(value)) }
        return String(format: abs(value) < 10 ? "%.2f" : "%.1f", value)
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    public func render() -> String {
        let left = 70.0, right = 170.0, top = 40.0, bottom = 55.0
        let plotWidth = width - left - right
        let plotHeight = height - top - bottom
        let allPoints = series.flatMap(\.points)
        let xMax = kind == .bar ? Double(max(categories.count, 1)) : max(allPoints.map { $0[0] }.max() ?? 1, 1e-9)
        let yMax = max(allPoints.map { $0[1] }.max() ?? 1, 1e-9)
        let xTicks = kind == .bar ? [] : Self.ticks(upTo: xMax)
        let yTicks = Self.ticks(upTo: yMax)
        let xTop = kind == .bar ? xMax : (xTicks.last ?? xMax)
        let yTop = yTicks.last ?? yMax
        func x(_ value: Double) -> Double { left + value / xTop * plotWidth }
        func y(_ value: Double) -> Double { top + plotHeight - value / yTop * plotHeight }
        var svg = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(width / 2)" y="22" text-anchor="middle" font-size="15">\(Self.escape(title))</text>

        """
        svg += "<line x1=\"\(left)\" y1=\"\(top + plotHeight)\" x2=\"\(left + plotWidth)\" y2=\"\(top + plotHeight)\" stroke=\"black\"/>\n"
        svg += "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(top + plotHeight)\" stroke=\"black\"/>\n"
        for tick in yTicks {
            svg += "<line x1=\"\(left - 4)\" y1=\"\(y(tick))\" x2=\"\(left + plotWidth)\" y2=\"\(y(tick))\" stroke=\"#ddd\"/>"
            svg += "<text x=\"\(left - 7)\" y=\"\(y(tick) + 4)\" text-anchor=\"end\">\(Self.format(tick))</text>\n"
        }
        for tick in xTicks {
            svg += "<line x1=\"\(x(tick))\" y1=\"\(top + plotHeight)\" x2=\"\(x(tick))\" y2=\"\(top + plotHeight + 4)\" stroke=\"black\"/>"
            svg += "<text x=\"\(x(tick))\" y=\"\(top + plotHeight + 18)\" text-anchor=\"middle\">\(Self.format(tick))</text>\n"
        }
        svg += "<text x=\"\(left + plotWidth / 2)\" y=\"\(height - 12)\" text-anchor=\"middle\">\(Self.escape(xLabel))</text>\n"
        svg += "<text transform=\"translate(16,\(top + plotHeight / 2)) rotate(-90)\" text-anchor=\"middle\">\(Self.escape(yLabel))</text>\n"
        switch kind {
        case .line:
            for (index, curve) in series.enumerated() where !curve.points.isEmpty {
                let colour = Self.palette[index % Self.palette.count]
                let path = curve.points.map { String(format: "%.1f,%.1f", x($0[0]), y($0[1])) }.joined(separator: " ")
                svg += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" points=\"\(path)\"/>\n"
            }
        case .bar:
            let slot = plotWidth / Double(max(categories.count, 1))
            let barWidth = slot * 0.8 / Double(max(series.count, 1))
            for (seriesIndex, bars) in series.enumerated() {
                let colour = Self.palette[seriesIndex % Self.palette.count]
                for point in bars.points {
                    let barX = left + point[0] * slot + slot * 0.1 + Double(seriesIndex) * barWidth
                    svg += "<rect x=\"\(barX)\" y=\"\(y(point[1]))\" width=\"\(barWidth)\" height=\"\(top + plotHeight - y(point[1]))\" fill=\"\(colour)\"/>\n"
                }
            }
            for (index, category) in categories.enumerated() {
                svg += "<text x=\"\(left + (Double(index) + 0.5) * slot)\" y=\"\(top + plotHeight + 18)\" text-anchor=\"middle\">\(Self.escape(category))</text>\n"
            }
        }
        for (index, curve) in series.enumerated() {
            let colour = Self.palette[index % Self.palette.count]
            let legendY = top + 10 + Double(index) * 18
            svg += "<rect x=\"\(left + plotWidth + 12)\" y=\"\(legendY - 9)\" width=\"12\" height=\"12\" fill=\"\(colour)\"/>"
            svg += "<text x=\"\(left + plotWidth + 30)\" y=\"\(legendY + 1)\">\(Self.escape(curve.name))</text>\n"
        }
        svg += "</svg>\n"
        return svg
    }
}
