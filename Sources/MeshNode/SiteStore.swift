import Aggregation
import Foundation
import GRDB
import MeshCore

/// The site's own database (SQLite through GRDB): the `cases` table as last imported and
/// the schema it was validated against.
///
/// An import replaces the table in one transaction: SQLite's atomic commit means a crash
/// or a failed import leaves the previous data exactly as it was.
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

    /// Replaces the site's data with `rows`, which the importer has already validated.
    ///
    /// - Parameter alsoWithin: more writes that must commit or roll back with the rows (an
    ///   imaging import's study table), run inside the same transaction.
    func replaceCases(
        with rows: SiteImporter.ValidatedRows, schema: Schema, schemaYAML: String, sourceFile: String,
        alsoWithin: ((Database) throws -> Void)? = nil
    ) throws(StoreError) -> ImportSummary {
        do {
            return try queue.write { db in
                try alsoWithin?(db)
                let previous = try db.tableExists(schema.table) ? try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(schema.table.quotedDatabaseIdentifier)") : nil
                try db.execute(sql: "DROP TABLE IF EXISTS \(schema.table.quotedDatabaseIdentifier)")
                let columns = schema.attributes.map { attribute -> String in
                    let type: String
                    switch attribute.type {
                    case .key, .categorical: type = "TEXT"
                    case .numeric: type = "NUMERIC"
                    }
                    let constraint = attribute.nullable ? "" : " NOT NULL"
                    return "\(attribute.name.quotedDatabaseIdentifier) \(type)\(constraint)"
                }
                try db.execute(sql: "CREATE TABLE \(schema.table.quotedDatabaseIdentifier) (\(columns.joined(separator: ", ")))")
                let placeholders = Array(repeating: "?", count: schema.attributes.count).joined(separator: ", ")
                let insert = try db.makeStatement(
                    sql: "INSERT INTO \(schema.table.quotedDatabaseIdentifier) (\(schema.attributes.map { $0.name.quotedDatabaseIdentifier }.joined(separator: ", "))) VALUES (\(placeholders))"
                )
                let keyPosition = schema.attributes.firstIndex { $0.type == .key }!
                var arguments = [(any DatabaseValueConvertible)?](repeating: nil, count: schema.attributes.count)
                for row in 0..<rows.count {
                    let values = rows.values[row]
                    for (position, attribute) in schema.attributes.enumerated() {
                        if position == keyPosition {
                            arguments[position] = rows.subjects[row]
                            continue
                        }
                        switch values[position] {
                        case .code(let code): arguments[position] = code
                        case .number(let number):
                            // Integers stay integers; decimals are stored as their exact text
                            // rounded to REAL, which round-trips at the schema's scale.
                            arguments[position] = attribute.scale == 0 ? number : Double(FixedPoint.format(number, scale: attribute.scale))
                        case .null: arguments[position] = nil
                        }
                    }
                    try insert.execute(arguments: StatementArguments(arguments))
                }
                try db.execute(sql: "CREATE TABLE IF NOT EXISTS oncomesh_site (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
                let meta: [(String, String)] = [
                    ("schema_yaml", schemaYAML),
                    ("source_file", sourceFile),
                    ("imported_at", ISO8601Time.text(Date())),
                    // Changes with every import and only then: a running node watches it to
                    // re-publish its catalogue (the file's modification time also changes
                    // with every audit record).
                    ("import_id", UUID().uuidString),
                    ("rows", String(rows.count)),
                ]
                for (key, value) in meta {
                    try db.execute(sql: "INSERT OR REPLACE INTO oncomesh_site (key, value) VALUES (?, ?)", arguments: [key, value])
                }
                return ImportSummary(rows: rows.count, subjects: Set(rows.subjects).count, replacedRows: previous)
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(description: "import into '\(path)' failed and was rolled back; the previous data is unchanged: \(error)")
        }
    }

    /// Reads what an import keeps beside the rows (the imaging study table, ``ImagingStudyTable``).
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

    /// Loads the `cases` table into a columnar snapshot for the executor.
    ///
    /// - Parameter keyer: the node's record keys, for the noise of federated answers; nil for
    ///   the site's own exact local queries.
    func loadSnapshot(keyer: RecordKeyer? = nil) throws(StoreError) -> ColumnarSnapshot {
        let schema = try schema()
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
