import Aggregation
import Foundation
import MeshCore

/// Validates a site's CSV export against its schema, row by row, before anything is
/// written: an unknown column, an unknown code, a malformed or out-of-range number, a
/// missing required value, or a subject whose person-level attributes differ between its
/// studies is reported with file, line and column, and nothing is imported.
struct SiteImporter {
    /// Stop collecting after this many problems: by then the file needs fixing anyway.
    static let problemLimit = 20

    let schema: Schema
    /// Each numeric attribute's declared range in fixed point, indexed like
    /// `schema.attributes`: computed once, so that checking a value is two integer
    /// comparisons instead of a decimal parse per field.
    private let limits: [(minimum: Int64?, maximum: Int64?)]

    init(schema: Schema) {
        self.schema = schema
        limits = schema.attributes.map { attribute in
            guard case .numeric(_, let scale, let minimum, let maximum) = attribute.type else { return (nil, nil) }
            return (minimum.map { FixedPoint.bound($0, scale: scale).ceiling }, maximum.map { FixedPoint.bound($0, scale: scale).floor })
        }
    }

    struct Problem: Equatable, CustomStringConvertible {
        let file: String
        let line: Int
        /// 1-based column and its header name, when the problem is in one field.
        let column: (index: Int, name: String)?
        let message: String

        static func == (lhs: Problem, rhs: Problem) -> Bool {
            lhs.file == rhs.file && lhs.line == rhs.line && lhs.column?.index == rhs.column?.index && lhs.message == rhs.message
        }

        var description: String {
            if let column { return "\(file):\(line): column \(column.index) (\(column.name)): \(message)" }
            return "\(file):\(line): \(message)"
        }
    }

    struct ImportError: Error, CustomStringConvertible {
        let problems: [Problem]
        let truncated: Bool

        var description: String {
            var lines = problems.map(\.description)
            if truncated { lines.append("(stopped after \(problems.count) problems)") }
            lines.append("nothing was imported")
            return lines.joined(separator: "\n")
        }
    }

    /// The validated rows, ready to write: values indexed like `schema.attributes`, numerics
    /// as fixed-point integers.
    struct ValidatedRows {
        var subjects: [String] = []
        var values: [[ColumnarSnapshotBuilder.Value]] = []
        var count: Int { subjects.count }

        /// Adds one row, already checked against the schema (values indexed like
        /// `schema.attributes`, the key's slot ignored).
        mutating func append(subject: String, values row: [ColumnarSnapshotBuilder.Value]) {
            subjects.append(subject)
            values.append(row)
        }
    }

    func validate(csvAt path: String) throws(ImportError) -> ValidatedRows {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ImportError(problems: [Problem(file: path, line: 0, column: nil, message: "cannot read the file: \(error.localizedDescription)")], truncated: false)
        }
        return try validate(data: data, file: path)
    }

    func validate(data: Data, file: String) throws(ImportError) -> ValidatedRows {
        var reader = CSVReader(data: data)
        var problems: [Problem] = []
        func fail() -> ImportError {
            ImportError(problems: Array(problems.prefix(Self.problemLimit)), truncated: problems.count > Self.problemLimit)
        }

        // Header: every column must be a schema attribute, every attribute present once.
        let header: CSVReader.Record
        do {
            guard let record = try reader.next() else {
                throw ImportError(problems: [Problem(file: file, line: 1, column: nil, message: "the file is empty; expected a header line")], truncated: false)
            }
            header = record
        } catch let error as CSVReader.SyntaxError {
            throw ImportError(problems: [Problem(file: file, line: error.line, column: nil, message: error.message)], truncated: false)
        } catch {
            throw error as! ImportError
        }
        var positions: [Int] = []  // CSV column -> schema attribute position
        for (index, rawName) in header.fields.enumerated() {
            let name = rawName.trimmingCharacters(in: .whitespaces)
            guard let position = schema.attributes.firstIndex(where: { $0.name == name }) else {
                let known = schema.attributes.map(\.name)
                let hint = NameSuggestion.closest(to: name, among: known).map { "; did you mean '\($0)'?" } ?? ""
                problems.append(Problem(file: file, line: header.line, column: (index + 1, name), message: "unknown column '\(name)'\(hint)"))
                continue
            }
            if positions.contains(position) {
                problems.append(Problem(file: file, line: header.line, column: (index + 1, name), message: "column '\(name)' appears twice"))
            }
            positions.append(position)
        }
        for (position, attribute) in schema.attributes.enumerated() where !positions.contains(position) {
            problems.append(Problem(file: file, line: header.line, column: nil, message: "required column '\(attribute.name)' is missing"))
        }
        if !problems.isEmpty { throw fail() }

        let keyPosition = schema.attributes.firstIndex { $0.type == .key }!
        let keyColumn = positions.firstIndex(of: keyPosition)!
        let subjectLevel = schema.attributes.indices.filter { schema.attributes[$0].level == .subject && schema.attributes[$0].type != .key }
        var firstSeen: [String: (line: Int, values: [ColumnarSnapshotBuilder.Value])] = [:]
        var rows = ValidatedRows()

        while true {
            let record: CSVReader.Record
            do {
                guard let next = try reader.next() else { break }
                record = next
            } catch {
                problems.append(Problem(file: file, line: error.line, column: nil, message: error.message))
                break
            }
            guard record.fields.count == positions.count else {
                problems.append(
                    Problem(file: file, line: record.line, column: nil, message: "has \(record.fields.count) fields; the header has \(positions.count)")
                )
                if problems.count > Self.problemLimit { break }
                continue
            }
            var values = [ColumnarSnapshotBuilder.Value](repeating: .null, count: schema.attributes.count)
            var rowOK = true
            for (column, field) in record.fields.enumerated() {
                let position = positions[column]
                let attribute = schema.attributes[position]
                switch parse(field, for: attribute, limits: limits[position]) {
                case .success(let value):
                    values[position] = value
                case .failure(let message):
                    rowOK = false
                    problems.append(Problem(file: file, line: record.line, column: (column + 1, attribute.name), message: message))
                }
            }
            let subject = record.fields[keyColumn]
            if rowOK {
                if let seen = firstSeen[subject] {
                    for position in subjectLevel where seen.values[position] != values[position] {
                        let attribute = schema.attributes[position]
                        problems.append(
                            Problem(
                                file: file, line: record.line, column: (positions.firstIndex(of: position)! + 1, attribute.name),
                                message: "subject '\(subject)' has \(attribute.name) \(Self.show(values[position], attribute)) here but \(Self.show(seen.values[position], attribute)) on line \(seen.line); a person-level attribute must be the same on all of a subject's studies"
                            )
                        )
                        rowOK = false
                    }
                } else {
                    firstSeen[subject] = (record.line, values)
                }
            }
            if problems.count > Self.problemLimit { break }
            if rowOK, problems.isEmpty {
                rows.subjects.append(subject)
                rows.values.append(values)
            }
        }
        if !problems.isEmpty { throw fail() }
        if rows.count == 0 {
            throw ImportError(problems: [Problem(file: file, line: header.line, column: nil, message: "the file has a header but no rows")], truncated: false)
        }
        return rows
    }

    enum FieldResult {
        case success(ColumnarSnapshotBuilder.Value)
        case failure(String)
    }

    func parse(_ raw: String, for attribute: Attribute, limits: (minimum: Int64?, maximum: Int64?)) -> FieldResult {
        let field = raw.trimmingCharacters(in: .whitespaces)
        if field.isEmpty || field == "NULL" {
            if attribute.nullable { return .success(.null) }
            return .failure("a value is required (\(attribute.name) is not nullable)")
        }
        switch attribute.type {
        case .key:
            guard field.utf8.count <= 128 else { return .failure("subject pseudonym is longer than 128 bytes") }
            return .success(.code(field))
        case .categorical(let vocabulary):
            guard vocabulary.contains(field) else {
                let hint = NameSuggestion.closest(to: field, among: vocabulary).map { "; did you mean '\($0)'?" } ?? ""
                return .failure("unknown code '\(field)'\(hint) (allowed: \(vocabulary.joined(separator: ", ")))")
            }
            return .success(.code(field))
        case .numeric(let unit, let scale, let minimum, let maximum):
            switch FixedPoint.parse(field, scale: scale) {
            case .failure(.malformed), .failure(.outOfRange):
                return .failure("'\(field)' is not a number")
            case .failure(.tooManyDecimals(let allowed)):
                return .failure("'\(field)' has more than \(allowed) decimal place\(allowed == 1 ? "" : "s")")
            case .success(let value):
                if let minimum, let limit = limits.minimum, value < limit {
                    return .failure("\(field) is below the minimum \(minimum)\(unit.map { " \($0)" } ?? "")")
                }
                if let maximum, let limit = limits.maximum, value > limit {
                    return .failure("\(field) is above the maximum \(maximum)\(unit.map { " \($0)" } ?? "")")
                }
                return .success(.number(value))
            }
        }
    }

    static func show(_ value: ColumnarSnapshotBuilder.Value, _ attribute: Attribute) -> String {
        switch value {
        case .code(let code): "'\(code)'"
        case .number(let number): FixedPoint.format(number, scale: attribute.scale)
        case .null: "NULL"
        }
    }

}
