import Aggregation
import Foundation
import MeshCore
import QueryPlanner
import Testing

/// A query that would exhaust a node's stack (5,000 nested NOTs once crashed the origin) is
/// refused with a positioned error before anything recurses over it.
extension QueryParserTests {
    @Test func twentyFiveThousandNestedNotsAreRefusedWhereTheNestingPassesTheLimit() {
        let prefix = "SELECT COUNT(*) FROM cases WHERE "
        let sql = prefix + String(repeating: "NOT ", count: 25_000) + "sex = 'F'"
        let error = error(sql)
        #expect(error?.message.contains("more than \(QueryParser.maximumNesting) levels deep") == true, "\(String(describing: error))")
        // The 65th NOT, on line 1.
        #expect(error?.location == SourceLocation(line: 1, column: prefix.count + 4 * QueryParser.maximumNesting + 1))
    }

    @Test func deepParenthesesAreRefusedToo() {
        let sql = "SELECT COUNT(*) FROM cases WHERE " + String(repeating: "(", count: 10_000) + "sex = 'F'" + String(repeating: ")", count: 10_000)
        #expect(error(sql)?.message.contains("levels deep") == true)
    }

    @Test func eightThousandOredConditionsAreRefusedAtTheFirstOneTooMany() {
        let tests = (0..<8000).map { "age_at_diagnosis = \($0 % 120)" }
        let sql = "SELECT COUNT(*) FROM cases WHERE " + tests.joined(separator: " OR ")
        let error = error(sql)
        #expect(error?.message.contains("more than \(QueryParser.maximumConditions) tests") == true, "\(String(describing: error))")
        #expect(error?.location.line == 1 && (error?.location.column ?? 0) > 1)
    }

    @Test func aMebibyteOfTextIsRefusedBeforeItIsRead() {
        let sql = "SELECT COUNT(*) FROM cases WHERE sex = '" + String(repeating: "F", count: 1 << 20) + "'"
        let error = error(sql)
        #expect(error?.message.contains("at most \(QueryParser.maximumTextBytes) are accepted") == true)
        #expect(error?.location == SourceLocation(line: 1, column: 1))
    }

    @Test func queriesAtTheLimitsStillParse() throws {
        let nested = "SELECT COUNT(*) FROM cases WHERE " + String(repeating: "NOT ", count: QueryParser.maximumNesting) + "sex = 'F'"
        #expect(throws: Never.self) { try QueryParser.parse(nested, vocabulary: vocabulary) }
        let tests = (0..<QueryParser.maximumConditions).map { "age_at_diagnosis = \($0 % 120)" }
        #expect(throws: Never.self) { try QueryParser.parse("SELECT COUNT(*) FROM cases WHERE " + tests.joined(separator: " OR "), vocabulary: vocabulary) }
    }

    /// Random SQL up to the limits never crashes the parser: it parses or gets an error.
    @Test func randomTokenSoupNeverCrashesTheParser() {
        var random = SeededRandom(seed: 3)
        let pieces = ["SELECT", "COUNT(*)", "FROM", "cases", "WHERE", "NOT", "(", ")", "AND", "OR", "sex", "=", "'F'", "age_at_diagnosis", "<", "42", "IN", ",", "BETWEEN", "GROUP", "BY", "BIN", "HISTOGRAM", ";", "'", "--", "\n"]
        for _ in 0..<2000 {
            var sql = "SELECT COUNT(*) FROM cases WHERE "
            for _ in 0..<Int.random(in: 1...400, using: &random) { sql += pieces.randomElement(using: &random)! + " " }
            _ = try? QueryParser.parse(sql, vocabulary: vocabulary)
        }
    }
}
