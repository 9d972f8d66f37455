import Foundation
import GRDB
import MeshCore
import TestSupport
import Testing

@testable import MeshNode

/// The audit table in the site database: what is written, in which order it comes back, and
/// that a re-import leaves it alone.
@Suite struct AuditLogTests {
    /// 2026-11-27T12:00:00Z in unix milliseconds.
    static let noon: Int64 = 1_795_780_800_000

    static func record(
        at milliseconds: Int64,
        _ outcome: AuditRecord.Outcome = .answered,
        cells: Int = 12,
        query: String = "SELECT COUNT(DISTINCT subject_id) FROM cases GROUP BY modality"
    ) -> AuditRecord {
        AuditRecord(
            time: AuditRecord.date(milliseconds: milliseconds),
            queryID: String(format: "%032llx", milliseconds),
            researcher: "dr-smith",
            origin: "hospital-b",
            query: query,
            outcome: outcome,
            cellCount: cells
        )
    }

    @Test func appendsAndReadsBackOldestFirst() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try AuditLog(path: directory.file("site.sqlite"))
        let late = Self.record(at: Self.noon + 60_000, .refused("researcher dr-smith is not allowed here"), cells: 0)
        let early = Self.record(at: Self.noon + 1)
        let sameMillisecond = Self.record(at: Self.noon + 1, .failed("disk I/O error"), cells: 0, query: "SELECT COUNT(*) FROM cases")
        for record in [late, early, sameMillisecond] { try log.append(record) }
        // Ordered by time; the same millisecond in the order written.
        #expect(try log.records() == [early, sameMillisecond, late])
        // A second opening finds the table as it is.
        #expect(try AuditLog(path: directory.file("site.sqlite")).records().count == 3)
    }

    @Test func storesTheDocumentedColumnsAndCommitsBeforeReturning() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let database = directory.file("site.sqlite")
        let log = try AuditLog(path: database)
        try log.append(Self.record(at: Self.noon + 123))
        try log.append(Self.record(at: Self.noon + 456, .refused("too many cells"), cells: 0))
        // Another connection sees both rows at once: each append is a committed transaction.
        let rows = try DatabaseQueue(path: database).read { db in
            try Row.fetchAll(db, sql: "SELECT time_ms, outcome, reason, cells, typeof(time_ms) AS time_type FROM oncomesh_audit ORDER BY id")
        }
        #expect(rows.count == 2)
        #expect(rows.map { $0["time_ms"] as Int64 } == [Self.noon + 123, Self.noon + 456])
        #expect(rows.map { $0["time_type"] as String } == ["integer", "integer"])
        #expect(rows.map { $0["outcome"] as String } == ["answered", "refused"])
        #expect(rows.map { $0["reason"] as String? } == [nil, "too many cells"])
        #expect(rows.map { $0["cells"] as Int } == [12, 0])
        let indexes = try DatabaseQueue(path: database).read { db in try db.indexes(on: "oncomesh_audit") }
        #expect(indexes.contains { $0.columns == ["time_ms"] })
    }

    @Test func filtersBySinceInclusively() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try AuditLog(path: directory.file("site.sqlite"))
        let records = [0, 1_000, 2_000, 3_000].map { Self.record(at: Self.noon + Int64($0)) }
        for record in records { try log.append(record) }
        #expect(try log.records(since: nil) == records)
        #expect(try log.records(since: AuditRecord.date(milliseconds: Self.noon + 1_000)) == Array(records[1...]))
        #expect(try log.records(since: AuditRecord.date(milliseconds: Self.noon + 1_001)) == Array(records[2...]))
        #expect(try log.records(since: AuditRecord.date(milliseconds: Self.noon + 10_000)).isEmpty)
    }

    @Test func survivesAReImportAndDoesNotDisturbTheSiteData() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let database = directory.file("site.sqlite")
        let csv = directory.file("site.csv")
        try (SiteImportTests.good).write(toFile: csv, atomically: true, encoding: .utf8)
        let rows = try SiteImporter(schema: .reference).validate(csvAt: csv)
        let store = try SiteStore(path: database)
        _ = try store.replaceCases(with: rows, schema: .reference, schemaYAML: Schema.referenceYAML, sourceFile: csv)

        let log = try AuditLog(path: database)
        let first = Self.record(at: Self.noon)
        try log.append(first)
        #expect(try store.loadSnapshot().rowCount == 4)

        _ = try store.replaceCases(with: rows, schema: .reference, schemaYAML: Schema.referenceYAML, sourceFile: csv)
        let second = Self.record(at: Self.noon + 1, .refused("query kind histogram is not allowed"), cells: 0)
        try log.append(second)
        #expect(try log.records() == [first, second])
        #expect(try store.loadSnapshot().rowCount == 4)
    }

    @Test func refusesAMissingDatabaseWhenReadingAndAnUnopenableOneWhenAppending() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let missing = directory.file("nowhere.sqlite")
        let missingError = #expect(throws: AuditLog.AuditError.self) { try AuditLog(readingAt: missing) }
        #expect(missingError?.description.contains("no site database at '\(missing)'") == true, "\(String(describing: missingError))")
        #expect(!FileManager.default.fileExists(atPath: missing))
        let unopenable = directory.file("no/such/folder/site.sqlite")
        let unopenableError = #expect(throws: AuditLog.AuditError.self) { try AuditLog(path: unopenable) }
        #expect(unopenableError?.description.contains("'\(unopenable)'") == true, "\(String(describing: unopenableError))")
    }

    @Test func aReaderFindsNoRecordsInADatabaseWithoutTheTableAndLeavesItAlone() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let database = directory.file("site.sqlite")
        try DatabaseQueue(path: database).write { db in try db.execute(sql: "CREATE TABLE cases (subject_id TEXT)") }
        #expect(try AuditLog(readingAt: database).records().isEmpty)
        #expect(try DatabaseQueue(path: database).read { db in try db.tableExists("oncomesh_audit") } == false)
    }

    @Test func formatsTheStoredMillisecondExactly() {
        #expect(AuditRecord.timeText(milliseconds: Self.noon) == "2026-11-27T12:00:00.000Z")
        #expect(AuditRecord.timeText(milliseconds: Self.noon + 123) == "2026-11-27T12:00:00.123Z")
        #expect(AuditRecord.timeText(milliseconds: Self.noon + 59_999) == "2026-11-27T12:00:59.999Z")
        #expect(AuditRecord.timeText(milliseconds: -1) == "1969-12-31T23:59:59.999Z")
        for milliseconds in stride(from: Self.noon, to: Self.noon + 1_000, by: 7) {
            #expect(AuditRecord.milliseconds(AuditRecord.date(milliseconds: milliseconds)) == milliseconds)
            #expect(AuditRecord.milliseconds(parsing: AuditRecord.timeText(milliseconds: milliseconds)) == milliseconds)
        }
    }

    @Test func encodesAsFlatJSONAndDecodesBack() throws {
        let records = [Self.record(at: Self.noon + 5), Self.record(at: Self.noon + 6, .failed("snapshot not loaded"), cells: 0)]
        let data = try JSONEncoder().encode(records)
        #expect(try JSONDecoder().decode([AuditRecord].self, from: data) == records)
        let objects = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        #expect(objects[0]["reason"] is NSNull)
        #expect(objects[1]["outcome"] as? String == "failed" && objects[1]["reason"] as? String == "snapshot not loaded")
    }
}

/// `meshnode audit` as a site admin uses it: `--since` in its three forms, and the built
/// executable's table and JSON output.
@Suite struct AuditLogCommandTests {
    static let now = AuditRecord.date(milliseconds: AuditLogTests.noon)

    /// Each accepted form and the unix milliseconds it names, with `now` at noon.
    static let sinceForms: [(String, Int64)] = [
        ("2026-11-27T12:00:00Z", AuditLogTests.noon),
        ("2026-11-27T12:00:00.250Z", AuditLogTests.noon + 250),
        ("2026-11-27T13:30:00+01:30", AuditLogTests.noon),
        ("2026-11-27T07:00:00-05:00", AuditLogTests.noon),
        ("2026-11-27", AuditLogTests.noon - 12 * 3_600_000),
        ("2028-02-29", 1_835_395_200_000),
        ("45s", AuditLogTests.noon - 45_000),
        ("15m", AuditLogTests.noon - 15 * 60_000),
        ("2h", AuditLogTests.noon - 2 * 3_600_000),
        ("3d", AuditLogTests.noon - 3 * 86_400_000),
        ("0m", AuditLogTests.noon),
    ]

    @Test(arguments: sinceForms)
    func parsesSince(_ text: String, _ milliseconds: Int64) throws {
        #expect(AuditRecord.milliseconds(try AuditCommand.since(parsing: text, now: Self.now)) == milliseconds)
    }

    @Test(arguments: [
        "yesterday", "", "15", "15min", "-2h", "2h ", "1.5h", "2026-11-27T12:00:00", "2026-11-27 12:00:00Z", "2026-11-27T12:00Z",
        "2026-11-27T12:00:00Zjunk", " 2026-11-27", "2026-02-30", "2027-02-29", "2026-13-01", "2026-11-27T24:00:00Z", "27/11/2026",
    ])
    func refusesOtherSinceFormsNamingTheValue(_ text: String) {
        let error = #expect(throws: (any Error).self) { try AuditCommand.since(parsing: text, now: Self.now) }
        let message = error.map { "\($0)" } ?? ""
        #expect(message.contains("'\(text)'") && message.contains("2026-11-27T12:00:00Z") && message.contains("15m"), "\(message)")
    }

    @Test func printsTableForNoRecordsWithTheWindow() {
        #expect(AuditCommand.table([], since: nil) == "no audit records\n")
        #expect(AuditCommand.table([], since: Self.now) == "no audit records since 2026-11-27T12:00:00.000Z\n")
    }

    /// A node folder's configuration pointing at `site.sqlite` beside it; the certificate
    /// files are not read by `meshnode audit`.
    func nodeFolder() throws -> (TemporaryDirectory, config: String, database: String) {
        let directory = try TemporaryDirectory()
        let config = directory.file("node.yaml")
        try """
        node_id: hospital-a
        listen: 127.0.0.1:7400
        certificate: node.crt
        key: node.key
        ca: ca.crt
        database: site.sqlite
        """.write(toFile: config, atomically: true, encoding: .utf8)
        return (directory, config, directory.file("site.sqlite"))
    }

    @Test func theBinaryPrintsJSONAndTable() throws {
        let (directory, config, database) = try nodeFolder()
        defer { directory.remove() }
        let log = try AuditLog(path: database)
        let records = [
            AuditLogTests.record(at: AuditLogTests.noon),
            AuditLogTests.record(at: AuditLogTests.noon + 1_500, .refused("researcher dr-smith is not allowed here"), cells: 0),
            AuditLogTests.record(at: AuditLogTests.noon + 2_000, .failed("disk I/O error"), cells: 0, query: "SELECT COUNT(*)\nFROM cases"),
        ]
        for record in records { try log.append(record) }

        let json = try ProcessRunner.run(CACommandTests.meshnode, ["audit", "--config", config, "--format", "json"])
        #expect(json.status == 0, "\(json.combinedOutput)")
        let objects = try #require(try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [[String: Any]])
        #expect(objects.count == 3)
        #expect(objects.allSatisfy { Set($0.keys) == ["time", "query_id", "researcher", "origin", "outcome", "reason", "cells", "query"] })
        #expect(objects[0]["time"] as? String == "2026-11-27T12:00:00.000Z")
        #expect(objects[0]["query_id"] as? String == records[0].queryID)
        #expect(objects[0]["researcher"] as? String == "dr-smith" && objects[0]["origin"] as? String == "hospital-b")
        #expect(objects[0]["outcome"] as? String == "answered" && objects[0]["reason"] is NSNull)
        #expect(objects[0]["cells"] as? Int == 12)
        #expect(objects[0]["query"] as? String == records[0].query)
        #expect(objects[1]["time"] as? String == "2026-11-27T12:00:01.500Z")
        #expect(objects[1]["outcome"] as? String == "refused" && objects[1]["reason"] as? String == "researcher dr-smith is not allowed here")
        #expect(objects[2]["outcome"] as? String == "failed" && objects[2]["cells"] as? Int == 0)

        let since = try ProcessRunner.run(CACommandTests.meshnode, ["audit", "--config", config, "--format", "json", "--since", "2026-11-27T12:00:01.500Z"])
        #expect(since.status == 0, "\(since.combinedOutput)")
        #expect(try JSONDecoder().decode([AuditRecord].self, from: Data(since.standardOutput.utf8)) == Array(records[1...]))

        let table = try ProcessRunner.run(CACommandTests.meshnode, ["audit", "--config", config])
        #expect(table.status == 0, "\(table.combinedOutput)")
        let lines = table.standardOutput.split(separator: "\n")
        #expect(lines.count == 4, "\(table.standardOutput)")
        #expect(lines.first?.hasPrefix("time") == true && lines.first?.contains("query id") == true && lines.first?.hasSuffix("query") == true)
        #expect(lines[2].contains("refused: researcher dr-smith is not allowed here"))
        #expect(lines[3].hasPrefix("2026-11-27T12:00:02.000Z") && lines[3].hasSuffix("SELECT COUNT(*) FROM cases"))

        let empty = try ProcessRunner.run(CACommandTests.meshnode, ["audit", "--config", config, "--since", "2030-01-01"])
        #expect(empty.status == 0, "\(empty.combinedOutput)")
        #expect(empty.standardOutput == "no audit records since 2030-01-01T00:00:00.000Z\n")
    }

    @Test func theBinaryHandlesAFreshDatabaseAMissingOneAndABadSince() throws {
        let (directory, config, database) = try nodeFolder()
        defer { directory.remove() }

        let missing = try ProcessRunner.run(CACommandTests.meshnode, ["audit", "--config", config])
        #expect(missing.status != 0)
        #expect(missing.standardError.contains(database), "\(missing.combinedOutput)")
        #expect(!FileManager.default.fileExists(atPath: database))

        // Imported site data, no query yet: no records, and the reader adds no table.
        let csv = directory.file("site.csv")
        try SiteImportTests.good.write(toFile: csv, atomically: true, encoding: .utf8)
        let imported = try ProcessRunner.run(CACommandTests.meshnode, ["import", "--db", database, "--csv", csv])
        #expect(imported.status == 0, "\(imported.combinedOutput)")
        let fresh = try ProcessRunner.run(CACommandTests.meshnode, ["audit", "--config", config])
        #expect(fresh.status == 0, "\(fresh.combinedOutput)")
        #expect(fresh.standardOutput == "no audit records\n")
        let freshJSON = try ProcessRunner.run(CACommandTests.meshnode, ["audit", "--config", config, "--format", "json"])
        #expect(freshJSON.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) == "[]", "\(freshJSON.combinedOutput)")
        #expect(try DatabaseQueue(path: database).read { db in try db.tableExists("oncomesh_audit") } == false)

        // Records survive `meshnode import` replacing the site data.
        try AuditLog(path: database).append(AuditLogTests.record(at: AuditLogTests.noon))
        let reimported = try ProcessRunner.run(CACommandTests.meshnode, ["import", "--db", database, "--csv", csv])
        #expect(reimported.status == 0, "\(reimported.combinedOutput)")
        let after = try ProcessRunner.run(CACommandTests.meshnode, ["audit", "--config", config, "--format", "json"])
        #expect(try JSONDecoder().decode([AuditRecord].self, from: Data(after.standardOutput.utf8)) == [AuditLogTests.record(at: AuditLogTests.noon)])

        let bad = try ProcessRunner.run(CACommandTests.meshnode, ["audit", "--config", config, "--since", "last-tuesday"])
        #expect(bad.status != 0)
        #expect(bad.standardError.contains("'last-tuesday'") && bad.standardError.contains("3d"), "\(bad.combinedOutput)")
    }
}
