import Aggregation
import ArgumentParser
import Foundation
import MeshCore
import QueryPlanner

/// `meshnode local-query`: a site admin's view of exactly what the mesh would release from
/// this site, with the same parser, executor and disclosure control.
struct LocalQueryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "local-query",
        abstract: "Run a query on this site's own data, with the mesh's parser and thresholds."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, json, csv
    }

    @Option(help: "The site database made by `meshnode import`.")
    var db: String

    @Option(help: "Minimum number of distinct persons behind a released cell.")
    var k = 5

    @Option(help: "Output format: table, json or csv.")
    var format: Format = .table

    @Argument(help: "The query, e.g. \"SELECT COUNT(DISTINCT subject) FROM cases GROUP BY modality\".")
    var sql: String

    func validate() throws {
        guard k >= 1 else { throw ValidationError("--k must be at least 1") }
    }

    func run() throws {
        let store = try SiteStore(path: db)
        let snapshot = try store.loadSnapshot()
        let vocabulary = QueryVocabulary(schema: snapshot.schema)
        let query: Query
        do {
            query = try QueryParser.parse(sql, vocabulary: vocabulary)
        } catch {
            throw CommandFailure(Self.describe(error, in: sql))
        }
        let partial = try LocalExecutor(snapshot: snapshot).execute(query)
        let table = ResultTable(query: query, partial: partial, scales: vocabulary.scales, disclosure: DisclosureControl(k: k))
        switch format {
        case .table: print(table.table(), terminator: "")
        case .json: print(table.json())
        case .csv: print(table.csv(), terminator: "")
        }
    }

    /// The error with the offending line of the query and a caret under the position.
    static func describe(_ error: QueryError, in sql: String) -> String {
        let lines = sql.split(separator: "\n", omittingEmptySubsequences: false)
        var text = "query error at line \(error.location.line), column \(error.location.column): \(error.message)"
        if error.location.line - 1 < lines.count {
            let line = lines[error.location.line - 1]
            text += "\n  \(line)\n  \(String(repeating: " ", count: max(0, error.location.column - 1)))^"
        }
        return text
    }
}
