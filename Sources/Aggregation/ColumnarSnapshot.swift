import MeshCore

/// A site's `cases` table in memory, column by column, for the executor (the snapshot is
/// loaded from the site database at start and replaced after an import).
///
/// - Categoricals are dictionary-coded against the schema vocabulary: code 0 is NULL, code
///   i + 1 is `vocabulary[i]`; one byte per row when the vocabulary allows.
/// - Numerics are fixed-point integers at the attribute's scale, four bytes per row when the
///   declared range allows, with a null bitmap only when the column holds NULLs.
/// - Subjects are dense indexes 0..<subjectCount, and rows are ordered so that each
///   subject's rows are contiguous: a subject's first row within a cell is then found with
///   one comparison, which is how distinct subjects are counted without hashing.
public final class ColumnarSnapshot: Sendable {
    public let schema: Schema
    public let rowCount: Int
    public let subjectCount: Int
    let subjects: [Int32]
    /// Indexed like `schema.attributes`; nil for the key.
    let columns: [Column?]
    /// The record key of each subject (by dense index) and of each row (``RecordKeyer``);
    /// all zero when the snapshot was built without a keyer (the site's own local queries).
    let subjectKeys: [UInt64]
    let studyKeys: [UInt64]

    enum Column: Sendable {
        case categorical(CategoricalCodes)
        case numeric(NumericValues, nulls: Bitset?)
    }

    enum CategoricalCodes: Sendable {
        case narrow([UInt8])
        case wide([UInt16])
    }

    enum NumericValues: Sendable {
        case narrow([Int32])
        case wide([Int64])
    }

    init(schema: Schema, subjects: [Int32], subjectCount: Int, columns: [Column?], subjectKeys: [UInt64], studyKeys: [UInt64]) {
        precondition(subjectKeys.count == subjectCount && studyKeys.count == subjects.count, "one record key per subject and per row")
        self.schema = schema
        self.rowCount = subjects.count
        self.subjects = subjects
        self.subjectCount = subjectCount
        self.columns = columns
        self.subjectKeys = subjectKeys
        self.studyKeys = studyKeys
    }

    /// Bytes held by the columns (what "memory per study row" reports).
    public var columnBytes: Int {
        var total = subjects.count * MemoryLayout<Int32>.stride
        for column in columns {
            switch column {
            case .categorical(.narrow(let codes)): total += codes.count
            case .categorical(.wide(let codes)): total += codes.count * 2
            case .numeric(let values, let nulls):
                switch values {
                case .narrow(let v): total += v.count * 4
                case .wide(let v): total += v.count * 8
                }
                total += (nulls?.words.count ?? 0) * 8
            case nil: break
            }
        }
        return total
    }
}

/// Accumulates rows (in any order) and produces a ``ColumnarSnapshot``.
public struct ColumnarSnapshotBuilder {
    public let schema: Schema
    private var subjectIndex: [String: Int32] = [:]
    private var subjects: [Int32] = []
    // Indexed like `schema.attributes`; only the slots of matching types are used.
    private var codes: [[UInt16]]
    private var numbers: [[Int64]]
    private var nulls: [[Int]]
    private var grouped = true
    private var lastSubject: Int32 = -1
    private let vocabularyIndex: [[String: UInt16]]
    private let keyer: RecordKeyer?
    private var subjectKeys: [UInt64] = []
    private var studyKeys: [UInt64] = []
    /// Identical rows of one person seen so far, by their first key, so that each gets its
    /// own study key.
    private var occurrences: [UInt64: Int] = [:]

    /// - Parameter keyer: gives each person and study its record key; without one every key
    ///   is zero (for the site's own exact local queries, which add no noise).
    public init(schema: Schema, keyer: RecordKeyer? = nil) {
        self.schema = schema
        self.keyer = keyer
        vocabularyIndex = schema.attributes.map { attribute in
            Dictionary(uniqueKeysWithValues: attribute.vocabulary.enumerated().map { ($1, UInt16($0 + 1)) })
        }
        codes = Array(repeating: [], count: schema.attributes.count)
        numbers = Array(repeating: [], count: schema.attributes.count)
        nulls = Array(repeating: [], count: schema.attributes.count)
    }

    /// One value of a row: a vocabulary code, a fixed-point number or NULL.
    public enum Value: Sendable, Equatable {
        case code(String)
        case number(Int64)
        case null
    }

    public struct RowError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Appends a row; `values` are indexed like `schema.attributes` (the key's slot is ignored).
    public mutating func append(subject: String, values: [Value]) throws(RowError) {
        precondition(values.count == schema.attributes.count, "a row needs one value per attribute")
        let index: Int32
        if let known = subjectIndex[subject] {
            index = known
            if known != lastSubject { grouped = false }
        } else {
            index = Int32(subjectIndex.count)
            subjectIndex[subject] = index
            subjectKeys.append(keyer?.personKey(pseudonym: subject) ?? 0)
        }
        lastSubject = index
        let row = subjects.count
        if let keyer {
            let canonical = Self.canonicalRow(values)
            let first = keyer.studyKey(pseudonym: subject, canonicalRow: canonical, occurrence: 0)
            let seen = occurrences[first, default: 0]
            occurrences[first] = seen + 1
            studyKeys.append(seen == 0 ? first : keyer.studyKey(pseudonym: subject, canonicalRow: canonical, occurrence: seen))
        } else {
            studyKeys.append(0)
        }
        for (position, attribute) in schema.attributes.enumerated() {
            switch (attribute.type, values[position]) {
            case (.key, _):
                continue
            case (.categorical, .code(let code)):
                guard let value = vocabularyIndex[position][code] else {
                    throw RowError(description: "'\(code)' is not in the vocabulary of \(attribute.name)")
                }
                codes[position].append(value)
            case (.categorical, .null):
                codes[position].append(0)
            case (.numeric, .number(let number)):
                numbers[position].append(number)
            case (.numeric, .null):
                numbers[position].append(0)
                nulls[position].append(row)
            default:
                throw RowError(description: "value \(values[position]) does not fit \(attribute.name)")
            }
        }
        subjects.append(index)
    }

    /// The rows so far, dictionary-coded as ``ColumnarSnapshot/assemble(schema:subjectOfRow:subjectCount:codes:numbers:nullRows:subjectKeys:studyKeys:)``
    /// takes them, with the pseudonyms by dense index: for a writer that stores the rows too.
    public var codedRows: (subjectOfRow: [Int32], pseudonyms: [String], codes: [[UInt16]], numbers: [[Int64]], nullRows: [[Int]]) {
        var pseudonyms = [String](repeating: "", count: subjectIndex.count)
        for (pseudonym, index) in subjectIndex { pseudonyms[Int(index)] = pseudonym }
        return (subjects, pseudonyms, codes, numbers, nulls)
    }

    public func build() -> ColumnarSnapshot {
        ColumnarSnapshot.assemble(
            schema: schema, subjectOfRow: subjects, subjectCount: subjectIndex.count, codes: codes, numbers: numbers, nullRows: nulls,
            subjectKeys: subjectKeys, studyKeys: studyKeys
        )
    }

    /// The values of one row as unambiguous bytes: a tag per value, codes and numbers
    /// length-prefixed.
    private static func canonicalRow(_ values: [Value]) -> [UInt8] {
        var bytes: [UInt8] = []
        for value in values {
            switch value {
            case .code(let code):
                bytes.append(1)
                RecordKeyer.appendField(Array(code.utf8), to: &bytes)
            case .number(let number):
                bytes.append(2)
                withUnsafeBytes(of: number.bigEndian) { bytes += $0 }
            case .null:
                bytes.append(0)
            }
        }
        return bytes
    }
}

extension ColumnarSnapshot {
    /// A snapshot from rows already dictionary-coded (what ``ColumnarSnapshotBuilder``
    /// accumulates, and what the CSV import produces without a String per value).
    ///
    /// - Parameters:
    ///   - subjectOfRow: each row's subject as a dense index 0..<subjectCount, rows in input order.
    ///   - codes: indexed like `schema.attributes`, for categoricals: 0 for NULL, i + 1 for `vocabulary[i]`.
    ///   - numbers: indexed like `schema.attributes`, for numerics: fixed point, 0 where NULL.
    ///   - nullRows: indexed like `schema.attributes`, for numerics: the rows that are NULL, ascending.
    ///   - subjectKeys, studyKeys: the record keys (by dense subject, by input row); all zero when nil.
    public static func assemble(
        schema: Schema, subjectOfRow subjects: [Int32], subjectCount: Int, codes: [[UInt16]], numbers: [[Int64]], nullRows nulls: [[Int]],
        subjectKeys: [UInt64]? = nil, studyKeys: [UInt64]? = nil
    ) -> ColumnarSnapshot {
        let rowCount = subjects.count
        // Dense indexes are given in order of first appearance, so the rows are grouped by
        // subject exactly when the indexes never decrease.
        var grouped = true
        for row in subjects.indices.dropFirst() where subjects[row] < subjects[row - 1] {
            grouped = false
            break
        }
        // Make each subject's rows contiguous (a stable counting sort by subject index) if
        // the input was not already grouped by subject.
        let order: [Int]? = grouped ? nil : groupingOrder(subjects, subjectCount: subjectCount)
        func permuted<T>(_ values: [T]) -> [T] {
            guard let order else { return values }
            return order.map { values[$0] }
        }
        var columns: [ColumnarSnapshot.Column?] = []
        for (position, attribute) in schema.attributes.enumerated() {
            switch attribute.type {
            case .key:
                columns.append(nil)
            case .categorical(let vocabulary):
                let values = permuted(codes[position])
                columns.append(.categorical(vocabulary.count < Int(UInt8.max) ? .narrow(values.map { UInt8($0) }) : .wide(values)))
            case .numeric:
                let values = permuted(numbers[position])
                var nullSet: Bitset?
                if !nulls[position].isEmpty {
                    var set = Bitset(count: rowCount)
                    if let order {
                        var inverse = [Int](repeating: 0, count: rowCount)
                        for (newRow, oldRow) in order.enumerated() { inverse[oldRow] = newRow }
                        for row in nulls[position] { set.insert(inverse[row]) }
                    } else {
                        for row in nulls[position] { set.insert(row) }
                    }
                    nullSet = set
                }
                let fitsNarrow = values.allSatisfy { $0 >= Int64(Int32.min) && $0 <= Int64(Int32.max) }
                columns.append(.numeric(fitsNarrow ? .narrow(values.map { Int32($0) }) : .wide(values), nulls: nullSet))
            }
        }
        return ColumnarSnapshot(
            schema: schema, subjects: permuted(subjects), subjectCount: subjectCount, columns: columns,
            subjectKeys: subjectKeys ?? [UInt64](repeating: 0, count: subjectCount),
            studyKeys: studyKeys.map(permuted) ?? [UInt64](repeating: 0, count: rowCount)
        )
    }

    private static func groupingOrder(_ subjects: [Int32], subjectCount: Int) -> [Int] {
        var starts = [Int](repeating: 0, count: subjectCount + 1)
        for subject in subjects { starts[Int(subject) + 1] += 1 }
        for i in 1...subjectCount { starts[i] += starts[i - 1] }
        var order = [Int](repeating: 0, count: subjects.count)
        for (row, subject) in subjects.enumerated() {
            order[starts[Int(subject)]] = row
            starts[Int(subject)] += 1
        }
        return order
    }
}

extension ColumnarSnapshot {
    /// The codes that occur in a categorical column (what a catalogue declares as the
    /// site's levels), or nil for an unknown or non-categorical attribute.
    public func presentCodes(of name: String) -> Set<String>? {
        guard let position = schema.attributes.firstIndex(where: { $0.name == name }),
            case .categorical(let codes) = columns[position]
        else { return nil }
        let vocabulary = schema.attributes[position].vocabulary
        var seen = [Bool](repeating: false, count: vocabulary.count + 1)
        switch codes {
        case .narrow(let values): for value in values { seen[Int(value)] = true }
        case .wide(let values): for value in values { seen[Int(value)] = true }
        }
        return Set(vocabulary.indices.filter { seen[$0 + 1] }.map { vocabulary[$0] })
    }

    /// The smallest and largest non-null value of a numeric column, in fixed point, or nil
    /// when the column is empty, all NULL, unknown or not numeric.
    public func numericRange(of name: String) -> ClosedRange<Int64>? {
        guard let position = schema.attributes.firstIndex(where: { $0.name == name }),
            case .numeric(let values, let nulls) = columns[position]
        else { return nil }
        var low = Int64.max
        var high = Int64.min
        values.withValues { value in
            for row in 0..<rowCount where !(nulls?[row] ?? false) {
                let v = value(row)
                low = min(low, v)
                high = max(high, v)
            }
        }
        return low <= high ? low...high : nil
    }
}
