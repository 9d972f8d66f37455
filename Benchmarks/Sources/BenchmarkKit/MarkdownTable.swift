/// A GitHub-flavoured Markdown table with padded columns, readable both rendered and as the
/// plain text the benchmark prints.
public struct MarkdownTable: Sendable {
    public enum Alignment: Sendable {
        case left
        case right
    }

    public let headers: [String]
    public let alignments: [Alignment]
    public private(set) var rows: [[String]] = []

    /// Columns are right-aligned (numbers) unless `alignments` says otherwise.
    public init(headers: [String], alignments: [Alignment]? = nil) {
        precondition(alignments == nil || alignments!.count == headers.count, "one alignment per column")
        self.headers = headers
        self.alignments = alignments ?? Array(repeating: .right, count: headers.count)
    }

    public mutating func append(_ row: [String]) {
        precondition(row.count == headers.count, "a row has \(row.count) cells for \(headers.count) columns")
        rows.append(row)
    }

    public var rendered: String {
        let widths = headers.indices.map { column in
            max(3, ([headers] + rows).map { $0[column].count }.max() ?? 0)
        }
        func line(_ cells: [String]) -> String {
            let padded = cells.indices.map { column in
                let padding = String(repeating: " ", count: widths[column] - cells[column].count)
                return alignments[column] == .left ? cells[column] + padding : padding + cells[column]
            }
            return "| " + padded.joined(separator: " | ") + " |"
        }
        let separator = widths.indices.map { column in
            alignments[column] == .left
                ? ":" + String(repeating: "-", count: widths[column] - 1)
                : String(repeating: "-", count: widths[column] - 1) + ":"
        }
        return ([line(headers), "| " + separator.joined(separator: " | ") + " |"] + rows.map(line)).joined(separator: "\n")
    }
}
