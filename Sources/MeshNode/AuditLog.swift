import Foundation
import GRDB

/// One row of the audit table: what this node did with one query plan, and for whom.
///
/// Its `Codable` form is the object `meshnode audit --format json` prints: `time` (ISO 8601
/// with milliseconds, UTC), `query_id`, `researcher`, `origin`, `outcome`, `reason` (null
/// when answered), `cells`, `query`. Flat keys, so that a site's monitoring can filter the
/// output with `jq` without knowing Swift's encoding of enums.
struct AuditRecord: Sendable, Equatable, Codable {
    /// What the node did with the plan.
    enum Outcome: Sendable, Equatable {
        /// The node executed the plan and sent its partial on.
        case answered
        /// The node's policy turned the plan down (researcher not allowed, query kind not
        /// allowed, too many cells, ...); the reason as the node reported it.
        case refused(String)
        /// The node accepted the plan but could not execute it; the error.
        case failed(String)

        /// The `outcome` column: answered, refused or failed.
        var name: String {
            switch self {
            case .answered: "answered"
            case .refused: "refused"
            case .failed: "failed"
            }
        }

        /// The `reason` column: nil when answered.
        var reason: String? {
            switch self {
            case .answered: nil
            case .refused(let reason), .failed(let reason): reason
            }
        }

        /// The outcome stored as `name` and `reason`; nil for a name this node never writes.
        init?(name: String, reason: String?) {
            switch (name, reason) {
            case ("answered", nil): self = .answered
            case ("refused", let reason?): self = .refused(reason)
            case ("failed", let reason?): self = .failed(reason)
            default: return nil
            }
        }
    }

    /// When the node decided; stored to the millisecond.
    var time: Date
    /// The plan's query ID: 32 lowercase hex characters.
    var queryID: String
    /// The researcher the plan was signed for.
    var researcher: String
    /// The node that originated the plan.
    var origin: String
    /// The normalised query text.
    var query: String
    var outcome: Outcome
    /// Cells this node contributed to its partial (0 when refused or failed).
    var cellCount: Int

    /// `time` as the table stores it: unix milliseconds, rounded to the nearest.
    var timeMilliseconds: Int64 { Self.milliseconds(time) }

    static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    static func date(milliseconds: Int64) -> Date {
        Date(timeIntervalSince1970: Double(milliseconds) / 1000)
    }

    // MARK: Time as text

    /// `2026-11-27T12:00:00.123Z`: the exact stored millisecond, in UTC. Built from whole
    /// seconds plus the milliseconds as an integer, because formatting a fractional `Date`
    /// can print one millisecond less than was stored.
    static func timeText(milliseconds: Int64) -> String {
        let (seconds, millis) = milliseconds.quotientAndRemainder(dividingBy: 1000)
        let (wholeSeconds, fraction) = millis < 0 ? (seconds - 1, millis + 1000) : (seconds, millis)
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        let text = formatter.string(from: Date(timeIntervalSince1970: Double(wholeSeconds)))
        let digits = String(fraction)
        return text.dropLast() + "." + String(repeating: "0", count: 3 - digits.count) + digits + "Z"
    }

    /// Unix milliseconds of a strict ISO 8601 date-time (`2026-11-27T12:00:00Z`, with optional
    /// fractional seconds and a `Z` or `±hh:mm` offset) or date (`2026-11-27`, midnight UTC);
    /// nil for anything else, including dates that do not exist (`2026-02-30`).
    /// Foundation's `ISO8601DateFormatter` is not used here: it accepts trailing text and
    /// rolls 30 February over into March.
    static func milliseconds(parsing text: String) -> Int64? {
        let pattern = #/([0-9]{4})-([0-9]{2})-([0-9]{2})(?:T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,9}))?(Z|[+-][0-9]{2}:[0-9]{2}))?/#
        guard let match = text.wholeMatch(of: pattern),
            let year = Int(match.1), let month = Int(match.2), let day = Int(match.3),
            (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day)
        else { return nil }
        var milliseconds = Int64(daysFromCivil(year: year, month: month, day: day)) * 86_400_000
        guard let hourText = match.4 else { return milliseconds }
        guard let hour = Int(hourText), let minute = Int(match.5 ?? ""), let second = Int(match.6 ?? ""),
            (0...23).contains(hour), (0...59).contains(minute), (0...59).contains(second)
        else { return nil }
        milliseconds += Int64((hour * 3600 + minute * 60 + second) * 1000)
        if let fraction = match.7 {
            milliseconds += Int64(String((fraction + "00").prefix(3)))!
        }
        let zone = match.8 ?? "Z"
        if zone != "Z" {
            guard let offsetHours = Int(zone.dropFirst().prefix(2)), let offsetMinutes = Int(zone.suffix(2)),
                (0...23).contains(offsetHours), (0...59).contains(offsetMinutes)
            else { return nil }
            let offset = Int64((offsetHours * 60 + offsetMinutes) * 60_000)
            milliseconds += zone.hasPrefix("+") ? -offset : offset
        }
        return milliseconds
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
    private static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let year = month <= 2 ? year - 1 : year
        let era = (year >= 0 ? year : year - 399) / 400
        let yearOfEra = year - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    // MARK: Codable

    private enum CodingKeys: String, CodingKey {
        case time, queryID = "query_id", researcher, origin, outcome, reason, cells, query
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.timeText(milliseconds: timeMilliseconds), forKey: .time)
        try container.encode(queryID, forKey: .queryID)
        try container.encode(researcher, forKey: .researcher)
        try container.encode(origin, forKey: .origin)
        try container.encode(outcome.name, forKey: .outcome)
        if let reason = outcome.reason {
            try container.encode(reason, forKey: .reason)
        } else {
            try container.encodeNil(forKey: .reason)
        }
        try container.encode(cellCount, forKey: .cells)
        try container.encode(query, forKey: .query)
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let timeText = try container.decode(String.self, forKey: .time)
        guard let milliseconds = Self.milliseconds(parsing: timeText) else {
            throw DecodingError.dataCorruptedError(forKey: .time, in: container, debugDescription: "'\(timeText)' is not an ISO 8601 date-time")
        }
        let name = try container.decode(String.self, forKey: .outcome)
        let reason = try container.decodeIfPresent(String.self, forKey: .reason)
        guard let outcome = Outcome(name: name, reason: reason) else {
            throw DecodingError.dataCorruptedError(
                forKey: .outcome, in: container, debugDescription: "outcome '\(name)' with reason \(reason.map { "'\($0)'" } ?? "null") is not answered (no reason), refused or failed (with a reason)"
            )
        }
        self.init(
            time: Self.date(milliseconds: milliseconds),
            queryID: try container.decode(String.self, forKey: .queryID),
            researcher: try container.decode(String.self, forKey: .researcher),
            origin: try container.decode(String.self, forKey: .origin),
            query: try container.decode(String.self, forKey: .query),
            outcome: outcome,
            cellCount: try container.decode(Int.self, forKey: .cells)
        )
    }

    init(time: Date, queryID: String, researcher: String, origin: String, query: String, outcome: Outcome, cellCount: Int) {
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
/// executed or refused, so that a site can show its data protection officer who asked what
/// and what left the site.
///
/// It lives in the site database itself (not a file beside it) so that a backup of the
/// site's data carries the record of its use. `meshnode import` replaces only the `cases`
/// table, so the audit survives re-imports.
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

    /// Opens (or creates) the database at `path` for appending, and creates the table and
    /// its index if they are missing.
    init(path: String) throws(AuditError) {
        self.path = path
        do {
            var configuration = Configuration()
            configuration.busyMode = .timeout(10)
            // FULL: every commit is on disk when it returns, in WAL mode as well.
            configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            queue = try DatabaseQueue(path: path, configuration: configuration)
            // Write-ahead logging: a commit is one append and one fsync of the log, where the
            // rollback journal needs several; nodes append on every query, all at once.
            try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = WAL") }
            try queue.write { db in
                try db.execute(
                    sql: """
                        CREATE TABLE IF NOT EXISTS \(Self.table) (
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
                        CREATE INDEX IF NOT EXISTS \(Self.table)_time ON \(Self.table) (time_ms);
                        """
                )
            }
        } catch {
            throw AuditError(description: "cannot open the audit log in the site database '\(path)': \(error)")
        }
    }

    /// Opens an existing database at `path` read-only, for showing the audit: a reader must
    /// neither create a missing database nor change an existing one, so it finds no records
    /// (rather than an empty new table) where the node has not answered a query yet.
    init(readingAt path: String) throws(AuditError) {
        self.path = path
        guard FileManager.default.fileExists(atPath: path) else {
            throw AuditError(description: "there is no site database at '\(path)'; check the `database` setting of the node's configuration")
        }
        do {
            var configuration = Configuration()
            configuration.busyMode = .timeout(10)
            configuration.readonly = true
            queue = try DatabaseQueue(path: path, configuration: configuration)
        } catch {
            throw AuditError(description: "cannot open the site database '\(path)': \(error)")
        }
    }

    /// Records one decision; returns once the row is committed.
    func append(_ record: AuditRecord) throws(AuditError) {
        do {
            try queue.write { db in
                try db.execute(
                    sql: "INSERT INTO \(Self.table) (time_ms, query_id, researcher, origin, query, outcome, reason, cells) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    arguments: [
                        record.timeMilliseconds, record.queryID, record.researcher, record.origin, record.query, record.outcome.name, record.outcome.reason,
                        record.cellCount,
                    ]
                )
            }
        } catch {
            throw AuditError(description: "cannot write the audit record of query \(record.queryID) to '\(path)': \(error)")
        }
    }

    /// The records at or after `since` (all when nil), oldest first; records of the same
    /// millisecond in the order they were written.
    func records(since: Date? = nil) throws(AuditError) -> [AuditRecord] {
        do {
            return try queue.read { db in
                guard try db.tableExists(Self.table) else { return [] }
                let rows = try Row.fetchCursor(
                    db,
                    sql: "SELECT id, time_ms, query_id, researcher, origin, query, outcome, reason, cells FROM \(Self.table) WHERE time_ms >= ? ORDER BY time_ms, id",
                    arguments: [since.map(AuditRecord.milliseconds) ?? Int64.min]
                )
                var records: [AuditRecord] = []
                while let row = try rows.next() {
                    let id: Int64 = row["id"]
                    let name: String = row["outcome"]
                    let reason: String? = row["reason"]
                    guard let outcome = AuditRecord.Outcome(name: name, reason: reason) else {
                        throw AuditError(
                            description: "'\(path)': audit row \(id) has outcome '\(name)' with reason \(reason.map { "'\($0)'" } ?? "NULL"); expected answered without a reason, or refused or failed with one"
                        )
                    }
                    records.append(
                        AuditRecord(
                            time: AuditRecord.date(milliseconds: row["time_ms"]),
                            queryID: row["query_id"],
                            researcher: row["researcher"],
                            origin: row["origin"],
                            query: row["query"],
                            outcome: outcome,
                            cellCount: row["cells"]
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
}
