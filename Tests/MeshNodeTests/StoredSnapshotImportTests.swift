@testable import Aggregation
import Foundation
import GRDB
import MeshCore
import SyntheticData
import TestSupport
import Testing

@testable import MeshNode

/// The snapshot an import stores beside the `cases` table: a node loads it instead of the
/// rows, gets the same snapshot and keys as from the rows, and falls back to the rows when
/// the stored one is missing, stale or damaged; a failed import leaves both as they were.
@Suite struct StoredSnapshotImportTests {
    static let keyer = RecordKeyer(secret: (0..<RecordKeyer.secretByteCount).map { UInt8($0 ^ 0x5a) })

    /// A synthetic site's CSV with a few rows moved out of subject order and one study repeated.
    static func csv(subjects: Int = 200) -> String {
        var bytes: [UInt8] = []
        SyntheticCases(profile: .general, subjects: subjects, seed: 11).writeCSV { bytes += $0 }
        var lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
        lines.swapAt(3, lines.count - 2)
        lines.append(lines[5])
        return lines.joined(separator: "\n") + "\n"
    }

    func imported(_ csv: String, in directory: TemporaryDirectory) throws -> SiteStore {
        let path = directory.file("site.csv")
        try csv.write(toFile: path, atomically: true, encoding: .utf8)
        let store = try SiteStore(path: directory.file("site.sqlite"))
        _ = try store.replaceCases(
            with: try SiteImporter(schema: .reference).validate(csvAt: path), schema: .reference, schemaYAML: Schema.referenceYAML, sourceFile: path
        )
        return store
    }

    /// Columns, subjects and keys, compared through the stored encoding plus the keys.
    func same(_ a: ColumnarSnapshot, _ b: ColumnarSnapshot) -> Bool {
        let pseudonyms = (0..<a.subjectCount).map { "s\($0)" }
        return a.subjectKeys == b.subjectKeys && a.studyKeys == b.studyKeys
            && StoredSnapshot(snapshot: a, pseudonyms: pseudonyms).encoded() == StoredSnapshot(snapshot: b, pseudonyms: pseudonyms).encoded()
    }

    func execute(_ sql: String, on store: SiteStore) throws {
        try DatabaseQueue(path: store.path).write { db in try db.execute(sql: sql) }
    }

    @Test func aNodeLoadsTheStoredSnapshotAndItEqualsTheOneFromTheRows() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try imported(Self.csv(), in: directory)
        let (stored, source) = try store.loadSnapshotReportingSource(keyer: Self.keyer)
        #expect(source == .stored)
        try execute("DELETE FROM oncomesh_snapshot", on: store)
        let (rebuilt, fallback) = try store.loadSnapshotReportingSource(keyer: Self.keyer)
        guard case .table = fallback else { Issue.record("expected a rebuild from the table, got \(fallback)"); return }
        #expect(same(stored, rebuilt))
        #expect(stored.subjectKeys.contains { $0 != 0 })
        // Without a keyer (local queries) every key is zero, as before.
        #expect(try store.loadSnapshot().studyKeys.allSatisfy { $0 == 0 })
    }

    /// The table is for inspection, but an edit of it must not leave a node serving other data.
    @Test func editingTheTableMakesTheNextLoadRebuildFromIt() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try imported(Self.csv(subjects: 30), in: directory)
        let before = try store.loadSnapshot()
        try execute("DELETE FROM cases WHERE rowid IN (SELECT rowid FROM cases LIMIT 3)", on: store)
        let (after, source) = try store.loadSnapshotReportingSource()
        #expect(source == .table(reason: "the stored snapshot is missing or of another import (the table was changed since the import)"))
        #expect(after.rowCount == before.rowCount - 3)
    }

    @Test func aDamagedStoredSnapshotIsRebuiltFromTheTableWithTheReason() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try imported(Self.csv(subjects: 30), in: directory)
        let good = try store.loadSnapshot(keyer: Self.keyer)
        try DatabaseQueue(path: store.path).write { db in
            var bytes = [UInt8](try Data.fetchOne(db, sql: "SELECT encoding FROM oncomesh_snapshot")!)
            bytes[bytes.count / 2] ^= 0x01
            try db.execute(sql: "UPDATE oncomesh_snapshot SET encoding = ?", arguments: [Data(bytes)])
        }
        let (loaded, source) = try store.loadSnapshotReportingSource(keyer: Self.keyer)
        #expect(source == .table(reason: "the stored snapshot's checksum does not match its content (damaged)"))
        #expect(same(loaded, good))
    }

    /// A database imported before snapshots were stored still loads, from its rows.
    @Test func aDatabaseWithoutAStoredSnapshotLoadsFromItsRows() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try imported(Self.csv(subjects: 30), in: directory)
        try execute("DROP TABLE oncomesh_snapshot", on: store)
        let (loaded, source) = try store.loadSnapshotReportingSource()
        #expect(source == .table(reason: "the database holds no stored snapshot (imported by an older version)"))
        #expect(loaded.subjectCount == 30)
    }

    /// A failure inside the import's transaction (here in the importer's own extra writes,
    /// after the rows and the snapshot were written) rolls back both.
    @Test func aFailedImportLeavesThePreviousDataAndSnapshot() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try imported(Self.csv(subjects: 30), in: directory)
        let importID = try store.importID()
        let snapshot = try DatabaseQueue(path: store.path).read { db in try Data.fetchOne(db, sql: "SELECT encoding FROM oncomesh_snapshot") }
        let other = directory.file("other.csv")
        try Self.csv(subjects: 50).write(toFile: other, atomically: true, encoding: .utf8)
        struct Refused: Error {}
        #expect(throws: SiteStore.StoreError.self) {
            try store.replaceCases(
                with: try SiteImporter(schema: .reference).validate(csvAt: other), schema: .reference, schemaYAML: Schema.referenceYAML, sourceFile: other
            ) { _ in throw Refused() }
        }
        #expect(try store.importID() == importID)
        #expect(try DatabaseQueue(path: store.path).read { db in try Data.fetchOne(db, sql: "SELECT encoding FROM oncomesh_snapshot") } == snapshot)
        let (loaded, source) = try store.loadSnapshotReportingSource()
        #expect(source == .stored && loaded.subjectCount == 30)
    }

    /// Rows given one by one (importers other than the CSV's) are coded when written, and
    /// give the same table and snapshot as the same rows from a CSV.
    @Test func rowsAppendedOneByOneStoreTheSameAsTheCSV() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let csvStore = try imported(Self.csv(subjects: 20), in: directory)
        let fromCSV = try SiteImporter(schema: .reference).validate(csvAt: directory.file("site.csv"))
        var appended = SiteImporter.ValidatedRows()
        for (subject, values) in zip(fromCSV.subjects, fromCSV.values) { appended.append(subject: subject, values: values) }
        #expect(appended.count == fromCSV.count && appended.values == fromCSV.values)

        let other = try SiteStore(path: directory.file("appended.sqlite"))
        _ = try other.replaceCases(with: appended, schema: .reference, schemaYAML: Schema.referenceYAML, sourceFile: "rows")
        #expect(same(try other.loadSnapshot(keyer: Self.keyer), try csvStore.loadSnapshot(keyer: Self.keyer)))
        let dump = { (path: String) in try DatabaseQueue(path: path).read { db in try Row.fetchAll(db, sql: "SELECT * FROM cases ORDER BY rowid") } }
        #expect(try dump(other.path) == dump(csvStore.path))

        var wrong = SiteImporter.ValidatedRows()
        wrong.append(subject: "S1", values: fromCSV.values[0].enumerated().map { $0.offset == 1 ? .code("Q") : $0.element })
        #expect(throws: SiteStore.StoreError.self) { try other.replaceCases(with: wrong, schema: .reference, schemaYAML: Schema.referenceYAML, sourceFile: "rows") }
    }

    /// Fields the byte-level checks do not decide (spaces, quotes, CRLF, "NULL", a sign, a
    /// non-breaking space) give the values the text rules give.
    @Test func unusualButValidFieldsImportAsBefore() throws {
        let csv = SiteImportTests.header + "\r\n"
            + " S1 ,\"M\",+67.5 ,C61,II,MR,PROSTATE,SIEMENS,2021,NULL,120\r\n"
            + "S1,M,67.50,C61,II,\"PT\",WHOLEBODY,GE,2022, 3 ,400\r\n"
            + "\u{00A0}S2\u{00A0},F,54,C50,I,MG,BREAST,HOLOGIC,2020,,4\r\n"
        let rows = try SiteImporter(schema: .reference).validate(data: Data(csv.utf8), file: "odd.csv")
        #expect(rows.subjects == ["S1", "S1", "S2"])
        let values = rows.values
        #expect(values[0][2] == .number(675) && values[1][2] == .number(675))
        #expect(values[0][9] == .null && values[1][9] == .number(300))
        #expect(values[1][5] == .code("PT"))
    }
}
