import Aggregation
import Foundation
import GRDB
import MeshCore

/// Runs the same query as SQL in SQLite on the same rows: the reference the executor is
/// checked against. Numerics are stored as their fixed-point integers, so every sum SQLite
/// computes is exact.
struct SQLiteOracle {
    let queue: DatabaseQueue
    let schema = RandomSite.schema

    init(site: RandomSite) throws {
        queue = try DatabaseQueue()
        try queue.write { db in
            let columns = schema.attributes.map { "\($0.name) \($0.isNumeric ? "INTEGER" : "TEXT")" }
            try db.execute(sql: "CREATE TABLE cases (\(columns.joined(separator: ", ")))")
            let insert = try db.makeStatement(sql: "INSERT INTO cases VALUES (\(Array(repeating: "?", count: columns.count).joined(separator: ", ")))")
            for row in site.rows {
                var arguments: [(any DatabaseValueConvertible)?] = [row.subject]
                for value in row.values.dropFirst() {
                    switch value {
                    case .code(let code): arguments.append(code)
                    case .number(let number): arguments.append(number)
                    case .null: arguments.append(nil)
                    }
                }
                try insert.execute(arguments: StatementArguments(arguments))
            }
        }
    }

    func run(_ query: Query) throws -> QueryPartial {
        let groups = query.groupBy.map(groupExpression)
        let whereClause = query.filter.map { "WHERE " + sql($0) } ?? ""
        let groupList = groups.isEmpty ? "" : "GROUP BY " + groups.joined(separator: ", ")
        var result = QueryPartial(statisticAttributes: query.statisticAttributes)
        try queue.read { db in
            let main = "SELECT \((groups + ["COUNT(*)", "COUNT(DISTINCT subject_id)"]).joined(separator: ", ")) FROM cases \(whereClause) \(groupList)"
            for row in try Row.fetchAll(db, sql: main) {
                let key = try (0..<groups.count).map { try groupValue(row[$0], grouping: query.groupBy[$0]) }
                let studies: Int64 = row[groups.count]
                guard studies > 0 else { continue }
                result.cells[key] = CellPartial(studies: studies, subjects: row[groups.count + 1], statistics: [])
            }
            for attribute in query.statisticAttributes {
                let level = schema.attribute(named: attribute)!.level
                let source: String
                if level == .subject {
                    // A person's value counts once per cell, however many studies they have.
                    let inner = (groups.enumerated().map { "\($1) AS g\($0)" } + ["subject_id", attribute]).joined(separator: ", ")
                    source = "(SELECT DISTINCT \(inner) FROM cases \(whereClause))"
                } else {
                    let inner = (groups.enumerated().map { "\($1) AS g\($0)" } + [attribute]).joined(separator: ", ")
                    source = "(SELECT \(inner) FROM cases \(whereClause))"
                }
                let aliases = groups.indices.map { "g\($0)" }
                let sql = "SELECT \((aliases + ["COUNT(\(attribute))", "SUM(\(attribute))", "SUM(\(attribute) * \(attribute))"]).joined(separator: ", ")) FROM \(source) \(aliases.isEmpty ? "" : "GROUP BY " + aliases.joined(separator: ", "))"
                for row in try Row.fetchAll(db, sql: sql) {
                    let key = try (0..<groups.count).map { try groupValue(row[$0], grouping: query.groupBy[$0]) }
                    guard var cell = result.cells[key] else { continue }
                    let count: Int64 = row[groups.count]
                    let sum: Int64 = row[groups.count + 1] ?? 0
                    let squares: Int64 = row[groups.count + 2] ?? 0
                    cell.statistics.append(NumericPartial(count: count, sum: Int128(sum), sumOfSquares: Int128(squares)))
                    result.cells[key] = cell
                }
            }
        }
        return result
    }

    private func groupValue(_ value: DatabaseValue, grouping: Grouping) throws -> GroupValue {
        switch (value.storage, grouping) {
        case (.null, _): return .null
        case (.string(let code), .attribute): return .code(code)
        case (.int64(let bin), .bin): return .bin(Int(bin))
        default: throw OracleError("unexpected group value \(value)")
        }
    }

    private func scaled(_ decimal: Decimal, _ attribute: String) -> String {
        var value = decimal
        for _ in 0..<schema.attribute(named: attribute)!.scale { value *= 10 }
        return NSDecimalNumber(decimal: value).stringValue
    }

    private func groupExpression(_ grouping: Grouping) -> String {
        switch grouping {
        case .attribute(let name):
            return name
        case .bin(let name, let lower, let upper, let count):
            // In fixed point at the attribute's scale; lower and upper are exact there or
            // have one extra decimal 5, so scale once more to keep integer division exact.
            let lo = scaled(lower * 10, name)
            let hi = scaled(upper * 10, name)
            return "(CASE WHEN \(name) IS NULL THEN NULL WHEN \(name) * 10 < \(lo) THEN -1 WHEN \(name) * 10 >= \(hi) THEN \(count) ELSE (\(name) * 10 - \(lo)) * \(count) / (\(hi) - \(lo)) END)"
        }
    }

    private func literal(_ literal: Literal, _ attribute: String) -> String {
        switch literal {
        case .text(let text): "'\(text.replacingOccurrences(of: "'", with: "''"))'"
        case .number(let number): scaled(number, attribute)
        }
    }

    private func sql(_ condition: Condition) -> String {
        switch condition {
        case .comparison(let name, let op, let value): "(\(name) \(op.rawValue) \(literal(value, name)))"
        case .membership(let name, let values, let negated):
            "(\(name) \(negated ? "NOT IN" : "IN") (\(values.map { literal($0, name) }.joined(separator: ", "))))"
        case .range(let name, let lower, let upper, let negated):
            "(\(name) \(negated ? "NOT BETWEEN" : "BETWEEN") \(literal(lower, name)) AND \(literal(upper, name)))"
        case .isNull(let name, let negated): "(\(name) IS \(negated ? "NOT NULL" : "NULL"))"
        case .and(let a, let b): "(\(sql(a)) AND \(sql(b)))"
        case .or(let a, let b): "(\(sql(a)) OR \(sql(b)))"
        case .not(let a): "(NOT \(sql(a)))"
        }
    }
}

struct OracleError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
