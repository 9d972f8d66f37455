import Aggregation
import Foundation
import GRDB
import GRDBSQLite
import MeshCore

/// The site's own database (SQLite through GRDB): the `cases` table as last imported, the
/// schema it was validated against, and the snapshot of the same rows (`oncomesh_snapshot`).
///
/// An import replaces the table, the schema and the snapshot in one transaction: SQLite's
/// atomic commit means a crash or a failed import leaves the previous data and snapshot
/// exactly as they were.
///
/// The snapshot is what a node serves; it is stored so that a node starts by decoding one
/// BLOB instead of reading every row back through SQL. The table stays for people: operators
/// inspect their data with any SQLite tool. It is not meant to be edited (a re-import is how
/// data changes), but if it is, triggers drop the stored snapshot and the next start
/// rebuilds it from the table, so a node never serves data that differ from the table.
struct SiteStore {
    let path: String
    private let queue: DatabaseQueue

    struct StoreError: Error, CustomStringConvertible {
        let description: String
    }

    init(path: String) throws(StoreError) {
        self.path = path
        do {
            var configuration = Configuration()
            configuration.busyMode = .timeout(10)
            queue = try DatabaseQueue(path: path, configuration: configuration)
        } catch {
            throw StoreError(description: "cannot open the site database '\(path)': \(error)")
        }
    }

    struct ImportSummary {
        let rows: Int
        let subjects: Int
        let replacedRows: Int?
    }

    /// Replaces the site's data with `rows`, which the importer has already validated: the
    /// table, the schema and the stored snapshot, all in one transaction.
    ///
    /// - Parameter alsoWrite: more writes that must commit or roll back with the rows (an
    ///   imaging import's study table, ``ImagingStudyTable``), run inside the same transaction.
    func replaceCases(
        with rows: SiteImporter.ValidatedRows, schema: Schema, schemaYAML: String, sourceFile: String,
        alsoWrite: (Database) throws -> Void = { _ in }
    ) throws(StoreError) -> ImportSummary {
        let columns: SiteImporter.ValidatedRows.Columns
        do {
            columns = try rows.columns(for: schema)
        } catch {
            throw StoreError(description: "nothing was imported into '\(path)': \(error)")
        }
        let snapshot = ColumnarSnapshot.assemble(
            schema: schema, subjectOfRow: columns.subjectOfRow, subjectCount: columns.pseudonyms.count, codes: columns.codes, numbers: columns.numbers,
            nullRows: columns.nullRows
        )
        let encoding = StoredSnapshot(snapshot: snapshot, pseudonyms: columns.pseudonyms).encoded()
        let importID = UUID().uuidString
        do {
            return try queue.write { db in
                let table = schema.table.quotedDatabaseIdentifier
                let previous = try db.tableExists(schema.table) ? try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") : nil
                try db.execute(sql: "DROP TABLE IF EXISTS \(table)")
                let definitions = schema.attributes.map { attribute -> String in
                    let type: String
                    switch attribute.type {
                    case .key, .categorical: type = "TEXT"
                    case .numeric: type = "NUMERIC"
                    }
                    let constraint = attribute.nullable ? "" : " NOT NULL"
                    return "\(attribute.name.quotedDatabaseIdentifier) \(type)\(constraint)"
                }
                try db.execute(sql: "CREATE TABLE \(table) (\(definitions.joined(separator: ", ")))")
                try insertRows(columns, into: db)

                try db.execute(sql: "CREATE TABLE IF NOT EXISTS oncomesh_snapshot (import_id TEXT NOT NULL, encoding BLOB NOT NULL)")
                try db.execute(sql: "DELETE FROM oncomesh_snapshot")
                try db.execute(sql: "INSERT INTO oncomesh_snapshot (import_id, encoding) VALUES (?, ?)", arguments: [importID, Data(encoding)])
                // Dropping the table above dropped its triggers; they come back after the rows
                // are in, so the import's own inserts do not fire them.
                for event in ["INSERT", "UPDATE", "DELETE"] {
                    let trigger = "oncomesh_snapshot_stale_after_\(event.lowercased())_\(schema.table)".quotedDatabaseIdentifier
                    try db.execute(sql: "CREATE TRIGGER \(trigger) AFTER \(event) ON \(table) BEGIN DELETE FROM oncomesh_snapshot; END")
                }

                try db.execute(sql: "CREATE TABLE IF NOT EXISTS oncomesh_site (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
                let meta: [(String, String)] = [
                    ("schema_yaml", schemaYAML),
                    ("source_file", sourceFile),
                    ("imported_at", ISO8601Time.text(Date())),
                    // Changes with every import and only then: a running node watches it to
                    // re-publish its catalogue (the file's modification time also changes
                    // with every audit record).
                    ("import_id", importID),
                    ("rows", String(rows.count)),
                ]
                for (key, value) in meta {
                    try db.execute(sql: "INSERT OR REPLACE INTO oncomesh_site (key, value) VALUES (?, ?)", arguments: [key, value])
                }
                try alsoWrite(db)
                return ImportSummary(rows: rows.count, subjects: columns.pseudonyms.count, replacedRows: previous)
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(description: "import into '\(path)' failed and was rolled back; the previous data is unchanged: \(error)")
        }
    }

    /// Inserts every row with one prepared statement, binding values through SQLite's C
    /// interface: GRDB's `StatementArguments` box each value, which cost more than SQLite's
    /// own work for a million rows. Codes are bound from buffers made once per vocabulary.
    /// Numerics: integers stay integers; decimals are bound as the double nearest to their
    /// exact value (fixed point / 10^scale, one correctly rounded division, the same double
    /// as parsing the decimal text), which round-trips at the schema's scale.
    private func insertRows(_ columns: SiteImporter.ValidatedRows.Columns, into db: Database) throws {
        let schema = columns.schema
        let names = schema.attributes.map { $0.name.quotedDatabaseIdentifier }.joined(separator: ", ")
        let placeholders = Array(repeating: "?", count: schema.attributes.count).joined(separator: ", ")
        let insert = try db.makeStatement(sql: "INSERT INTO \(schema.table.quotedDatabaseIdentifier) (\(names)) VALUES (\(placeholders))")
        let statement = insert.sqliteStatement
        // SQLite copies a value bound with SQLITE_TRANSIENT (the C macro is not visible to Swift).
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        let codeTexts = schema.attributes.map { attribute in attribute.vocabulary.map { Array($0.utf8) } }
        let pseudonymUTF8 = columns.pseudonyms.map { Array($0.utf8) }
        var nullCursors = [Int](repeating: 0, count: schema.attributes.count)
        for row in 0..<columns.rowCount {
            for (position, kind) in columns.kinds.enumerated() {
                let parameter = Int32(position + 1)
                let result: Int32
                switch kind {
                case .key:
                    result = pseudonymUTF8[Int(columns.subjectOfRow[row])].withUnsafeBufferPointer { text in
                        sqlite3_bind_text(statement, parameter, UnsafeRawPointer(text.baseAddress!).assumingMemoryBound(to: CChar.self), Int32(text.count), transient)
                    }
                case .categorical:
                    let code = Int(columns.codes[position][row])
                    if code == 0 {
                        result = sqlite3_bind_null(statement, parameter)
                    } else {
                        result = codeTexts[position][code - 1].withUnsafeBufferPointer { text in
                            sqlite3_bind_text(statement, parameter, UnsafeRawPointer(text.baseAddress!).assumingMemoryBound(to: CChar.self), Int32(text.count), transient)
                        }
                    }
                case .numeric(let scale, let divisor):
                    let nulls = columns.nullRows[position]
                    if nullCursors[position] < nulls.count, nulls[nullCursors[position]] == row {
                        nullCursors[position] += 1
                        result = sqlite3_bind_null(statement, parameter)
                    } else if scale == 0 {
                        result = sqlite3_bind_int64(statement, parameter, columns.numbers[position][row])
                    } else {
                        result = sqlite3_bind_double(statement, parameter, Double(columns.numbers[position][row]) / divisor)
                    }
                }
                guard result == SQLITE_OK else { throw Self.sqliteError(db, "binding \(schema.attributes[position].name) of row \(row + 1)") }
            }
            guard sqlite3_step(statement) == SQLITE_DONE else { throw Self.sqliteError(db, "inserting row \(row + 1)") }
            sqlite3_reset(statement)
        }
    }

    private static func sqliteError(_ db: Database, _ doing: String) -> StoreError {
        StoreError(description: "\(doing): \(db.lastErrorMessage ?? "SQLite error \(db.lastErrorCode)")")
    }

    /// Reads from the site database in one read transaction, for importers that keep their
    /// own tables beside the site's data.
    func read<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try queue.read(body)
        } catch {
            throw StoreError(description: "cannot read '\(path)': \(error)")
        }
    }

    /// The identity of the last import, nil before the first.
    func importID() throws(StoreError) -> String? {
        do {
            return try queue.read { db in
                guard try db.tableExists("oncomesh_site") else { return nil }
                return try String.fetchOne(db, sql: "SELECT value FROM oncomesh_site WHERE key IN ('import_id', 'imported_at') ORDER BY key DESC LIMIT 1")
            }
        } catch {
            throw StoreError(description: "cannot read '\(path)': \(error)")
        }
    }

    /// The schema the current data was imported with.
    func schema() throws(StoreError) -> Schema {
        let yaml: String?
        do {
            yaml = try queue.read { db in
                guard try db.tableExists("oncomesh_site") else { return nil }
                return try String.fetchOne(db, sql: "SELECT value FROM oncomesh_site WHERE key = 'schema_yaml'")
            }
        } catch {
            throw StoreError(description: "cannot read '\(path)': \(error)")
        }
        guard let yaml else {
            throw StoreError(description: "'\(path)' holds no imported site data; run `meshnode import --db \(path) --csv FILE.csv` first")
        }
        do {
            return try Schema(yaml: yaml, source: "\(path) (stored schema)")
        } catch {
            throw StoreError(description: "\(error)")
        }
    }

    /// Loads the site's data as the columnar snapshot the executor queries: the stored
    /// snapshot when it is there and sound, else rebuilt from the `cases` table.
    ///
    /// - Parameter keyer: the node's record keys, for the noise of federated answers; nil for
    ///   the site's own exact local queries.
    func loadSnapshot(keyer: RecordKeyer? = nil) throws(StoreError) -> ColumnarSnapshot {
        try loadSnapshotReportingSource(keyer: keyer).snapshot
    }

    /// Where a loaded snapshot came from.
    enum SnapshotSource: Equatable {
        /// Decoded from `oncomesh_snapshot`, written by the same import as the table.
        case stored
        /// Rebuilt from the `cases` table, and why the stored one was not used (a database
        /// imported before snapshots were stored, a table edited since, a damaged or
        /// other-version encoding).
        case table(reason: String)
    }

    /// ``loadSnapshot(keyer:)``, also saying whether the stored snapshot was used.
    func loadSnapshotReportingSource(keyer: RecordKeyer? = nil) throws(StoreError) -> (snapshot: ColumnarSnapshot, source: SnapshotSource) {
        let schema = try schema()
        let encoding: Data?
        let missing: String
        do {
            (encoding, missing) = try queue.read { db in
                guard try db.tableExists("oncomesh_snapshot") else { return (nil, "the database holds no stored snapshot (imported by an older version)") }
                // The snapshot counts only if it was written by the import the metadata names.
                let row = try Row.fetchOne(
                    db,
                    sql: "SELECT encoding FROM oncomesh_snapshot WHERE import_id = (SELECT value FROM oncomesh_site WHERE key = 'import_id')"
                )
                return (row?["encoding"], "the stored snapshot is missing or of another import (the table was changed since the import)")
            }
        } catch {
            throw StoreError(description: "cannot read '\(path)': \(error)")
        }
        guard let encoding else {
            return (try rebuildSnapshot(schema: schema, keyer: keyer), .table(reason: missing))
        }
        let decoded = encoding.withUnsafeBytes { bytes in Result { () throws(StoredSnapshotError) in try StoredSnapshot(decoding: bytes, schema: schema) } }
        switch decoded {
        case .success(let stored):
            return (keyer.map { stored.keyed(by: $0) } ?? stored.snapshot, .stored)
        case .failure(let error):
            return (try rebuildSnapshot(schema: schema, keyer: keyer), .table(reason: error.description))
        }
    }

    /// The snapshot from the rows of the `cases` table: how every snapshot was loaded before
    /// snapshots were stored, and the fallback when the stored one cannot be used.
    private func rebuildSnapshot(schema: Schema, keyer: RecordKeyer?) throws(StoreError) -> ColumnarSnapshot {
        var builder = ColumnarSnapshotBuilder(schema: schema, keyer: keyer)
        let keyPosition = schema.attributes.firstIndex { $0.type == .key }!
        do {
            try queue.read { db in
                let columns = schema.attributes.map { $0.name.quotedDatabaseIdentifier }.joined(separator: ", ")
                let cursor = try Row.fetchCursor(db, sql: "SELECT \(columns) FROM \(schema.table.quotedDatabaseIdentifier)")
                var values = [ColumnarSnapshotBuilder.Value](repeating: .null, count: schema.attributes.count)
                while let row = try cursor.next() {
                    var subject = ""
                    for (position, attribute) in schema.attributes.enumerated() {
                        let stored: DatabaseValue = row[position]
                        if position == keyPosition {
                            subject = String.fromDatabaseValue(stored) ?? ""
                            continue
                        }
                        switch (attribute.type, stored.storage) {
                        case (_, .null):
                            values[position] = .null
                        case (.categorical, .string(let code)):
                            values[position] = .code(code)
                        case (.numeric, .int64(let integer)):
                            values[position] = .number(integer * attribute.scaleFactor)
                        case (.numeric, .double(let real)):
                            values[position] = .number(Int64((real * Double(attribute.scaleFactor)).rounded()))
                        default:
                            throw StoreError(description: "'\(path)': column \(attribute.name) holds \(stored), which does not fit the stored schema")
                        }
                    }
                    do {
                        try builder.append(subject: subject, values: values)
                    } catch {
                        throw StoreError(description: "'\(path)': \(error)")
                    }
                }
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(description: "cannot load '\(path)': \(error)")
        }
        return builder.build()
    }
}
