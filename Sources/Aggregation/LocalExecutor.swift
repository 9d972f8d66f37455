import Foundation
import MeshCore

/// Runs a ``Query`` on a site's ``ColumnarSnapshot`` and returns its ``QueryPartial``.
///
/// Column at a time: the filter becomes a pair of bitsets (rows where it is true, rows
/// where it is false; the rest are SQL's "unknown"), each grouping dimension adds its index
/// into a per-row cell number, and one pass over the selected rows counts studies and
/// distinct subjects per cell. Statistics then take one pass per attribute: over the
/// selected rows for study-level attributes, over each subject's first row in each cell for
/// subject-level ones (a person's age counts once however many studies they have).
public struct LocalExecutor: Sendable {
    public let snapshot: ColumnarSnapshot
    /// The most cells (product of the grouping dimensions) a query may have.
    public var cellLimit: Int
    /// Bounds, in fixed point at each attribute's scale, that statistic values are clamped
    /// to before they are summed: the sensitivity the noise at the origin is scaled to
    /// (docs/PRIVACY.md, "Noise"). Attributes not named here are not clamped.
    public var statisticBounds: [String: ClosedRange<Int64>]

    public init(snapshot: ColumnarSnapshot, cellLimit: Int = 1_000_000, statisticBounds: [String: ClosedRange<Int64>] = [:]) {
        self.snapshot = snapshot
        self.cellLimit = cellLimit
        self.statisticBounds = statisticBounds
    }

    public func execute(_ query: Query) throws(ExecutionError) -> QueryPartial {
        let rowCount = snapshot.rowCount
        let selection: Bitset
        if let filter = query.filter {
            selection = try evaluate(filter).isTrue
        } else {
            selection = Bitset(count: rowCount, filled: true)
        }
        let dimensions = try query.groupBy.map { grouping throws(ExecutionError) in try dimension(for: grouping) }
        var cellCount = 1
        for dimension in dimensions {
            let (product, overflow) = cellCount.multipliedReportingOverflow(by: dimension.size)
            guard !overflow, product <= cellLimit else {
                throw ExecutionError("the grouping has more than \(cellLimit) cells; group by fewer attributes or use fewer bins")
            }
            cellCount = product
        }
        var cells = [UInt32](repeating: 0, count: rowCount)
        var stride = 1
        for dimension in dimensions.reversed() {
            dimension.accumulate(into: &cells, stride: UInt32(stride), selection: selection)
            stride *= dimension.size
        }

        let statisticAttributes = query.statisticAttributes
        let statisticColumns = try statisticAttributes.map { name throws(ExecutionError) in try numericColumn(name) }
        let needsFirstRows = statisticColumns.contains { $0.attribute.level == .subject }

        var studies = [Int64](repeating: 0, count: cellCount)
        var subjects = [Int64](repeating: 0, count: cellCount)
        var studyKeys = [UInt64](repeating: 0, count: cellCount)
        var subjectKeys = [UInt64](repeating: 0, count: cellCount)
        var firstRows = Bitset(count: needsFirstRows ? rowCount : 0)
        do {
            var lastSubject = [Int32](repeating: -1, count: cellCount)
            snapshot.subjects.withUnsafeBufferPointer { subjectOf in
                cells.withUnsafeBufferPointer { cellOf in
                    studies.withUnsafeMutableBufferPointer { studies in
                        subjects.withUnsafeMutableBufferPointer { subjects in
                            lastSubject.withUnsafeMutableBufferPointer { last in
                                studyKeys.withUnsafeMutableBufferPointer { studyKeySums in
                                    subjectKeys.withUnsafeMutableBufferPointer { subjectKeySums in
                                        snapshot.studyKeys.withUnsafeBufferPointer { studyKeyOf in
                                            snapshot.subjectKeys.withUnsafeBufferPointer { subjectKeyOf in
                                                selection.forEach { row in
                                                    let cell = Int(cellOf[row])
                                                    studies[cell] &+= 1
                                                    studyKeySums[cell] &+= studyKeyOf[row]
                                                    let subject = subjectOf[row]
                                                    if last[cell] != subject {
                                                        last[cell] = subject
                                                        subjects[cell] &+= 1
                                                        subjectKeySums[cell] &+= subjectKeyOf[Int(subject)]
                                                        if needsFirstRows { firstRows.insert(row) }
                                                    }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }

        var statistics: [[NumericPartial]] = []
        for column in statisticColumns {
            let subjectLevel = column.attribute.level == .subject
            var rows = subjectLevel ? firstRows : selection
            if let nulls = column.nulls { rows.subtract(nulls) }
            let bounds = statisticBounds[column.attribute.name] ?? (Int64.min...Int64.max)
            var partials = [NumericPartial](repeating: NumericPartial(), count: cellCount)
            partials.withUnsafeMutableBufferPointer { partials in
                cells.withUnsafeBufferPointer { cellOf in
                    snapshot.subjects.withUnsafeBufferPointer { subjectOf in
                        column.values.withValues { value in
                            rows.forEach { row in
                                let clamped = min(max(value(row), bounds.lowerBound), bounds.upperBound)
                                let key = subjectLevel ? snapshot.subjectKeys[Int(subjectOf[row])] : snapshot.studyKeys[row]
                                partials[Int(cellOf[row])].add(clamped, key: key)
                            }
                        }
                    }
                }
            }
            statistics.append(partials)
        }

        var result = QueryPartial(statisticAttributes: statisticAttributes)
        for cell in 0..<cellCount where studies[cell] > 0 {
            var key: [GroupValue] = []
            var remainder = cell
            var divisor = cellCount
            for dimension in dimensions {
                divisor /= dimension.size
                key.append(dimension.groupValue(remainder / divisor))
                remainder %= divisor
            }
            result.cells[key] = CellPartial(
                studies: studies[cell],
                subjects: subjects[cell],
                statistics: statistics.map { $0[cell] },
                studyKey: studyKeys[cell],
                subjectKey: subjectKeys[cell]
            )
        }
        return result
    }

    // MARK: Filters

    /// SQL three-valued truth per row: true rows, false rows; the others are unknown.
    struct Truth {
        var isTrue: Bitset
        var isFalse: Bitset
    }

    func evaluate(_ predicate: Condition) throws(ExecutionError) -> Truth {
        switch predicate {
        case .and(let left, let right):
            var l = try evaluate(left)
            let r = try evaluate(right)
            l.isTrue.formIntersection(r.isTrue)
            l.isFalse.formUnion(r.isFalse)
            return l
        case .or(let left, let right):
            var l = try evaluate(left)
            let r = try evaluate(right)
            l.isTrue.formUnion(r.isTrue)
            l.isFalse.formIntersection(r.isFalse)
            return l
        case .not(let inner):
            let t = try evaluate(inner)
            return Truth(isTrue: t.isFalse, isFalse: t.isTrue)
        case .isNull(let name, let negated):
            let nulls = try nullRows(name)
            let notNulls = nulls.complemented()
            return negated ? Truth(isTrue: notNulls, isFalse: nulls) : Truth(isTrue: nulls, isFalse: notNulls)
        case .comparison(let name, let op, let literal):
            return try leaf(name) { value throws(ExecutionError) in
                switch value {
                case .categorical(let attribute):
                    guard op == .equal || op == .notEqual else {
                        throw ExecutionError("\(attribute.name) is categorical: compare it with = or <>, not \(op.rawValue)")
                    }
                    let code = try code(of: literal, in: attribute)
                    return .codes { op == .equal ? $0 == code : $0 != code }
                case .numeric(let attribute):
                    let bound = try number(literal, for: attribute)
                    return .numbers(Self.comparison(op, bound))
                }
            }
        case .membership(let name, let literals, let negated):
            let truth = try leaf(name) { value throws(ExecutionError) in
                switch value {
                case .categorical(let attribute):
                    var wanted = Set<UInt16>()
                    for literal in literals { if let code = try code(of: literal, in: attribute) { wanted.insert(code) } }
                    return .codes { wanted.contains($0) }
                case .numeric(let attribute):
                    var wanted = Set<Int64>()
                    for literal in literals {
                        let exact = try number(literal, for: attribute)
                        if exact.floor == exact.ceiling { wanted.insert(exact.floor) }
                    }
                    return .numbers { wanted.contains($0) }
                }
            }
            return negated ? Truth(isTrue: truth.isFalse, isFalse: truth.isTrue) : truth
        case .range(let name, let lower, let upper, let negated):
            let truth = try leaf(name) { value throws(ExecutionError) in
                guard case .numeric(let attribute) = value else {
                    throw ExecutionError("BETWEEN needs a numeric attribute; \(name) is categorical")
                }
                let low = try number(lower, for: attribute)
                let high = try number(upper, for: attribute)
                return .numbers { $0 >= low.ceiling && $0 <= high.floor }
            }
            return negated ? Truth(isTrue: truth.isFalse, isFalse: truth.isTrue) : truth
        }
    }

    static func comparison(_ op: ComparisonOperator, _ bound: FixedPoint.Bound) -> (Int64) -> Bool {
        switch op {
        case .equal: { bound.floor == bound.ceiling && $0 == bound.floor }
        case .notEqual: { bound.floor != bound.ceiling || $0 != bound.floor }
        case .less: { $0 < bound.ceiling }
        case .lessOrEqual: { $0 <= bound.floor }
        case .greater: { $0 > bound.floor }
        case .greaterOrEqual: { $0 >= bound.ceiling }
        }
    }

    enum LeafColumn {
        case categorical(Attribute)
        case numeric(Attribute)
    }

    enum LeafTest {
        case codes((UInt16) -> Bool)
        case numbers((Int64) -> Bool)
    }

    private func leaf(_ name: String, _ makeTest: (LeafColumn) throws(ExecutionError) -> LeafTest) throws(ExecutionError) -> Truth {
        let (position, attribute) = try resolve(name)
        let rowCount = snapshot.rowCount
        switch snapshot.columns[position] {
        case .categorical(let codes):
            guard case .codes(let test) = try makeTest(.categorical(attribute)) else { preconditionFailure() }
            // One lookup table over the vocabulary instead of a test per row.
            var table = [Bool](repeating: false, count: attribute.vocabulary.count + 1)
            for code in 1..<table.count { table[code] = test(UInt16(code)) }
            var isTrue = Bitset(count: rowCount)
            var isFalse = Bitset(count: rowCount)
            switch codes {
            case .narrow(let values):
                Self.fill(&isTrue, &isFalse, count: rowCount) { row in values[row] == 0 ? nil : table[Int(values[row])] }
            case .wide(let values):
                Self.fill(&isTrue, &isFalse, count: rowCount) { row in values[row] == 0 ? nil : table[Int(values[row])] }
            }
            return Truth(isTrue: isTrue, isFalse: isFalse)
        case .numeric(let values, let nulls):
            guard case .numbers(let test) = try makeTest(.numeric(attribute)) else { preconditionFailure() }
            var isTrue = Bitset(count: rowCount)
            var isFalse = Bitset(count: rowCount)
            switch values {
            case .narrow(let v): Self.fill(&isTrue, &isFalse, count: rowCount) { row in test(Int64(v[row])) }
            case .wide(let v): Self.fill(&isTrue, &isFalse, count: rowCount) { row in test(v[row]) }
            }
            if let nulls {
                isTrue.subtract(nulls)
                isFalse.subtract(nulls)
            }
            return Truth(isTrue: isTrue, isFalse: isFalse)
        case nil:
            throw ExecutionError("\(name) is the subject key; queries cannot filter on it")
        }
    }

    @inline(__always)
    private static func fill(_ isTrue: inout Bitset, _ isFalse: inout Bitset, count: Int, _ test: (Int) -> Bool?) {
        var trueWords = [UInt64](repeating: 0, count: (count + 63) / 64)
        var falseWords = trueWords
        for word in 0..<trueWords.count {
            var t: UInt64 = 0
            var f: UInt64 = 0
            let base = word << 6
            for bit in 0..<min(64, count - base) {
                switch test(base + bit) {
                case true?: t |= 1 << UInt64(bit)
                case false?: f |= 1 << UInt64(bit)
                case nil: break
                }
            }
            trueWords[word] = t
            falseWords[word] = f
        }
        isTrue = Bitset(count: count, words: trueWords)
        isFalse = Bitset(count: count, words: falseWords)
    }

    private func nullRows(_ name: String) throws(ExecutionError) -> Bitset {
        let (position, _) = try resolve(name)
        switch snapshot.columns[position] {
        case .categorical(let codes):
            var nulls = Bitset(count: snapshot.rowCount)
            switch codes {
            case .narrow(let v): for row in v.indices where v[row] == 0 { nulls.insert(row) }
            case .wide(let v): for row in v.indices where v[row] == 0 { nulls.insert(row) }
            }
            return nulls
        case .numeric(_, let nulls):
            return nulls ?? Bitset(count: snapshot.rowCount)
        case nil:
            throw ExecutionError("\(name) is the subject key; queries cannot filter on it")
        }
    }

    private func code(of literal: Literal, in attribute: Attribute) throws(ExecutionError) -> UInt16? {
        guard case .text(let text) = literal else {
            throw ExecutionError("\(attribute.name) is categorical; compare it with a quoted code, not the number \(literal)")
        }
        // A code this site does not declare matches none of its rows.
        return attribute.vocabulary.firstIndex(of: text).map { UInt16($0 + 1) }
    }

    private func number(_ literal: Literal, for attribute: Attribute) throws(ExecutionError) -> FixedPoint.Bound {
        guard case .number(let decimal) = literal else {
            throw ExecutionError("\(attribute.name) is numeric; compare it with a number, not the text \(literal)")
        }
        return FixedPoint.bound(decimal, scale: attribute.scale)
    }

    // MARK: Columns and dimensions

    private func resolve(_ name: String) throws(ExecutionError) -> (Int, Attribute) {
        guard let position = snapshot.schema.attributes.firstIndex(where: { $0.name == name }) else {
            throw ExecutionError("this site has no attribute '\(name)'")
        }
        return (position, snapshot.schema.attributes[position])
    }

    struct StatisticColumn {
        let attribute: Attribute
        let values: ColumnarSnapshot.NumericValues
        let nulls: Bitset?
    }

    private func numericColumn(_ name: String) throws(ExecutionError) -> StatisticColumn {
        let (position, attribute) = try resolve(name)
        guard case .numeric(let values, let nulls) = snapshot.columns[position] else {
            throw ExecutionError("statistics need a numeric attribute; \(name) is not numeric")
        }
        return StatisticColumn(attribute: attribute, values: values, nulls: nulls)
    }

    struct Dimension {
        let size: Int
        let groupValue: (Int) -> GroupValue
        let accumulate: (inout [UInt32], UInt32, Bitset) -> Void

        func accumulate(into cells: inout [UInt32], stride: UInt32, selection: Bitset) {
            accumulate(&cells, stride, selection)
        }
    }

    private func dimension(for grouping: Grouping) throws(ExecutionError) -> Dimension {
        let (position, attribute) = try resolve(grouping.attribute)
        switch (grouping, snapshot.columns[position]) {
        case (.attribute, .categorical(let codes)):
            let vocabulary = attribute.vocabulary
            return Dimension(
                size: vocabulary.count + 1,
                groupValue: { $0 == 0 ? .null : .code(vocabulary[$0 - 1]) },
                accumulate: { cells, stride, _ in
                    cells.withUnsafeMutableBufferPointer { cells in
                        switch codes {
                        case .narrow(let v): for row in cells.indices { cells[row] &+= UInt32(v[row]) &* stride }
                        case .wide(let v): for row in cells.indices { cells[row] &+= UInt32(v[row]) &* stride }
                        }
                    }
                }
            )
        case (.bin(_, let lower, let upper, let count), .numeric(let values, let nulls)):
            guard count >= 1, lower < upper else {
                throw ExecutionError("BIN(\(attribute.name), \(lower), \(upper), \(count)) needs lo < hi and at least one bin")
            }
            let binning = Binning(lower: lower, upper: upper, count: count, scale: attribute.scale)
            return Dimension(
                size: count + 3,
                groupValue: { index in index == 0 ? .null : .bin(index - 2) },
                accumulate: { cells, stride, selection in
                    cells.withUnsafeMutableBufferPointer { cells in
                        values.withValues { value in
                            selection.forEach { row in
                                let isNull = nulls?[row] ?? false
                                cells[row] &+= UInt32(isNull ? 0 : binning.index(of: value(row)) + 2) &* stride
                            }
                        }
                    }
                }
            )
        case (.attribute, _):
            throw ExecutionError("GROUP BY needs a categorical attribute; use BIN(\(attribute.name), lo, hi, n) for a numeric one")
        case (.bin, _):
            throw ExecutionError("BIN needs a numeric attribute; \(attribute.name) is categorical")
        }
    }
}

/// Equal-width bins over [lower, upper), computed in exact integers: with values, lower and
/// upper all brought to one common decimal scale, the bin of v is
/// floor((v - lower) · n / (upper - lower)), -1 below lower and n at or above upper.
struct Binning: Sendable {
    let count: Int
    private let valueFactor: Int128
    private let lower: Int128
    private let width: Int128

    init(lower: Decimal, upper: Decimal, count: Int, scale: Int) {
        let literalScale = max(Self.decimals(lower), Self.decimals(upper))
        let common = max(scale, literalScale)
        var factor: Int128 = 1
        for _ in 0..<(common - scale) { factor *= 10 }
        self.count = count
        valueFactor = factor
        self.lower = Int128(FixedPoint.bound(lower, scale: common).floor)
        width = Int128(FixedPoint.bound(upper, scale: common).floor) - self.lower
    }

    @inline(__always)
    func index(of value: Int64) -> Int {
        let offset = Int128(value) * valueFactor - lower
        if offset < 0 { return -1 }
        if offset >= width { return count }
        return Int(offset * Int128(count) / width)
    }

    private static func decimals(_ value: Decimal) -> Int {
        max(0, -value.exponent)
    }
}

extension ColumnarSnapshot.NumericValues {
    /// Calls `body` with an accessor that reads one row's value as Int64.
    @inline(__always)
    func withValues<R>(_ body: ((Int) -> Int64) -> R) -> R {
        switch self {
        case .narrow(let values):
            return values.withUnsafeBufferPointer { buffer in body { Int64(buffer[$0]) } }
        case .wide(let values):
            return values.withUnsafeBufferPointer { buffer in body { buffer[$0] } }
        }
    }
}

/// A query that this site cannot run as given.
public struct ExecutionError: Error, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
