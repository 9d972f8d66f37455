import Foundation

/// A released result: what a researcher or site admin sees, after disclosure control.
public struct ResultTable: Sendable, Equatable {
    public enum Value: Sendable, Equatable {
        case text(String)
        case integer(Int64)
        case real(Double)
        case null
        /// A value withheld by disclosure control, shown as its marker ("<5").
        case suppressed(String)
    }

    public let columns: [String]
    public let rows: [[Value]]
    /// The threshold that was applied.
    public let k: Int
    /// The standard deviation of the noise on each released count; 0 when values are exact.
    public let noiseSigma: Double

    public init(columns: [String], rows: [[Value]], k: Int, noiseSigma: Double = 0) {
        self.columns = columns
        self.rows = rows
        self.k = k
        self.noiseSigma = noiseSigma
    }

    /// Whether released values carry noise.
    public var isPerturbed: Bool { noiseSigma > 0 }

    /// Builds the released table of `query` from a merged partial.
    ///
    /// Every cell is perturbed (``Perturbation``) and then goes through
    /// ``DisclosureControl`` on its noisy person count: a suppressed cell keeps its group
    /// labels but every aggregate in it becomes the marker; a statistic of a released cell
    /// is shown only when its noisy count of non-null values reaches K too.
    ///
    /// - Parameters:
    ///   - cells: the cells to list, in any order (the plan's enumeration), so that which
    ///     rows appear does not depend on the data; nil lists the cells with data, and the
    ///     one row of an ungrouped query.
    ///   - scales: decimal places of each numeric attribute used by the query.
    public init(
        query: Query,
        partial: QueryPartial,
        cells enumerated: [[GroupValue]]? = nil,
        scales: [String: Int],
        disclosure: DisclosureControl,
        perturbation: Perturbation = .none
    ) {
        var keys = enumerated ?? Array(partial.cells.keys)
        if enumerated == nil, query.groupBy.isEmpty, partial.cells[[]] == nil { keys.append([]) }
        let attributes = partial.statisticAttributes
        let statisticIndex = Dictionary(uniqueKeysWithValues: attributes.enumerated().map { ($1, $0) })
        var rows: [[Value]] = []
        for key in keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            let cell = perturbation.perturb(partial.cells[key] ?? CellPartial(statisticCount: attributes.count), statisticAttributes: attributes)
            var row: [Value] = zip(query.groupBy, key).map { grouping, value in Self.label(value, grouping: grouping) }
            let decision = disclosure.decide(count: cell.subjects)
            for aggregate in query.aggregates {
                if case .suppress(let marker) = decision {
                    row.append(.suppressed(marker))
                    continue
                }
                switch aggregate {
                case .studyCount:
                    row.append(.integer(cell.studies))
                case .subjectCount:
                    row.append(.integer(cell.subjects))
                case .mean(let attribute), .variance(let attribute), .standardDeviation(let attribute):
                    let statistic = cell.statistics[statisticIndex[attribute]!]
                    if case .suppress(let marker) = disclosure.decide(count: statistic.count), statistic.count > 0 || perturbation.isPerturbing {
                        row.append(.suppressed(marker))
                        continue
                    }
                    let scale = scales[attribute] ?? 0
                    let value: Double?
                    switch aggregate {
                    case .mean: value = statistic.mean(scale: scale)
                    case .variance: value = statistic.sampleVariance(scale: scale)
                    default: value = statistic.sampleVariance(scale: scale).map { $0.squareRoot() }
                    }
                    row.append(value.map(Value.real) ?? .null)
                }
            }
            rows.append(row)
        }
        self.init(columns: query.columnNames, rows: rows, k: disclosure.k, noiseSigma: perturbation.sigma)
    }

    /// "[50,60)" for a bin, "<0" below the range, ">=100" at or above it.
    static func label(_ value: GroupValue, grouping: Grouping) -> Value {
        switch (value, grouping) {
        case (.code(let code), _):
            return .text(code)
        case (.null, _):
            return .null
        case (.bin(let index), .bin(_, let lower, let upper, let count)):
            if index < 0 { return .text("<\(Self.format(lower))") }
            if index >= count { return .text(">=\(Self.format(upper))") }
            let width = (upper - lower) / Decimal(count)
            return .text("[\(Self.format(lower + width * Decimal(index))),\(Self.format(lower + width * Decimal(index + 1))))")
        case (.bin(let index), .attribute):
            return .text("bin \(index)")
        }
    }

    static func format(_ value: Decimal) -> String {
        var rounded = Decimal()
        var source = value
        NSDecimalRound(&rounded, &source, 6, .plain)
        return NSDecimalNumber(decimal: rounded).stringValue
    }
}

extension ResultTable {
    /// `{"columns": [...], "rows": [[...], ...], "k": K, "perturbed": bool, "noise_sigma": σ}`,
    /// suppressed values as "<K".
    public func json() -> String {
        var out = "{\"columns\": [" + columns.map(Self.jsonString).joined(separator: ", ") + "], \"rows\": ["
        out += rows.map { row in "[" + row.map(Self.json).joined(separator: ", ") + "]" }.joined(separator: ", ")
        out += "], \"k\": \(k), \"perturbed\": \(isPerturbed), \"noise_sigma\": \(noiseSigma)}"
        return out
    }

    /// The footnote that says how values were perturbed, or nil for exact values.
    public var perturbationNote: String? {
        guard isPerturbed else { return nil }
        return "values are perturbed: discrete Gaussian noise of standard deviation \(Self.formatReal(noiseSigma)) on each count (sums scaled to their range), the same for the same records in every query; not rounded"
    }

    public func csv() -> String {
        var lines = [columns.map(Self.csvField).joined(separator: ",")]
        for row in rows {
            lines.append(row.map { Self.csvField(Self.text($0, nullAs: "")) }.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Aligned columns for a terminal; numbers right-aligned.
    public func table() -> String {
        let cells = rows.map { $0.map { Self.text($0, nullAs: "NULL") } }
        var widths = columns.map(\.count)
        for row in cells {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        func line(_ values: [String], numeric: [Bool]) -> String {
            values.enumerated().map { index, value in
                let padding = String(repeating: " ", count: widths[index] - value.count)
                return numeric[index] ? padding + value : value + padding
            }.joined(separator: "  ")
        }
        let numeric = columns.indices.map { index in
            rows.contains { row in
                switch row[index] {
                case .integer, .real, .suppressed: true
                default: false
                }
            }
        }
        var output = [line(columns, numeric: numeric), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")]
        output += cells.map { line($0, numeric: numeric) }
        output.append("(\(rows.count) row\(rows.count == 1 ? "" : "s"); cells with fewer than \(k) persons are shown as <\(k))")
        if let perturbationNote { output.append("* \(perturbationNote)") }
        return output.joined(separator: "\n") + "\n"
    }

    static func text(_ value: Value, nullAs null: String) -> String {
        switch value {
        case .text(let s): s
        case .integer(let i): String(i)
        case .real(let d): formatReal(d)
        case .null: null
        case .suppressed(let marker): marker
        }
    }

    static func formatReal(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        return String(format: "%.6g", value)
    }

    package static func json(_ value: Value) -> String {
        switch value {
        case .text(let s): jsonString(s)
        case .integer(let i): String(i)
        case .real(let d): d.isFinite ? "\(d)" : "null"
        case .null: "null"
        case .suppressed(let marker): jsonString(marker)
        }
    }

    package static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
