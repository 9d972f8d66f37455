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
            time: UnixMilliseconds.date(milliseconds),
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
        #expect(try log.records(since: UnixMilliseconds.date(Self.noon + 1_000)) == Array(records[1...]))
        #expect(try log.records(since: UnixMilliseconds.date(Self.noon + 1_001)) == Array(records[2...]))
        #expect(try log.records(since: UnixMilliseconds.date(Self.noon + 10_000)).isEmpty)
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

    /// The JSON names the stored millisecond exactly (ISO8601Time, tested in MeshCoreTests).
    @Test func encodesTheStoredMillisecondExactly() throws {
        for milliseconds in stride(from: Self.noon, to: Self.noon + 1_000, by: 7) {
            let record = Self.record(at: milliseconds)
            #expect(record.timeMilliseconds == milliseconds)
            let objects = try #require(try JSONSerialization.jsonObject(with: try JSONEncoder().encode([record])) as? [[String: Any]])
            #expect(objects[0]["time"] as? String == ISO8601Time.text(milliseconds: milliseconds))
        }
        let object = try #require(try JSONSerialization.jsonObject(with: try JSONEncoder().encode([Self.record(at: Self.noon + 123)])) as? [[String: Any]])
        #expect(object[0]["time"] as? String == "2026-11-27T12:00:00.123Z")
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
    static let now = UnixMilliseconds.date(AuditLogTests.noon)

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
        #expect(UnixMilliseconds.from(try AuditCommand.since(parsing: text, now: Self.now)) == milliseconds)
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

    /// Text that starts like a date is told what is wrong with it as a date.
    @Test(arguments: [
        ("2026-02-30", "day 30 does not exist in 2026-02"), ("2026-13-01", "month 13"), ("2026-11-27T24:00:00Z", "not a time of day"),
        ("2026-11-27T12:00Z", "not in the form"),
    ])
    func saysWhatIsWrongWithADate(_ text: String, _ reason: String) {
        let error = #expect(throws: (any Error).self) { try AuditCommand.since(parsing: text, now: Self.now) }
        #expect("\(error.map { "\($0)" } ?? "")".contains(reason), "\(String(describing: error))")
    }

    @Test func printsTableForNoRecordsWithTheWindow() {
        #expect(AuditCommand.table([], since: nil) == "no audit records\n")
        #expect(AuditCommand.table([], since: Self.now) == "no audit records since 2026-11-27T12:00:00.000Z\n")
    }

    /// A node folder's configuration pointing at `site.sqlite` beside it; the certificate
    /// files are not read by `meshnode audit`.
    func nodeFolder() throws -> (TemporaryDirectory, config: String, database: String) {
        try MinimalNodeConfig.folder()
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
        #expect(
            objects.allSatisfy {
                Set($0.keys) == ["time", "kind", "query_id", "researcher", "origin", "outcome", "reason", "k", "table_digest", "cells", "query", "researcher_signature"]
            }
        )
        #expect(objects.allSatisfy { $0["kind"] as? String == "plan" && $0["k"] is NSNull && $0["table_digest"] is NSNull })
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
        #expect(lines.first?.contains("kind") == true && lines[1].contains(" plan "))
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

/// The hash chain over the audit table: what each row's hash covers, that `verify()` names the
/// first edited, deleted or reordered row, that a table written before chaining is chained
/// when the node opens it, and origin submission records.
@Suite struct AuditChainTests {
    static let noon = AuditLogTests.noon

    /// Five records of both kinds and every outcome, appended to a fresh log.
    static let records: [AuditRecord] = [
        AuditLogTests.record(at: noon),
        AuditLogTests.record(at: noon + 1_000, .refused("too many cells"), cells: 0),
        AuditRecord(
            time: UnixMilliseconds.date(noon + 2_000), queryID: String(repeating: "ab", count: 16), researcher: "alice", origin: "hospital-a",
            query: "SELECT COUNT(DISTINCT subject_id) FROM cases", outcome: .released(k: 10, tableDigest: AuditRecord.tableDigest(of: "{}")), cellCount: 4,
            kind: .submission
        ),
        AuditRecord(
            time: UnixMilliseconds.date(noon + 3_000), queryID: "-", researcher: "alice", origin: "hospital-a", query: "SELECT nonsense",
            outcome: .refused("unknown column 'nonsense'"), cellCount: 0, kind: .submission
        ),
        AuditLogTests.record(at: noon + 4_000, .failed("disk I/O error"), cells: 0),
    ]

    static func chainedLog() throws -> (TemporaryDirectory, log: AuditLog, database: String) {
        let directory = try TemporaryDirectory()
        let database = directory.file("site.sqlite")
        let log = try AuditLog(path: database)
        for record in records { try log.append(record) }
        return (directory, log, database)
    }

    static func hashes(_ database: String) throws -> [(id: Int64, previous: String, hash: String)] {
        try DatabaseQueue(path: database).read { db in
            try Row.fetchAll(db, sql: "SELECT id, prev_hash, hash FROM oncomesh_audit ORDER BY id").map { ($0["id"], $0["prev_hash"], $0["hash"]) }
        }
    }

    static func brokenRecord(_ verification: AuditVerification) -> (id: Int64, reason: String)? {
        if case .broken(let id, let reason) = verification { (id, reason) } else { nil }
    }

    @Test func appendedRecordsFormAnIntactChain() throws {
        let (directory, log, database) = try Self.chainedLog()
        defer { directory.remove() }
        let rows = try Self.hashes(database)
        #expect(rows.map(\.id) == [1, 2, 3, 4, 5])
        #expect(rows[0].previous == String(repeating: "0", count: 64))
        for index in 1..<rows.count { #expect(rows[index].previous == rows[index - 1].hash) }
        #expect(rows.allSatisfy { $0.hash.wholeMatch(of: #/[0-9a-f]{64}/#) != nil })
        #expect(Set(rows.map(\.hash)).count == rows.count)
        #expect(try log.verify() == .intact(records: 5, head: rows[4].hash))
        // A reader verifies too, and so does a new appender that finds the chain as it is.
        #expect(try AuditLog(readingAt: database).verify() == .intact(records: 5, head: rows[4].hash))
        #expect(try AuditLog(path: database).verify() == .intact(records: 5, head: rows[4].hash))
        #expect(try log.records() == Self.records)
    }

    @Test func anEmptyLogIsIntactWithTheGenesisHead() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let genesis = String(repeating: "0", count: 64)
        #expect(try AuditLog(path: directory.file("site.sqlite")).verify() == .intact(records: 0, head: genesis))
        try DatabaseQueue(path: directory.file("other.sqlite")).write { db in try db.execute(sql: "CREATE TABLE cases (subject_id TEXT)") }
        #expect(try AuditLog(readingAt: directory.file("other.sqlite")).verify() == .intact(records: 0, head: genesis))
    }

    /// The first row's hash, recomputed with openssl from the documented encoding: the
    /// previous hash's 32 bytes, then the field count and each field as a type tag and its
    /// value (integers 8 bytes big-endian, text length-prefixed).
    @Test func theHashIsSHA256OfThePreviousHashAndTheLengthPrefixedFields() throws {
        let (directory, _, database) = try Self.chainedLog()
        defer { directory.remove() }
        func integer(_ value: Int64) -> [UInt8] { [1] + (0..<8).reversed().map { UInt8(truncatingIfNeeded: UInt64(bitPattern: value) >> UInt64($0 * 8)) } }
        func text(_ value: String) -> [UInt8] { [3] + integer(Int64(value.utf8.count)).dropFirst() + Array(value.utf8) }
        let first = Self.records[0]
        var bytes = [UInt8](repeating: 0, count: 32) + integer(13).dropFirst()
        bytes += integer(1) + integer(Self.noon) + text("plan") + text(first.queryID) + text(first.researcher) + text(first.origin) + text(first.query)
        bytes += text("answered") + [0] + integer(12) + [0] + [0] + [0]
        let digest = try ProcessRunner.run("openssl", ["dgst", "-sha256", "-r"], input: Data(bytes))
        #expect(digest.status == 0, "\(digest.combinedOutput)")
        let stored = try Self.hashes(database)[0].hash
        #expect(digest.standardOutput.prefix(64) == stored)
    }

    @Test func theEncodingIsUnambiguous() {
        let split = AuditChain.encoding(of: ["ab".databaseValue, "c".databaseValue])
        #expect(split != AuditChain.encoding(of: ["a".databaseValue, "bc".databaseValue]))
        #expect(AuditChain.encoding(of: [1.databaseValue]) != AuditChain.encoding(of: ["1".databaseValue]))
        #expect(AuditChain.encoding(of: [DatabaseValue.null]) != AuditChain.encoding(of: ["".databaseValue]))
        #expect(AuditChain.encoding(of: ["".databaseValue]) != AuditChain.encoding(of: ["".databaseValue, "".databaseValue]))
    }

    @Test func namesAnEditedRecord() throws {
        let (directory, log, database) = try Self.chainedLog()
        defer { directory.remove() }
        try DatabaseQueue(path: database).write { db in
            try db.execute(sql: "UPDATE oncomesh_audit SET query = 'SELECT COUNT(*) FROM cases' WHERE id = 3")
        }
        let broken = try #require(Self.brokenRecord(try log.verify()))
        #expect(broken.id == 3)
        #expect(broken.reason == "record 3: its content does not match its hash (edited after it was written)")
    }

    /// The same bytes stored as a blob instead of text are an edit too.
    @Test func namesAnEditThatOnlyChangesAValuesStorageType() throws {
        let (directory, log, database) = try Self.chainedLog()
        defer { directory.remove() }
        try DatabaseQueue(path: database).write { db in try db.execute(sql: "UPDATE oncomesh_audit SET query = CAST(query AS BLOB) WHERE id = 2") }
        #expect(Self.brokenRecord(try log.verify())?.id == 2)
    }

    @Test func namesTheRecordAfterADeletedOne() throws {
        let (directory, log, database) = try Self.chainedLog()
        defer { directory.remove() }
        try DatabaseQueue(path: database).write { db in try db.execute(sql: "DELETE FROM oncomesh_audit WHERE id = 3") }
        let broken = try #require(Self.brokenRecord(try log.verify()))
        #expect(broken.id == 4)
        #expect(broken.reason == "record 4: the record before it is missing (expected id 3; deleted)")
    }

    @Test func namesAFirstRecordThatDoesNotStartTheChain() throws {
        let (directory, log, database) = try Self.chainedLog()
        defer { directory.remove() }
        try DatabaseQueue(path: database).write { db in try db.execute(sql: "DELETE FROM oncomesh_audit WHERE id <= 2") }
        let broken = try #require(Self.brokenRecord(try log.verify()))
        #expect(broken.id == 3 && broken.reason.contains("first record but does not start the chain"), "\(broken)")
    }

    @Test func namesTheFirstOfTwoSwappedRecords() throws {
        let (directory, log, database) = try Self.chainedLog()
        defer { directory.remove() }
        let columns = ["time_ms", "kind", "query_id", "researcher", "origin", "query", "outcome", "reason", "cells", "k", "table_digest", "prev_hash", "hash"]
        try DatabaseQueue(path: database).write { db in
            let rows = try Row.fetchAll(db, sql: "SELECT \(columns.joined(separator: ", ")) FROM oncomesh_audit WHERE id IN (2, 3) ORDER BY id")
            let assignments = columns.map { "\($0) = ?" }.joined(separator: ", ")
            for (id, source) in [(2, rows[1]), (3, rows[0])] {
                try db.execute(
                    sql: "UPDATE oncomesh_audit SET \(assignments) WHERE id = ?",
                    arguments: StatementArguments(columns.map { source[$0] as DatabaseValue } + [id.databaseValue])
                )
            }
        }
        let broken = try #require(Self.brokenRecord(try log.verify()))
        #expect(broken.id == 2)
        #expect(broken.reason == "record 2: it does not follow record 1 in the chain (reordered, or one of the two replaced)")
    }

    /// Documents the limit: deleting the newest rows shows only while SQLite's AUTOINCREMENT
    /// counter remembers them; whoever also lowers the counter leaves a consistent chain.
    @Test func noticesDeletedNewestRecordsOnlyWhileTheCounterRemembersThem() throws {
        let (directory, log, database) = try Self.chainedLog()
        defer { directory.remove() }
        let head = try Self.hashes(database)[2].hash
        try DatabaseQueue(path: database).write { db in try db.execute(sql: "DELETE FROM oncomesh_audit WHERE id >= 4") }
        let broken = try #require(Self.brokenRecord(try log.verify()))
        #expect(broken.id == 4 && broken.reason.contains("records 4 to 5 are missing"), "\(broken)")
        try DatabaseQueue(path: database).write { db in try db.execute(sql: "UPDATE sqlite_sequence SET seq = 3 WHERE name = 'oncomesh_audit'") }
        #expect(try log.verify() == .intact(records: 3, head: head))
    }

    @Test func concurrentAppendsKeepTheChain() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let database = directory.file("site.sqlite")
        // Two connections on one file (as the node and a second process would be), each
        // appended to from several tasks at once.
        let logs = [try AuditLog(path: database), try AuditLog(path: database)]
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<40 {
                group.addTask { try logs[index % 2].append(AuditLogTests.record(at: Self.noon + Int64(index))) }
            }
            try await group.waitForAll()
        }
        let verification = try logs[0].verify()
        guard case .intact(let records, _) = verification else {
            Issue.record("\(verification)")
            return
        }
        #expect(records == 40)
    }

    @Test func storesSubmissionRecordsWithKAndTheTableDigest() throws {
        let (directory, log, database) = try Self.chainedLog()
        defer { directory.remove() }
        #expect(AuditRecord.tableDigest(of: "abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let rows = try DatabaseQueue(path: database).read { db in
            try Row.fetchAll(db, sql: "SELECT kind, query_id, outcome, reason, k, table_digest FROM oncomesh_audit WHERE id IN (3, 4) ORDER BY id")
        }
        #expect(rows[0]["kind"] as String == "submission" && rows[0]["outcome"] as String == "released")
        #expect(rows[0]["k"] as Int? == 10 && rows[0]["table_digest"] as String? == AuditRecord.tableDigest(of: "{}"))
        #expect(rows[0]["reason"] as String? == nil)
        #expect(rows[1]["query_id"] as String == "-" && rows[1]["outcome"] as String == "refused" && rows[1]["k"] as Int? == nil)
        // Records without a kind are plans: the existing call sites and old JSON.
        #expect(try log.records().map(\.kind) == [.plan, .plan, .submission, .submission, .plan])
        let data = try JSONEncoder().encode(Self.records)
        #expect(try JSONDecoder().decode([AuditRecord].self, from: data) == Self.records)
        let objects = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        #expect(objects[2]["kind"] as? String == "submission" && objects[2]["outcome"] as? String == "released")
        #expect(objects[2]["k"] as? Int == 10 && objects[2]["table_digest"] as? String == AuditRecord.tableDigest(of: "{}"))
        #expect(objects[2]["reason"] is NSNull)
        let old = #"[{"time":"2026-11-27T12:00:00.000Z","query_id":"x","researcher":"r","origin":"o","outcome":"answered","reason":null,"cells":1,"query":"q"}]"#
        #expect(try JSONDecoder().decode([AuditRecord].self, from: Data(old.utf8)).first?.kind == .plan)
        // The table shows k and the digest in the outcome column.
        let table = AuditCommand.table(Self.records, since: nil)
        #expect(table.contains("released: k=10, table sha256 \(AuditRecord.tableDigest(of: "{}"))"), "\(table)")
        #expect(table.split(separator: "\n")[4].contains("submission  -  "), "\(table)")
        // A released outcome without k is not stored.
        #expect(throws: (any Error).self) {
            try DatabaseQueue(path: database).write { db in try db.execute(sql: "UPDATE oncomesh_audit SET k = NULL WHERE id = 3") }
        }
    }

    /// The table as the version before chaining created it.
    static let unchainedSchema = """
        CREATE TABLE IF NOT EXISTS oncomesh_audit (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            time_ms INTEGER NOT NULL,
            query_id TEXT NOT NULL,
            researcher TEXT NOT NULL,
            origin TEXT NOT NULL,
            query TEXT NOT NULL,
            outcome TEXT NOT NULL CHECK (outcome IN ('answered', 'refused', 'failed')),
            reason TEXT,
            cells INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS oncomesh_audit_time ON oncomesh_audit (time_ms);
        """

    /// A database with the unchained table and the first three of `records` (all plans).
    static func unchainedDatabase(in directory: TemporaryDirectory) throws -> (database: String, records: [AuditRecord]) {
        let database = directory.file("site.sqlite")
        let old = [records[0], records[1], records[4]]
        try DatabaseQueue(path: database).write { db in
            try db.execute(sql: unchainedSchema)
            for record in old {
                try db.execute(
                    sql: "INSERT INTO oncomesh_audit (time_ms, query_id, researcher, origin, query, outcome, reason, cells) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    arguments: [
                        record.timeMilliseconds, record.queryID, record.researcher, record.origin, record.query, record.outcome.name, record.outcome.reason,
                        record.cellCount,
                    ]
                )
            }
        }
        return (database, old)
    }

    @Test func chainsATableWrittenBeforeChainingWhenOpenedForAppending() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (database, old) = try Self.unchainedDatabase(in: directory)

        // A reader lists the old records, reports them unchained, and changes nothing.
        let reader = try AuditLog(readingAt: database)
        #expect(try reader.records() == old)
        #expect(try reader.verify() == .unchained(records: 3))
        #expect(try DatabaseQueue(path: database).read { db in try db.columns(in: "oncomesh_audit").map(\.name) }.contains("hash") == false)

        let log = try AuditLog(path: database)
        #expect(try log.records() == old)
        let rows = try Self.hashes(database)
        #expect(rows.map(\.id) == [1, 2, 3])
        #expect(try log.verify() == .intact(records: 3, head: rows[2].hash))
        #expect(try reader.verify() == .intact(records: 3, head: rows[2].hash))
        let indexes = try DatabaseQueue(path: database).read { db in try db.indexes(on: "oncomesh_audit") }
        #expect(indexes.contains { $0.columns == ["time_ms"] })
        #expect(try DatabaseQueue(path: database).read { db in try db.tableExists("oncomesh_audit_chaining") } == false)

        // Appending goes on after the old rows, including an outcome the old table refused.
        var released = Self.records[2]
        released.time = UnixMilliseconds.date(Self.noon + 5_000)
        try log.append(released)
        #expect(try Self.hashes(database).map(\.id) == [1, 2, 3, 4])
        #expect(try log.records() == old + [released])
        guard case .intact(records: 4, _) = try log.verify() else {
            Issue.record("\(try log.verify())")
            return
        }
        // Opening it again changes nothing.
        let head = try Self.hashes(database)[3].hash
        #expect(try AuditLog(path: database).verify() == .intact(records: 4, head: head))
    }

    @Test func chainingKeepsIdsAndTheAutoincrementCounter() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (database, _) = try Self.unchainedDatabase(in: directory)
        // Before chaining someone deleted the newest row: ids are never reused, and the
        // chain reports it once a new row shows the gap.
        try DatabaseQueue(path: database).write { db in try db.execute(sql: "DELETE FROM oncomesh_audit WHERE id = 3") }
        let log = try AuditLog(path: database)
        #expect(try Self.hashes(database).map(\.id) == [1, 2])
        #expect(Self.brokenRecord(try log.verify())?.id == 3)
        try log.append(Self.records[2])
        #expect(try Self.hashes(database).map(\.id) == [1, 2, 4])
        let broken = try #require(Self.brokenRecord(try log.verify()))
        #expect(broken.id == 4 && broken.reason.contains("expected id 3"), "\(broken)")
    }
}

/// `meshnode audit verify` and `meshnode audit show` through the built executable.
@Suite struct AuditVerifyCommandTests {
    @Test func theBinaryVerifiesAnIntactLogAndNamesAnEditedRecord() throws {
        let (directory, config, database) = try AuditLogCommandTests().nodeFolder()
        defer { directory.remove() }
        let log = try AuditLog(path: database)
        for record in AuditChainTests.records { try log.append(record) }
        let head = try AuditChainTests.hashes(database)[4].hash

        let intact = try ProcessRunner.run(CACommandTests.meshnode, ["audit", "verify", "--config", config])
        #expect(intact.status == 0, "\(intact.combinedOutput)")
        #expect(intact.standardOutput == "audit log of hospital-a intact: 5 records, chain head \(head)\n")

        // `show` is the default subcommand, and can be named.
        let shown = try ProcessRunner.run(CACommandTests.meshnode, ["audit", "show", "--config", config, "--format", "json"])
        #expect(shown.status == 0, "\(shown.combinedOutput)")
        let objects = try #require(try JSONSerialization.jsonObject(with: Data(shown.standardOutput.utf8)) as? [[String: Any]])
        #expect(objects[2]["k"] as? Int == 10 && objects[2]["table_digest"] as? String == AuditRecord.tableDigest(of: "{}"))
        #expect(objects[2]["kind"] as? String == "submission" && objects[3]["query_id"] as? String == "-")

        try DatabaseQueue(path: database).write { db in try db.execute(sql: "UPDATE oncomesh_audit SET researcher = 'mallory' WHERE id = 2") }
        let edited = try ProcessRunner.run(CACommandTests.meshnode, ["audit", "verify", "--config", config])
        #expect(edited.status == 1, "\(edited.combinedOutput)")
        #expect(
            edited.standardError.contains("audit log of hospital-a broken at record 2: its content does not match its hash (edited after it was written)"),
            "\(edited.combinedOutput)"
        )
        #expect(edited.standardOutput.isEmpty)
    }

    @Test func theBinaryReportsAnUnchainedLogAndAMissingDatabase() throws {
        let (directory, config, database) = try AuditLogCommandTests().nodeFolder()
        defer { directory.remove() }
        let missing = try ProcessRunner.run(CACommandTests.meshnode, ["audit", "verify", "--config", config])
        #expect(missing.status != 0 && missing.standardError.contains(database), "\(missing.combinedOutput)")

        _ = try AuditChainTests.unchainedDatabase(in: directory)
        let unchained = try ProcessRunner.run(CACommandTests.meshnode, ["audit", "verify", "--config", config])
        #expect(unchained.status == 1, "\(unchained.combinedOutput)")
        #expect(unchained.standardError.contains("unchained (written before hash chaining)"), "\(unchained.combinedOutput)")
        #expect(unchained.standardError.contains("open it with the node once to chain it"), "\(unchained.combinedOutput)")
        // `show` still lists the old records.
        let shown = try ProcessRunner.run(CACommandTests.meshnode, ["audit", "--config", config, "--format", "json"])
        #expect(shown.status == 0, "\(shown.combinedOutput)")
        #expect(try JSONDecoder().decode([AuditRecord].self, from: Data(shown.standardOutput.utf8)).count == 3)
    }
}
