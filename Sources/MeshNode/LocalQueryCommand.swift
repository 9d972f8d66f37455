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

    @Flag(help: "Report load time, snapshot memory and query time on standard error.")
    var timing = false

    @Option(help: "Run the query this many times and report the median time (with --timing); for benchmarks.")
    var runs: Int = 1

    @Argument(help: "The query, e.g. \"SELECT COUNT(DISTINCT subject) FROM cases GROUP BY modality\".")
    var sql: String

    func validate() throws {
        guard k >= 1 else { throw ValidationError("--k must be at least 1") }
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
    }

    func run() throws {
        let clock = ContinuousClock()
        let loadStart = clock.now
        let store = try SiteStore(path: db)
        let snapshot = try store.loadSnapshot()
        let loadTime = clock.now - loadStart
        let vocabulary = QueryVocabulary(schema: snapshot.schema)
        let query: Query
        do {
            query = try QueryParser.parse(sql, vocabulary: vocabulary)
        } catch {
            throw CommandFailure(Self.describe(error, in: sql))
        }
        let executor = LocalExecutor(snapshot: snapshot)
        var table: ResultTable!
        var times: [Duration] = []
        for _ in 0..<runs {
            let start = clock.now
            let partial = try executor.execute(query)
            table = ResultTable(query: query, partial: partial, scales: vocabulary.scales, disclosure: DisclosureControl(k: k))
            times.append(clock.now - start)
        }
        if timing {
            times.sort()
            let bytesPerRow = Double(snapshot.columnBytes) / Double(max(1, snapshot.rowCount))
            FileHandle.standardError.write(
                Data(
                    (String(
                        format: "timing: loaded %d studies of %d subjects in %.1f ms; snapshot %d bytes (%.1f bytes per study); resident %d KiB\n",
                        snapshot.rowCount, snapshot.subjectCount, loadTime.fractionalMilliseconds, snapshot.columnBytes, bytesPerRow, Self.residentKiB()
                    )
                        + String(
                            format: "timing: query median %.3f ms, min %.3f ms, max %.3f ms over %d runs\n",
                            times[times.count / 2].fractionalMilliseconds, times[0].fractionalMilliseconds, times[times.count - 1].fractionalMilliseconds, times.count
                        )).utf8
                )
            )
        }
        switch format {
        case .table: print(table.table(), terminator: "")
        case .json: print(table.json())
        case .csv: print(table.csv(), terminator: "")
        }
    }

    /// The process's resident memory (Linux `VmRSS`), 0 where unavailable.
    static func residentKiB() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return 0 }
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
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
