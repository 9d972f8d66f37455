import Foundation

/// The intermediate representation of an aggregate query over a site's `cases` table: what
/// the parser produces, the planner ships and the executor runs (docs/ARCHITECTURE.md, "Queries").
///
/// Only aggregates exist: counts of studies and of distinct subjects, and sample statistics
/// of numerics, per cell of a grouping by up to three categorical attributes and one
/// histogram binning.
public struct Query: Sendable, Equatable {
    public var aggregates: [Aggregate]
    public var filter: Condition?
    public var groupBy: [Grouping]

    public init(aggregates: [Aggregate], filter: Condition? = nil, groupBy: [Grouping] = []) {
        self.aggregates = aggregates
        self.filter = filter
        self.groupBy = groupBy
    }

    /// Numeric attributes whose statistics the query asks for, in first-use order: each gets
    /// one numeric partial, shared by its AVG, VARIANCE and STDDEV.
    public var statisticAttributes: [String] {
        var seen: [String] = []
        for aggregate in aggregates {
            if let attribute = aggregate.attribute, !seen.contains(attribute) { seen.append(attribute) }
        }
        return seen
    }

    /// Column names of the result: group columns, then aggregates.
    public var columnNames: [String] { groupBy.map(\.columnName) + aggregates.map(\.columnName) }
}

public enum Aggregate: Sendable, Hashable {
    /// `COUNT(*)`: imaging studies.
    case studyCount
    /// `COUNT(DISTINCT subject)`: persons.
    case subjectCount
    /// `AVG(attr)`.
    case mean(String)
    /// `VARIANCE(attr)`: sample variance.
    case variance(String)
    /// `STDDEV(attr)`: sample standard deviation.
    case standardDeviation(String)

    public var attribute: String? {
        switch self {
        case .studyCount, .subjectCount: nil
        case .mean(let a), .variance(let a), .standardDeviation(let a): a
        }
    }

    public var columnName: String {
        switch self {
        case .studyCount: "count"
        case .subjectCount: "count_distinct_subject"
        case .mean(let a): "avg_\(a)"
        case .variance(let a): "variance_\(a)"
        case .standardDeviation(let a): "stddev_\(a)"
        }
    }
}

public enum Grouping: Sendable, Hashable {
    /// `GROUP BY attr` of a categorical attribute.
    case attribute(String)
    /// `GROUP BY BIN(attr, lo, hi, n)`: n equal bins over [lo, hi), plus an underflow bin
    /// (`<lo`) and an overflow bin (`>=hi`).
    case bin(String, lower: Decimal, upper: Decimal, count: Int)

    public var attribute: String {
        switch self {
        case .attribute(let a), .bin(let a, _, _, _): a
        }
    }

    public var columnName: String {
        switch self {
        case .attribute(let a): a
        case .bin(let a, _, _, _): "\(a)_bin"
        }
    }
}

public enum Literal: Sendable, Hashable, CustomStringConvertible {
    case text(String)
    case number(Decimal)

    public var description: String {
        switch self {
        case .text(let s): "'\(s.replacingOccurrences(of: "'", with: "''"))'"
        case .number(let d): "\(d)"
        }
    }
}

public enum ComparisonOperator: String, Sendable, Hashable, CaseIterable {
    case equal = "="
    case notEqual = "<>"
    case less = "<"
    case lessOrEqual = "<="
    case greater = ">"
    case greaterOrEqual = ">="
}

/// A WHERE condition, with SQL's three-valued logic: a comparison with NULL is unknown,
/// `NOT unknown` is unknown, and only true rows are selected.
public indirect enum Condition: Sendable, Hashable {
    case comparison(String, ComparisonOperator, Literal)
    case membership(String, [Literal], negated: Bool)
    case range(String, lower: Literal, upper: Literal, negated: Bool)
    case isNull(String, negated: Bool)
    case and(Condition, Condition)
    case or(Condition, Condition)
    case not(Condition)
}
