import Crypto
import Foundation
import GRDB
import MeshCore

/// One row of the audit table: what this node did with one query plan, and for whom; or, at
/// the node a researcher submitted a query to, what became of that submission.
///
/// Its `Codable` form is the object `meshnode audit --format json` prints: `time` (ISO 8601
/// with milliseconds, UTC), `kind` (`plan` or `submission`), `query_id`, `researcher`,
/// `origin`, `outcome`, `reason` (null unless refused or failed), `k` and `table_digest`
/// (null unless released), `cells`, `query`. Flat keys, so that a site's monitoring can
/// filter the output with `jq` without knowing Swift's encoding of enums.
struct AuditRecord: Sendable, Equatable, Codable {
    /// Whose decision the row records.
    enum Kind: String, Sendable, Equatable, CaseIterable {
        /// A provider's decision on a query plan it received (or originated and executed).
        case plan
        /// The origin's record of a researcher's query it was asked to run: released, or
        /// refused before any plan went out.
        case submission
    }

    /// What the node did with the plan or submission.
    enum Outcome: Sendable, Equatable {
        /// The node executed the plan and sent its partial on.
        case answered
        /// The node's policy turned the plan down (researcher not allowed, query kind not
        /// allowed, too many cells, ...), or the origin could not plan the submission; the
        /// reason as the node reported it.
        case refused(String)
        /// The node accepted the plan but could not execute it; the error.
        case failed(String)
        /// The origin released the merged table of a submission to the researcher, under
        /// privacy threshold `k`; `tableDigest` is `AuditRecord.tableDigest(of:)` of the
        /// released table, so that a table a researcher shows later can be matched to this
        /// record.
        case released(k: Int, tableDigest: String)

        /// The `outcome` column: answered, refused, failed or released.
        var name: String {
            switch self {
            case .answered: "answered"
            case .refused: "refused"
            case .failed: "failed"
            case .released: "released"
            }
        }

        /// The `reason` column: nil unless refused or failed.
        var reason: String? {
            switch self {
            case .answered, .released: nil
            case .refused(let reason), .failed(let reason): reason
            }
        }

        /// The `k` column: nil unless released.
        var k: Int? {
            if case .released(let k, _) = self { k } else { nil }
        }

        /// The `table_digest` column: nil unless released.
        var tableDigest: String? {
            if case .released(_, let digest) = self { digest } else { nil }
        }

        /// The outcome stored as `name`, `reason`, `k` and `tableDigest`; nil for a
        /// combination this node never writes.
        init?(name: String, reason: String?, k: Int? = nil, tableDigest: String? = nil) {
            switch (name, reason, k, tableDigest) {
            case ("answered", nil, nil, nil): self = .answered
            case ("refused", let reason?, nil, nil): self = .refused(reason)
            case ("failed", let reason?, nil, nil): self = .failed(reason)
            case ("released", nil, let k?, let digest?): self = .released(k: k, tableDigest: digest)
            default: return nil
            }
        }

        /// The outcome in words, for the table output and error messages.
        var text: String {
            switch self {
            case .answered: "answered"
            case .refused(let reason): "refused: \(reason)"
            case .failed(let reason): "failed: \(reason)"
            case .released(let k, let digest): "released: k=\(k), table sha256 \(digest)"
            }
        }

        /// A stored combination `init?(name:reason:k:tableDigest:)` refuses, in words.
        static func describeInvalid(name: String, reason: String?, k: Int?, tableDigest: String?) -> String {
            "outcome '\(name)' with reason \(reason.map { "'\($0)'" } ?? "null"), k \(k.map(String.init) ?? "null") and table digest \(tableDigest.map { "'\($0)'" } ?? "null"); "
                + "expected answered (nothing else), refused or failed (with a reason), or released (with k and a table digest)"
        }
    }

    /// Whose decision this is: a provider's on a plan (the default), or the origin's on a
    /// researcher's submission.
    var kind: Kind
    /// When the node decided; stored to the millisecond.
    var time: Date
    /// The plan's query ID: 32 lowercase hex characters; "-" for a submission refused before
    /// an ID was drawn.
    var queryID: String
    /// The researcher the plan was signed for.
    var researcher: String
    /// The node that originated the plan.
    var origin: String
    /// The normalised query text.
    var query: String
    var outcome: Outcome
    /// Cells this node contributed to its partial, or for a released submission the cells
    /// of the released table (0 when refused or failed).
    var cellCount: Int
    /// The researcher's signed submission the plan carried (base64 of its encoding): proof,
    /// kept with the record, that the researcher asked this query (docs/PRIVACY.md, "Who
    /// asked"). Nil for records without one (refusals before it verified).
    var researcherSignature: String?

    /// Lowercase hex SHA-256 of `text`'s UTF-8: the `table_digest` the origin records for the
    /// table it released (the JSON it sent the researcher).
    static func tableDigest(of text: String) -> String {
        AuditChain.hex(SHA256.hash(data: Array(text.utf8)))
    }

    /// `time` as the table stores it: unix milliseconds (`UnixMilliseconds`).
    var timeMilliseconds: Int64 { UnixMilliseconds.from(time) }

    // MARK: Codable

    private enum CodingKeys: String, CodingKey {
        case time, kind, queryID = "query_id", researcher, origin, outcome, reason, k, tableDigest = "table_digest", cells, query
        case researcherSignature = "researcher_signature"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(ISO8601Time.text(milliseconds: timeMilliseconds), forKey: .time)
        try container.encode(kind.rawValue, forKey: .kind)
        try container.encode(queryID, forKey: .queryID)
        try container.encode(researcher, forKey: .researcher)
        try container.encode(origin, forKey: .origin)
        try container.encode(outcome.name, forKey: .outcome)
        // Always present, null when they do not apply: every object has the same keys.
        try container.encode(outcome.reason, forKey: .reason)
        try container.encode(outcome.k, forKey: .k)
        try container.encode(outcome.tableDigest, forKey: .tableDigest)
        try container.encode(cellCount, forKey: .cells)
        try container.encode(query, forKey: .query)
        try container.encode(researcherSignature, forKey: .researcherSignature)
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let timeText = try container.decode(String.self, forKey: .time)
        let milliseconds: Int64
        do {
            milliseconds = try ISO8601Time.milliseconds(parsing: timeText)
        } catch {
            throw DecodingError.dataCorruptedError(forKey: .time, in: container, debugDescription: error.description)
        }
        // Output of the version before submissions has no kind: those were all plans.
        let kindText = try container.decodeIfPresent(String.self, forKey: .kind) ?? Kind.plan.rawValue
        guard let kind = Kind(rawValue: kindText) else {
            throw DecodingError.dataCorruptedError(forKey: .kind, in: container, debugDescription: "kind '\(kindText)' is not plan or submission")
        }
        let name = try container.decode(String.self, forKey: .outcome)
        let reason = try container.decodeIfPresent(String.self, forKey: .reason)
        let k = try container.decodeIfPresent(Int.self, forKey: .k)
        let tableDigest = try container.decodeIfPresent(String.self, forKey: .tableDigest)
        guard let outcome = Outcome(name: name, reason: reason, k: k, tableDigest: tableDigest) else {
            throw DecodingError.dataCorruptedError(
                forKey: .outcome, in: container, debugDescription: Outcome.describeInvalid(name: name, reason: reason, k: k, tableDigest: tableDigest)
            )
        }
        self.init(
            time: UnixMilliseconds.date(milliseconds),
            queryID: try container.decode(String.self, forKey: .queryID),
            researcher: try container.decode(String.self, forKey: .researcher),
            origin: try container.decode(String.self, forKey: .origin),
            query: try container.decode(String.self, forKey: .query),
            outcome: outcome,
            cellCount: try container.decode(Int.self, forKey: .cells),
            kind: kind,
            researcherSignature: try container.decodeIfPresent(String.self, forKey: .researcherSignature)
        )
    }

    init(
        time: Date, queryID: String, researcher: String, origin: String, query: String, outcome: Outcome, cellCount: Int, kind: Kind = .plan,
        researcherSignature: String? = nil
    ) {
        self.kind = kind
        self.researcherSignature = researcherSignature
        self.time = time
        self.queryID = queryID
        self.researcher = researcher
        self.origin = origin
        self.query = query
        self.outcome = outcome
        self.cellCount = cellCount
    }
}

/// The `oncomesh_audit` table in the site database: one row for every query plan this node
/// executed or refused, and for every researcher submission it originated, so that a site
/// can show its data protection officer who asked what and what left the site.
///
/// It lives in the site database itself (not a file beside it) so that a backup of the
/// site's data carries the record of its use. `meshnode import` replaces only the `cases`
/// table, so the audit survives re-imports.
///
/// The rows form a hash chain (`AuditChain`), so that an edited, deleted or reordered row is
/// found by `verify()`; see `AuditChain` for what the chain does not protect against.
///
/// `append` is one committed write transaction (write-ahead log with `synchronous=FULL`):
/// when it returns, the row is on disk, and the node sends its partial
/// only after that. A node that cannot write its audit does not answer.
///
/// Thread-safe: GRDB's `DatabaseQueue` serialises every access.
struct AuditLog: Sendable {
    let path: String
    private let queue: DatabaseQueue

    static let table = "oncomesh_audit"

    struct AuditError: Error, CustomStringConvertible {
        let description: String
    }

    /// The table as this version writes it. `kind`, `k` and `table_digest` came with origin
    /// submission records; `prev_hash` and `hash` with the chain.
    private static func createTable(named name: String) -> String {
        """
        CREATE TABLE \(name) (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            time_ms INTEGER NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('plan', 'submission')),
            query_id TEXT NOT NULL,
            researcher TEXT NOT NULL,
            origin TEXT NOT NULL,
            query TEXT NOT NULL,
            outcome TEXT NOT NULL CHECK (outcome IN ('answered', 'refused', 'failed', 'released')),
            reason TEXT,
            cells INTEGER NOT NULL,
            k INTEGER,
            table_digest TEXT,
            researcher_signature TEXT,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL,
            CHECK ((outcome = 'released') = (k IS NOT NULL AND table_digest IS NOT NULL))
        )
        """
    }

    /// Opens (or creates) the database at `path` for appending, and creates the table and
    /// its index if they are missing. A table written before hash chaining is chained here,
    /// in one transaction (see `chainUnchainedTable`).
    init(path: String) throws(AuditError) {
        self.path = path
        do {
            queue = try SiteDatabase.openForWriting(path: path)
            try Self.writeImmediately(queue) { db in
                if !(try db.tableExists(Self.table)) {
                    try db.execute(sql: Self.createTable(named: Self.table))
                } else if !(try Self.isChained(db)) {
                    try Self.chainUnchainedTable(db)
                }
                try db.execute(sql: "CREATE INDEX IF NOT EXISTS \(Self.table)_time ON \(Self.table) (time_ms)")
            }
        } catch let error as AuditError {
            throw AuditError(description: "cannot open the audit log in the site database '\(path)': \(error.description)")
        } catch {
            throw AuditError(description: "cannot open the audit log in the site database '\(path)': \(error)")
        }
    }

    /// Opens an existing database at `path` read-only, for showing or verifying the audit: a
    /// reader must neither create a missing database nor change an existing one (it does not
    /// chain a table written before chaining either), so it finds no records (rather than an
    /// empty new table) where the node has not answered a query yet.
    init(readingAt path: String) throws(AuditError) {
        self.path = path
        do {
            queue = try SiteDatabase.openForReading(path: path)
        } catch {
            throw AuditError(description: error.description)
        }
    }

    /// Runs `body` in one `BEGIN IMMEDIATE` transaction: it takes the write lock before the
    /// first read, so that reading the chain head and appending after it cannot interleave
    /// with another connection's append (another process on the same file), and commits.
    private static func writeImmediately(_ queue: DatabaseQueue, _ body: (Database) throws -> Void) throws {
        try queue.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                try body(db)
                return .commit
            }
        }
    }

    private static func isChained(_ db: Database) throws -> Bool {
        try db.columns(in: table).contains { $0.name == "hash" }
    }

    /// Records one decision; returns once the row is committed. Reading the chain head and
    /// inserting the row after it are one write transaction, so concurrent appends keep the
    /// chain.
    func append(_ record: AuditRecord) throws(AuditError) {
        do {
            try Self.writeImmediately(queue) { db in
                let previous = try String.fetchOne(db, sql: "SELECT hash FROM \(Self.table) ORDER BY id DESC LIMIT 1") ?? AuditChain.genesis
                try db.execute(
                    sql: """
                        INSERT INTO \(Self.table) (time_ms, kind, query_id, researcher, origin, query, outcome, reason, cells, k, table_digest, researcher_signature, prev_hash, hash)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '')
                        """,
                    arguments: [
                        record.timeMilliseconds, record.kind.rawValue, record.queryID, record.researcher, record.origin, record.query, record.outcome.name,
                        record.outcome.reason, record.cellCount, record.outcome.k, record.outcome.tableDigest, record.researcherSignature, previous,
                    ]
                )
                try Self.seal(rowID: db.lastInsertedRowID, previous: previous, db)
            }
        } catch {
            throw AuditError(description: "cannot write the audit record of query \(record.queryID) to '\(path)': \(error)")
        }
    }

    /// Computes and stores the hash of the row `rowID`, whose `prev_hash` is `previous`. It
    /// hashes the row as read back from the table, so that `verify()`, which reads the same
    /// columns, computes the same bytes whatever conversions SQLite applied on insert.
    private static func seal(rowID: Int64, previous: String, _ db: Database) throws {
        guard let row = try Row.fetchOne(db, sql: "SELECT \(AuditChain.hashedColumnList) FROM \(table) WHERE id = ?", arguments: [rowID]),
            let hash = AuditChain.hash(previous: previous, fields: AuditChain.hashedColumns.map { row[$0] as DatabaseValue })
        else {
            throw AuditError(description: "audit row \(rowID) vanished while it was being written")
        }
        try db.execute(sql: "UPDATE \(table) SET hash = ? WHERE id = ?", arguments: [hash, rowID])
    }

    /// Chains a table written before hash chaining (no `kind`, `k`, `table_digest`,
    /// `prev_hash` or `hash`; an `outcome` CHECK without 'released'), inside the caller's
    /// transaction: creates the new table, copies the old rows in id order (keeping their
    /// ids; all of them are plans) and chains them, drops the old table and renames the new
    /// one. The AUTOINCREMENT counter carries over, so ids are never reused. The chain can
    /// vouch for the old rows only from now on: what happened to them before is unknown.
    private static func chainUnchainedTable(_ db: Database) throws {
        let staging = "\(table)_chaining"
        try db.execute(sql: "DROP TABLE IF EXISTS \(staging)")
        try db.execute(sql: createTable(named: staging))
        let issued = try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = ?", arguments: [table])
        let rows = try Row.fetchCursor(db, sql: "SELECT id, time_ms, query_id, researcher, origin, query, outcome, reason, cells FROM \(table) ORDER BY id")
        var previous = AuditChain.genesis
        while let row = try rows.next() {
            let id: Int64 = row["id"]
            try db.execute(
                sql: """
                    INSERT INTO \(staging) (id, time_ms, kind, query_id, researcher, origin, query, outcome, reason, cells, k, table_digest, researcher_signature, prev_hash, hash)
                    VALUES (?, ?, 'plan', ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, ?, '')
                    """,
                arguments: [
                    row["id"] as DatabaseValue, row["time_ms"] as DatabaseValue, row["query_id"] as DatabaseValue, row["researcher"] as DatabaseValue,
                    row["origin"] as DatabaseValue, row["query"] as DatabaseValue, row["outcome"] as DatabaseValue, row["reason"] as DatabaseValue,
                    row["cells"] as DatabaseValue, previous,
                ]
            )
            guard let fields = try Row.fetchOne(db, sql: "SELECT \(AuditChain.hashedColumnList) FROM \(staging) WHERE id = ?", arguments: [id]),
                let hash = AuditChain.hash(previous: previous, fields: AuditChain.hashedColumns.map { fields[$0] as DatabaseValue })
            else { throw AuditError(description: "audit row \(id) vanished while the log was being chained") }
            try db.execute(sql: "UPDATE \(staging) SET hash = ? WHERE id = ?", arguments: [hash, id])
            previous = hash
        }
        try db.execute(sql: "DROP TABLE \(table)")
        try db.execute(sql: "ALTER TABLE \(staging) RENAME TO \(table)")
        if let issued {
            let copied = try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = ?", arguments: [table])
            if copied == nil {
                try db.execute(sql: "INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", arguments: [table, issued])
            } else {
                try db.execute(sql: "UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = ?", arguments: [issued, table])
            }
        }
    }

    /// The query ids recorded at or after `sinceMilliseconds`, with the time of their
    /// record: the plans this node acted on and the submissions it planned, which a
    /// restarted node must still refuse to run again (`QueryShell`).
    func queryIDs(sinceMilliseconds: Int64) throws(AuditError) -> [(queryID: String, origin: String, timeMilliseconds: Int64)] {
        do {
            return try queue.read { db in
                guard try db.tableExists(Self.table) else { return [] }
                return try Row.fetchAll(
                    db, sql: "SELECT query_id, origin, time_ms FROM \(Self.table) WHERE time_ms >= ? AND query_id <> '-'", arguments: [sinceMilliseconds]
                ).map { ($0["query_id"], $0["origin"], $0["time_ms"]) }
            }
        } catch {
            throw AuditError(description: "cannot read the audit log in '\(path)': \(error)")
        }
    }

    /// The records at or after `since` (all when nil), oldest first; records of the same
    /// millisecond in the order they were written. Reads a table written before chaining
    /// (and before submissions) as well: its rows are all plans.
    func records(since: Date? = nil) throws(AuditError) -> [AuditRecord] {
        do {
            return try queue.read { db in
                // A reader may have cached the table's shape before the node chained it.
                db.clearSchemaCache()
                guard try db.tableExists(Self.table) else { return [] }
                let columns = Set(try db.columns(in: Self.table).map(\.name))
                let newer = columns.contains("kind") ? "kind, k, table_digest, researcher_signature" : "'plan' AS kind, NULL AS k, NULL AS table_digest, NULL AS researcher_signature"
                let rows = try Row.fetchCursor(
                    db,
                    sql: "SELECT id, time_ms, query_id, researcher, origin, query, outcome, reason, cells, \(newer) FROM \(Self.table) WHERE time_ms >= ? ORDER BY time_ms, id",
                    arguments: [since.map(UnixMilliseconds.from) ?? Int64.min]
                )
                var records: [AuditRecord] = []
                while let row = try rows.next() {
                    let id: Int64 = row["id"]
                    let name: String = row["outcome"]
                    let reason: String? = row["reason"]
                    let k: Int? = row["k"]
                    let tableDigest: String? = row["table_digest"]
                    guard let outcome = AuditRecord.Outcome(name: name, reason: reason, k: k, tableDigest: tableDigest) else {
                        throw AuditError(
                            description: "'\(path)': audit row \(id) has \(AuditRecord.Outcome.describeInvalid(name: name, reason: reason, k: k, tableDigest: tableDigest))"
                        )
                    }
                    let kindText: String = row["kind"]
                    guard let kind = AuditRecord.Kind(rawValue: kindText) else {
                        throw AuditError(description: "'\(path)': audit row \(id) has kind '\(kindText)'; expected plan or submission")
                    }
                    records.append(
                        AuditRecord(
                            time: UnixMilliseconds.date(row["time_ms"]),
                            queryID: row["query_id"],
                            researcher: row["researcher"],
                            origin: row["origin"],
                            query: row["query"],
                            outcome: outcome,
                            cellCount: row["cells"],
                            kind: kind,
                            researcherSignature: row["researcher_signature"]
                        )
                    )
                }
                return records
            }
        } catch let error as AuditError {
            throw error
        } catch {
            throw AuditError(description: "cannot read the audit log in '\(path)': \(error)")
        }
    }

    /// Walks the hash chain in id order and reports the first row that was edited (its
    /// stored hash does not match its content), deleted (the next row's id skips one, or its
    /// `prev_hash` names a row that is gone) or reordered (a row's `prev_hash` is not the
    /// hash of the row before it). Reads one consistent snapshot, read-only: it works on a
    /// reader (`init(readingAt:)`) while the node appends.
    ///
    /// Deleting the newest rows cannot be detected from the table alone: what remains is a
    /// shorter chain that is still consistent. `verify` does notice it while SQLite's
    /// AUTOINCREMENT counter (`sqlite_sequence`) still remembers the deleted ids, but whoever
    /// can delete rows can reset that counter too. Only comparing the chain head with one
    /// kept elsewhere (the `head` of `.intact`) detects it for certain; so too for someone
    /// who rewrites every hash from the edited row onwards.
    func verify() throws(AuditError) -> AuditVerification {
        do {
            return try queue.read { db in
                db.clearSchemaCache()
                guard try db.tableExists(Self.table) else { return .intact(records: 0, head: AuditChain.genesis) }
                guard try Self.isChained(db) else {
                    return .unchained(records: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(Self.table)") ?? 0)
                }
                let rows = try Row.fetchCursor(db, sql: "SELECT prev_hash, hash, \(AuditChain.hashedColumnList) FROM \(Self.table) ORDER BY id")
                var previous: (id: Int64, hash: String)?
                var count = 0
                while let row = try rows.next() {
                    let id: Int64 = row["id"]
                    let linked = String.fromDatabaseValue(row["prev_hash"])
                    let stored = String.fromDatabaseValue(row["hash"])
                    if let previous {
                        if id != previous.id + 1 {
                            let missing = id - previous.id - 1 == 1 ? "the record before it is missing" : "the \(id - previous.id - 1) records before it are missing"
                            let how = linked == previous.hash ? "deleted before the log was chained, or deleted and the chain rewritten over the gap" : "deleted"
                            return .broken(recordID: id, reason: "record \(id): \(missing) (expected id \(previous.id + 1); \(how))")
                        }
                        if linked != previous.hash {
                            return .broken(
                                recordID: id,
                                reason: "record \(id): it does not follow record \(previous.id) in the chain (reordered, or one of the two replaced)"
                            )
                        }
                    } else if linked != AuditChain.genesis {
                        return .broken(
                            recordID: id,
                            reason: "record \(id): it is the first record but does not start the chain (the records before it were deleted, or it was moved)"
                        )
                    }
                    let fields = AuditChain.hashedColumns.map { row[$0] as DatabaseValue }
                    guard let stored, let linked, AuditChain.hash(previous: linked, fields: fields) == stored else {
                        return .broken(recordID: id, reason: "record \(id): its content does not match its hash (edited after it was written)")
                    }
                    previous = (id, stored)
                    count += 1
                }
                let issued = try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = ?", arguments: [Self.table]) ?? 0
                let last = previous?.id ?? 0
                if issued > last {
                    let missing = issued == last + 1 ? "record \(issued) is missing" : "records \(last + 1) to \(issued) are missing"
                    return .broken(
                        recordID: last + 1,
                        reason: "record \(last + 1): the newest records were deleted (\(missing); the log had issued ids up to \(issued))"
                    )
                }
                return .intact(records: count, head: previous?.hash ?? AuditChain.genesis)
            }
        } catch let error as AuditError {
            throw error
        } catch {
            throw AuditError(description: "cannot verify the audit log in '\(path)': \(error)")
        }
    }
}
