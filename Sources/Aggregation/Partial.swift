/// The value of one grouping dimension in a cell, independent of any site's internal
/// codes, so that partials from sites with different vocabularies merge by meaning.
public enum GroupValue: Sendable, Hashable, Comparable {
    /// A code from the attribute's vocabulary.
    case code(String)
    /// Rows whose attribute is NULL form their own group, as in SQL.
    case null
    /// A histogram bin: -1 is the underflow bin, `count` the overflow bin.
    case bin(Int)

    public static func < (lhs: GroupValue, rhs: GroupValue) -> Bool {
        switch (lhs, rhs) {
        case (.code(let a), .code(let b)): a < b
        case (.bin(let a), .bin(let b)): a < b
        case (.null, .null): false
        case (.null, _): false
        case (_, .null): true
        case (.code, .bin): true
        case (.bin, .code): false
        }
    }
}

/// Exact sums of one numeric attribute over a cell: the count of non-null values, their
/// sum and their sum of squares, as fixed-point integers at the attribute's scale.
///
/// Integers merge exactly in any order and any grouping, so the variance released at the
/// origin is the same whatever the shape of the aggregation tree (docs/ARCHITECTURE.md, "Partials");
/// floating point appears only in ``mean(scale:)`` and ``sampleVariance(scale:)``.
public struct NumericPartial: Sendable, Hashable {
    public var count: Int64 = 0
    public var sum: Int128 = 0
    public var sumOfSquares: Int128 = 0
    /// The cell key of the values: the sum, modulo 2^64, of the record keys of the records
    /// whose non-null value is counted (persons for a subject-level attribute, studies for a
    /// study-level one). It seeds the noise on these sums (docs/PRIVACY.md, "Cell keys").
    public var key: UInt64 = 0

    public init() {}

    public init(count: Int64, sum: Int128, sumOfSquares: Int128, key: UInt64 = 0) {
        self.count = count
        self.sum = sum
        self.sumOfSquares = sumOfSquares
        self.key = key
    }

    @inline(__always)
    mutating func add(_ value: Int64, key recordKey: UInt64) {
        count += 1
        let wide = Int128(value)
        sum += wide
        sumOfSquares += wide * wide
        key &+= recordKey
    }

    /// The sum of two partials, or nil when a count or sum would overflow.
    public func addingReportingOverflow(_ other: NumericPartial) -> NumericPartial? {
        let (count, o1) = count.addingReportingOverflow(other.count)
        let (sum, o2) = sum.addingReportingOverflow(other.sum)
        let (squares, o3) = sumOfSquares.addingReportingOverflow(other.sumOfSquares)
        guard !o1, !o2, !o3 else { return nil }
        return NumericPartial(count: count, sum: sum, sumOfSquares: squares, key: key &+ other.key)
    }

    /// The mean, or nil without values.
    public func mean(scale: Int) -> Double? {
        guard count > 0 else { return nil }
        return Double(sum) / Double(count) / FixedPoint.power(scale)
    }

    /// The sample variance (n - 1 in the denominator), or nil with fewer than two values.
    /// `n·Σx² − (Σx)²` is computed exactly in 128-bit integers; the only rounding is the
    /// final division, so the relative error is about 2^-52 whatever the data.
    public func sampleVariance(scale: Int) -> Double? {
        guard count > 1 else { return nil }
        let n = Int128(count)
        let numerator = n * sumOfSquares - sum * sum
        return Double(numerator) / (Double(n) * Double(n - 1)) / (FixedPoint.power(scale) * FixedPoint.power(scale))
    }
}

/// Everything one site (or one subtree) knows about one result cell.
public struct CellPartial: Sendable, Hashable {
    /// Matching imaging studies.
    public var studies: Int64 = 0
    /// Matching distinct persons. Subjects are site-local pseudonyms, so the distinct counts
    /// of different sites add up.
    public var subjects: Int64 = 0
    /// One entry per attribute of ``Query/statisticAttributes``.
    public var statistics: [NumericPartial]
    /// Cell keys (docs/PRIVACY.md, "Cell keys"): the sums, modulo 2^64, of the record keys of
    /// the studies and of the distinct persons counted. They add up along the tree like the
    /// counts, so the origin holds the key of the federation total.
    public var studyKey: UInt64 = 0
    public var subjectKey: UInt64 = 0

    public init(statisticCount: Int) {
        statistics = Array(repeating: NumericPartial(), count: statisticCount)
    }

    public init(studies: Int64, subjects: Int64, statistics: [NumericPartial], studyKey: UInt64 = 0, subjectKey: UInt64 = 0) {
        self.studies = studies
        self.subjects = subjects
        self.statistics = statistics
        self.studyKey = studyKey
        self.subjectKey = subjectKey
    }

    /// The sum of two cells (keys modulo 2^64), or nil when a count or sum would overflow
    /// or the cells belong to different queries.
    public func addingReportingOverflow(_ other: CellPartial) -> CellPartial? {
        guard statistics.count == other.statistics.count else { return nil }
        let (studies, o1) = studies.addingReportingOverflow(other.studies)
        let (subjects, o2) = subjects.addingReportingOverflow(other.subjects)
        guard !o1, !o2 else { return nil }
        var statistics: [NumericPartial] = []
        for (mine, theirs) in zip(self.statistics, other.statistics) {
            guard let sum = mine.addingReportingOverflow(theirs) else { return nil }
            statistics.append(sum)
        }
        return CellPartial(studies: studies, subjects: subjects, statistics: statistics, studyKey: studyKey &+ other.studyKey, subjectKey: subjectKey &+ other.subjectKey)
    }
}

/// The partial result of one query: its cells (only those with matching rows), keyed by
/// their group values. Merging is associative and commutative, with the empty partial as
/// identity.
public struct QueryPartial: Sendable, Hashable {
    public var statisticAttributes: [String]
    public var cells: [[GroupValue]: CellPartial]

    public init(statisticAttributes: [String], cells: [[GroupValue]: CellPartial] = [:]) {
        self.statisticAttributes = statisticAttributes
        self.cells = cells
    }

    /// Merges partials the node itself made (its own executor's, or ones already checked):
    /// a mismatch or an overflow is a programming error.
    public mutating func merge(_ other: QueryPartial) {
        let merged = mergeReportingOverflow(other)
        precondition(merged, "partials of different queries, or sums beyond their integer types, cannot merge")
    }

    /// Merges `other` unless the queries differ or a sum would leave its integer type; then
    /// nothing changes and the result is false. A parent merging what its children sent
    /// uses this, so that no value a member sends can trap the node (docs/PRIVACY.md,
    /// "Partials from members"). The shared cells are summed before anything is written.
    public mutating func mergeReportingOverflow(_ other: QueryPartial) -> Bool {
        guard statisticAttributes == other.statisticAttributes else { return false }
        var sums: [[GroupValue]: CellPartial] = [:]
        for (key, cell) in other.cells {
            if let existing = cells[key] {
                guard let sum = existing.addingReportingOverflow(cell) else { return false }
                sums[key] = sum
            } else {
                sums[key] = cell
            }
        }
        cells.merge(sums) { _, sum in sum }
        return true
    }

    public func merged(with other: QueryPartial) -> QueryPartial {
        var copy = self
        copy.merge(other)
        return copy
    }
}
