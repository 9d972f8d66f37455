import Aggregation
import Foundation

/// The canonical SQL of a query (docs/ARCHITECTURE.md, "Queries"; "Planning and execution along a
/// tree", step 2: the plan carries the normalised query).
///
/// Researchers write the same question in many ways (case, spacing, comments, redundant
/// parentheses, `HISTOGRAM(...)` or its expansion); audits, logs and the plan show one
/// text per question, so that two plans can be compared by eye and an audit trail greps
/// cleanly. The text is exact: for every query `q` the parser accepts,
/// `QueryParser.parse(q.normalisedText) == q` with the same vocabulary, hence rendering is
/// idempotent.
///
/// The form: upper-case keywords; aggregates in their order; `COUNT(DISTINCT subject)`;
/// `HISTOGRAM(a, lo, hi, n)` in its expanded form `COUNT(DISTINCT subject) ... GROUP BY
/// BIN(a, lo, hi, n)` (the parser produces the same query for both); strings in single quotes
/// with `''` for a quote; numbers as plain decimals; one space around operators; and only
/// the parentheses the grammar needs: AND binds tighter than OR, NOT tighter than both, and
/// AND and OR chain from the left, so a parenthesised right operand keeps its parentheses.
extension Query {
    /// The canonical SQL over the table `cases`.
    public var normalisedText: String { normalisedText(table: "cases") }

    /// The canonical SQL over `table` (a federation's schema may name its table otherwise).
    public func normalisedText(table: String) -> String {
        var text = "SELECT " + aggregates.map(\.sql).joined(separator: ", ") + " FROM " + table
        if let filter {
            text += " WHERE " + filter.sql
        }
        if !groupBy.isEmpty {
            text += " GROUP BY " + groupBy.map(\.sql).joined(separator: ", ")
        }
        return text
    }
}

extension Aggregate {
    fileprivate var sql: String {
        switch self {
        case .studyCount: "COUNT(*)"
        case .subjectCount: "COUNT(DISTINCT subject)"
        case .mean(let attribute): "AVG(\(attribute))"
        case .variance(let attribute): "VARIANCE(\(attribute))"
        case .standardDeviation(let attribute): "STDDEV(\(attribute))"
        }
    }
}

extension Grouping {
    fileprivate var sql: String {
        switch self {
        case .attribute(let attribute):
            attribute
        case .bin(let attribute, let lower, let upper, let count):
            "BIN(\(attribute), \(Literal.number(lower).sql), \(Literal.number(upper).sql), \(count))"
        }
    }
}

extension Literal {
    /// `'O''Brien'` for text; a plain decimal (`-12.5`, never an exponent) for numbers, which
    /// the lexer reads back as the same value (a minus sign is its own token).
    fileprivate var sql: String {
        switch self {
        case .text(let text): "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
        case .number(let number): number.description
        }
    }
}

extension Condition {
    fileprivate var sql: String {
        switch self {
        case .comparison(let attribute, let op, let literal):
            return "\(attribute) \(op.rawValue) \(literal.sql)"
        case .membership(let attribute, let literals, let negated):
            return "\(attribute) \(negated ? "NOT IN" : "IN") (" + literals.map(\.sql).joined(separator: ", ") + ")"
        case .range(let attribute, let lower, let upper, let negated):
            return "\(attribute) \(negated ? "NOT BETWEEN" : "BETWEEN") \(lower.sql) AND \(upper.sql)"
        case .isNull(let attribute, let negated):
            return "\(attribute) IS \(negated ? "NOT NULL" : "NULL")"
        case .and(let left, let right):
            // `a OR b AND c` would bind the AND first; `a AND b AND c` is ((a AND b) AND c).
            let leftText = left.isDisjunction ? "(\(left.sql))" : left.sql
            let rightText = right.isDisjunction || right.isConjunction ? "(\(right.sql))" : right.sql
            return "\(leftText) AND \(rightText)"
        case .or(let left, let right):
            let rightText = right.isDisjunction ? "(\(right.sql))" : right.sql
            return "\(left.sql) OR \(rightText)"
        case .not(let operand):
            let operandText = operand.isDisjunction || operand.isConjunction ? "(\(operand.sql))" : operand.sql
            return "NOT \(operandText)"
        }
    }

    private var isConjunction: Bool {
        if case .and = self { true } else { false }
    }

    private var isDisjunction: Bool {
        if case .or = self { true } else { false }
    }
}
