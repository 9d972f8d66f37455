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
    /// Each categorical attribute's codes by UTF-8 bytes, indexed like `schema.attributes`.
    private let vocabularyCodes: [VocabularyCodes?]
    private let kinds: [ValidatedRows.Columns.Kind]
    private let nullable: [Bool]

    init(schema: Schema) {
        self.schema = schema
        kinds = ValidatedRows.Columns(schema: schema).kinds
        nullable = schema.attributes.map(\.nullable)
        vocabularyCodes = schema.attributes.map { $0.isCategorical ? VocabularyCodes(vocabulary: $0.vocabulary) : nil }
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
    ///
    /// Kept in one of two forms: rows of values as ``append(subject:values:)`` receives them
    /// (importers other than the CSV's), or columns dictionary-coded against the schema, as
    /// the CSV validation produces them (``Columns``), from which the store writes the table
    /// and the snapshot without a String per value. ``values`` reads either form.
    struct ValidatedRows {
        var subjects: [String] = []
        private var storage = Storage.rows(width: 0, flat: [])
        var count: Int { subjects.count }

        private enum Storage {
            /// Row after row, `width` values each.
            case rows(width: Int, flat: [ColumnarSnapshotBuilder.Value])
            case columns(Columns)
        }

        /// Rows as columns, coded like the snapshot: categoricals as vocabulary codes (0 NULL,
        /// i + 1 for `vocabulary[i]`), numerics in fixed point with their NULL rows, subjects
        /// as dense indexes in order of first appearance with their pseudonyms.
        struct Columns {
            let schema: Schema
            /// Each attribute's kind, indexed like `schema.attributes`: what the loops over a
            /// million rows look at, since reading an `Attribute` copies its names and codes.
            let kinds: [Kind]
            var subjectOfRow: [Int32] = []
            var pseudonyms: [String] = []
            /// Indexed like `schema.attributes`; only the slots of matching types are used.
            var codes: [[UInt16]]
            var numbers: [[Int64]]
            var nullRows: [[Int]]

            enum Kind {
                case key
                case categorical
                /// `divisor` is 10^scale, what a fixed-point value is divided by to give its value.
                case numeric(scale: Int, divisor: Double)
            }

            init(schema: Schema) {
                self.schema = schema
                kinds = schema.attributes.map { attribute in
                    switch attribute.type {
                    case .key: .key
                    case .categorical: .categorical
                    case .numeric(_, let scale, _, _): .numeric(scale: scale, divisor: Double(attribute.scaleFactor))
                    }
                }
                codes = Array(repeating: [], count: schema.attributes.count)
                numbers = Array(repeating: [], count: schema.attributes.count)
                nullRows = Array(repeating: [], count: schema.attributes.count)
            }

            var rowCount: Int { subjectOfRow.count }

            /// The value of `position` in `row`, as ``ColumnarSnapshotBuilder`` takes it.
            func value(row: Int, position: Int) -> ColumnarSnapshotBuilder.Value {
                let attribute = schema.attributes[position]
                switch attribute.type {
                case .key:
                    return .code(pseudonyms[Int(subjectOfRow[row])])
                case .categorical(let vocabulary):
                    let code = codes[position][row]
                    return code == 0 ? .null : .code(vocabulary[Int(code) - 1])
                case .numeric:
                    return isNull(row: row, position: position) ? .null : .number(numbers[position][row])
                }
            }

            /// Whether the numeric at `position` is NULL in `row` (NULL rows are ascending).
            func isNull(row: Int, position: Int) -> Bool {
                let rows = nullRows[position]
                var low = 0
                var high = rows.count
                while low < high {
                    let middle = (low + high) / 2
                    if rows[middle] < row { low = middle + 1 } else { high = middle }
                }
                return low < rows.count && rows[low] == row
            }
        }

        init() {}

        init(columns: Columns, subjects: [String]) {
            self.subjects = subjects
            storage = .columns(columns)
        }

        /// Each row's values indexed like `schema.attributes` (the key's slot holds the subject
        /// for rows from the CSV and whatever the importer gave otherwise).
        var values: [[ColumnarSnapshotBuilder.Value]] {
            get {
                switch storage {
                case .rows(let width, let flat):
                    return (0..<count).map { Array(flat[$0 * width..<($0 + 1) * width]) }
                case .columns(let columns):
                    return (0..<columns.rowCount).map { row in columns.schema.attributes.indices.map { columns.value(row: row, position: $0) } }
                }
            }
            set {
                let width = newValue.first?.count ?? 0
                precondition(newValue.allSatisfy { $0.count == width }, "every row has one value per attribute")
                storage = .rows(width: width, flat: newValue.flatMap { $0 })
            }
        }

        /// Adds one row, already checked against the schema (values indexed like
        /// `schema.attributes`, the key's slot ignored).
        mutating func append(subject: String, values row: [ColumnarSnapshotBuilder.Value]) {
            if case .columns = storage {
                let rows = values
                values = rows
            }
            guard case .rows(let width, var flat) = storage else { preconditionFailure("rows form") }
            precondition(count == 0 || row.count == width, "every row has one value per attribute")
            storage = .rows(width: 0, flat: [])  // keep `flat` uniquely referenced while it grows
            flat.append(contentsOf: row)
            storage = .rows(width: row.count, flat: flat)
            subjects.append(subject)
        }

        /// A row given to ``append(subject:values:)`` that does not fit the schema.
        struct CodingError: Error, CustomStringConvertible {
            let description: String
        }

        /// The rows as columns coded against `schema`; rows given to ``append(subject:values:)``
        /// are coded here, and a value that does not fit the schema is an error.
        func columns(for schema: Schema) throws(CodingError) -> Columns {
            if case .columns(let columns) = storage, columns.schema == schema { return columns }
            var builder = ColumnarSnapshotBuilder(schema: schema)
            for (row, values) in values.enumerated() {
                guard values.count == schema.attributes.count else {
                    throw CodingError(description: "row \(row + 1) has \(values.count) values; the schema has \(schema.attributes.count) attributes")
                }
                do {
                    try builder.append(subject: subjects[row], values: values)
                } catch {
                    throw CodingError(description: "row \(row + 1): \(error)")
                }
            }
            let coded = builder.codedRows
            var columns = Columns(schema: schema)
            columns.subjectOfRow = coded.subjectOfRow
            columns.pseudonyms = coded.pseudonyms
            columns.codes = coded.codes
            columns.numbers = coded.numbers
            columns.nullRows = coded.nullRows
            return columns
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
        let subjectLevel = schema.attributes.indices.filter { schema.attributes[$0].level == .subject && schema.attributes[$0].type != .key }
        var rows = RowCollector(schema: schema)
        var fields: [CSVReader.Field] = []
        var row = FieldValues(count: schema.attributes.count)

        while true {
            let line: Int
            do {
                guard let next = try reader.nextRecord(into: &fields) else { break }
                line = next
            } catch {
                problems.append(Problem(file: file, line: error.line, column: nil, message: error.message))
                break
            }
            guard fields.count == positions.count else {
                problems.append(Problem(file: file, line: line, column: nil, message: "has \(fields.count) fields; the header has \(positions.count)"))
                if problems.count > Self.problemLimit { break }
                continue
            }
            var rowOK = true
            var notUTF8 = false
            reader.bytes.withUnsafeBufferPointer { bytes in
                for (column, field) in fields.enumerated() {
                    let position = positions[column]
                    let text = UnsafeBufferPointer(rebasing: bytes[field.start..<field.end])
                    switch check(text, position: position, into: &row) {
                    case .ok:
                        continue
                    case .notUTF8:
                        notUTF8 = true
                    case .problem(let message):
                        problems.append(Problem(file: file, line: line, column: (column + 1, schema.attributes[position].name), message: message))
                    }
                    rowOK = false
                }
            }
            if notUTF8 {
                // As a syntax error: the file, not one value, needs fixing.
                problems.append(Problem(file: file, line: line, column: nil, message: CSVReader.notUTF8))
                break
            }
            if rowOK {
                if let first = rows.firstRow(of: row.subject) {
                    for position in subjectLevel where !rows.same(row, as: first.row, at: position) {
                        let attribute = schema.attributes[position]
                        let subject = row.subject
                        problems.append(
                            Problem(
                                file: file, line: line, column: (positions.firstIndex(of: position)! + 1, attribute.name),
                                message: "subject '\(subject)' has \(attribute.name) \(Self.show(row.value(at: position, schema: schema), attribute)) here but \(Self.show(rows.columns.value(row: first.row, position: position), attribute)) on line \(first.line); a person-level attribute must be the same on all of a subject's studies"
                            )
                        )
                        rowOK = false
                    }
                }
            }
            if problems.count > Self.problemLimit { break }
            // Rows after a problem are still collected (nothing is imported then): the first
            // row of each subject is what later rows are compared with.
            if rowOK { rows.append(row, line: line, keyPosition: keyPosition) }
        }
        if !problems.isEmpty { throw fail() }
        if rows.columns.rowCount == 0 {
            throw ImportError(problems: [Problem(file: file, line: header.line, column: nil, message: "the file has a header but no rows")], truncated: false)
        }
        return ValidatedRows(columns: rows.columns, subjects: rows.subjects)
    }

    /// One row's values as the checks produce them, before they join the columns.
    struct FieldValues {
        var subject = ""
        /// Whether `subject` was made from the bytes of the previous row's subject.
        var codes: [UInt16]
        var numbers: [Int64]
        var nulls: [Bool]

        init(count: Int) {
            codes = Array(repeating: 0, count: count)
            numbers = Array(repeating: 0, count: count)
            nulls = Array(repeating: false, count: count)
        }

        func value(at position: Int, schema: Schema) -> ColumnarSnapshotBuilder.Value {
            switch schema.attributes[position].type {
            case .key: .code(subject)
            case .categorical(let vocabulary): codes[position] == 0 ? .null : .code(vocabulary[Int(codes[position]) - 1])
            case .numeric: nulls[position] ? .null : .number(numbers[position])
            }
        }
    }

    /// The validated rows as they accumulate: columns, each subject's first row and line.
    struct RowCollector {
        var columns: ValidatedRows.Columns
        var subjects: [String] = []
        private var subjectIndex: [String: Int32] = [:]
        private var firstRows: [(row: Int, line: Int)] = []
        /// The last subject looked up: rows usually come grouped by subject, so most lookups
        /// are answered without hashing.
        private var lastSubject: (name: String, index: Int32)?

        init(schema: Schema) {
            columns = ValidatedRows.Columns(schema: schema)
        }

        mutating func firstRow(of subject: String) -> (row: Int, line: Int)? {
            guard let index = index(of: subject) else { return nil }
            return firstRows[Int(index)]
        }

        private mutating func index(of subject: String) -> Int32? {
            if let lastSubject, lastSubject.name == subject { return lastSubject.index }
            guard let index = subjectIndex[subject] else { return nil }
            lastSubject = (subject, index)
            return index
        }

        func same(_ row: FieldValues, as first: Int, at position: Int) -> Bool {
            switch columns.kinds[position] {
            case .key: true
            case .categorical: columns.codes[position][first] == row.codes[position]
            case .numeric:
                row.nulls[position] ? columns.isNull(row: first, position: position) : !columns.isNull(row: first, position: position) && columns.numbers[position][first] == row.numbers[position]
            }
        }

        mutating func append(_ values: FieldValues, line: Int, keyPosition: Int) {
            let row = columns.rowCount
            let subject: Int32
            if let known = index(of: values.subject) {
                subject = known
            } else {
                subject = Int32(columns.pseudonyms.count)
                subjectIndex[values.subject] = subject
                columns.pseudonyms.append(values.subject)
                firstRows.append((row, line))
                lastSubject = (values.subject, subject)
            }
            columns.subjectOfRow.append(subject)
            subjects.append(values.subject)
            for (position, kind) in columns.kinds.enumerated() {
                switch kind {
                case .key:
                    continue
                case .categorical:
                    columns.codes[position].append(values.codes[position])
                case .numeric:
                    columns.numbers[position].append(values.numbers[position])
                    if values.nulls[position] { columns.nullRows[position].append(row) }
                }
            }
        }
    }

    enum FieldCheck {
        case ok
        case problem(String)
        case notUTF8
    }

    /// Checks one field's bytes against the attribute at `position` and stores its value in
    /// `row`. The common cases (a known code, a plain number, NULL where allowed, a subject)
    /// are decided on the bytes; anything else goes through ``parse(_:for:limits:)`` on the
    /// field's text, which words every problem.
    func check(_ raw: UnsafeBufferPointer<UInt8>, position: Int, into row: inout FieldValues) -> FieldCheck {
        var field = raw
        while let first = field.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") { field = UnsafeBufferPointer(rebasing: field.dropFirst()) }
        while let last = field.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") { field = UnsafeBufferPointer(rebasing: field.dropLast()) }
        // Other Unicode spaces around the value are trimmed by the text path.
        let plainEdges = (field.first ?? 0) < 0x80 && (field.last ?? 0) < 0x80
        if plainEdges, field.isEmpty || field.elementsEqual("NULL".utf8), nullable[position] {
            row.codes[position] = 0
            row.numbers[position] = 0
            row.nulls[position] = true
            return .ok
        }
        if plainEdges, !field.isEmpty, !field.elementsEqual("NULL".utf8) {
            switch kinds[position] {
            case .key:
                if field.count <= 128 {
                    if row.subject.utf8.elementsEqual(field) { return .ok }
                    if let subject = String(validating: field, as: UTF8.self) {
                        row.subject = subject
                        return .ok
                    }
                }
            case .categorical:
                if let code = vocabularyCodes[position]?.code(of: field) {
                    row.codes[position] = code
                    return .ok
                }
            case .numeric(let scale, _):
                if case .success(let value) = FixedPoint.parse(utf8: field, scale: scale),
                    limits[position].minimum.map({ value >= $0 }) ?? true, limits[position].maximum.map({ value <= $0 }) ?? true
                {
                    row.numbers[position] = value
                    row.nulls[position] = false
                    return .ok
                }
            }
        }
        let attribute = schema.attributes[position]
        guard let text = String(validating: raw, as: UTF8.self) else { return .notUTF8 }
        switch parse(text, for: attribute, limits: limits[position]) {
        case .failure(let message):
            return .problem(message)
        case .success(let value):
            switch value {
            case .null:
                row.codes[position] = 0
                row.numbers[position] = 0
                row.nulls[position] = true
            case .code(let code) where attribute.type == .key:
                row.subject = code
            case .code(let code):
                row.codes[position] = UInt16(attribute.vocabulary.firstIndex(of: code)! + 1)
            case .number(let number):
                row.numbers[position] = number
                row.nulls[position] = false
            }
            return .ok
        }
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
