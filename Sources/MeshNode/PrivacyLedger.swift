import Foundation
import GRDB
import MeshCore

/// The limits a provider puts on each researcher, taken from its policy.
///
/// Every provider accounts the privacy loss of the plans it executes per researcher, and
/// against its own budget: a provider cannot rely on the originating node (or on any other
/// provider) to have counted, because there is no hub that sees every query. This is the
/// same composition argument the US Census Bureau's TopDown algorithm makes for its global
/// budget, applied per researcher and per rolling window. The rates are a lockout in the
/// style of SHRINE's: they stop a researcher (or a stolen researcher key) from differencing
/// many small queries faster than a human would ask them, whatever their privacy cost.
/// See docs/PRIVACY.md, "Budgets and rates".
struct PrivacyLimits: Sendable, Equatable {
    /// Zero-concentrated DP rho one researcher may spend per rolling window; nil: unlimited.
    var budget: Double?
    /// The length of the rolling budget window.
    var windowMilliseconds: Int64
    /// Admitted plans per researcher in any 60 s.
    var maxPerMinute: Int
    /// Admitted plans per researcher in any 24 h.
    var maxPerDay: Int

    static let minuteMilliseconds: Int64 = 60_000
    static let dayMilliseconds: Int64 = 86_400_000

    init(budget: Double?, windowMilliseconds: Int64, maxPerMinute: Int, maxPerDay: Int) {
        self.budget = budget
        self.windowMilliseconds = windowMilliseconds
        self.maxPerMinute = maxPerMinute
        self.maxPerDay = maxPerDay
    }

    init(policy: NodeConfig.Policy) {
        self.init(
            budget: policy.privacyBudget,
            windowMilliseconds: Int64(policy.budgetWindowDays) * Self.dayMilliseconds,
            maxPerMinute: policy.maxQueriesPerMinute,
            maxPerDay: policy.maxQueriesPerDay
        )
    }

    /// The window in words, for refusal reasons and `meshnode budget`: "30 days", "1 day",
    /// "2 hours", "90 seconds", "250 ms".
    var windowText: String {
        Self.durationText(milliseconds: windowMilliseconds)
    }

    static func durationText(milliseconds: Int64) -> String {
        func plural(_ count: Int64, _ unit: String) -> String { "\(count) \(unit)\(count == 1 ? "" : "s")" }
        if milliseconds > 0, milliseconds % dayMilliseconds == 0 { return plural(milliseconds / dayMilliseconds, "day") }
        if milliseconds > 0, milliseconds % 3_600_000 == 0 { return plural(milliseconds / 3_600_000, "hour") }
        if milliseconds > 0, milliseconds % minuteMilliseconds == 0 { return plural(milliseconds / minuteMilliseconds, "minute") }
        if milliseconds > 0, milliseconds % 1000 == 0 { return plural(milliseconds / 1000, "second") }
        return "\(milliseconds) ms"
    }

    /// A rho as people read it: up to six significant digits ("5", "4.98", "0.0625").
    static func rhoText(_ rho: Double) -> String {
        if rho.isNaN { return "NaN" }
        if rho.isInfinite { return rho > 0 ? "infinity" : "-infinity" }
        return String(format: "%.6g", rho)
    }
}

/// What the ledger decided about one plan.
enum LedgerDecision: Sendable, Equatable {
    /// Execute the plan. `charged` is what this plan cost (0 for a repeat), `spent` the
    /// researcher's loss in the window including it, `remaining` what is left of the budget
    /// (nil when the budget is unlimited).
    case admitted(charged: Double, spent: Double, remaining: Double?)
    /// Do not execute it; the reason starts with "rate: " or "budget: ".
    case refused(reason: String)
}

/// One row of the ledger.
struct LedgerEntry: Sendable, Equatable {
    enum Outcome: String, Sendable, Equatable {
        case admitted, refused
    }

    var id: Int64
    var timeMilliseconds: Int64
    var researcher: String
    var queryID: String
    /// The normalised query text.
    var query: String
    /// The plan's privacy loss (NaN when the caller passed NaN).
    var rho: Double
    /// What was charged to the budget: the loss, 0 for a repeat or a refusal.
    var charged: Double
    var outcome: Outcome
    /// Why the plan was refused; nil when admitted.
    var reason: String?
}

/// One researcher's standing at this provider, for `meshnode budget`.
struct ResearcherSummary: Sendable, Equatable {
    var researcher: String
    /// Loss charged in the window (now - window, now].
    var spent: Double
    var budget: Double?
    /// budget - spent, never below 0; nil when the budget is unlimited.
    var remaining: Double?
    var admittedLastMinute: Int
    var admittedLastDay: Int
    var totalAdmitted: Int
    var totalRefused: Int
}

/// The `oncomesh_privacy_ledger` table in the site database: every plan this provider
/// admitted or refused for a researcher, with its privacy loss (zero-concentrated DP rho) and
/// what was charged for it.
///
/// Why a ledger per provider and per researcher: the noise each provider adds protects its
/// own subjects, and zCDP losses add up over every release about them. Only the provider
/// sees every plan it executes, so only it can bound the total; a researcher who asks the
/// federation through many nodes still reaches the same providers and is charged at each.
/// Like the Census TopDown budget, the total is fixed in advance (`privacy_budget` per
/// `budget_window_days`) and every release spends part of it. A repeat of a query already
/// admitted in the window (the same normalised text, a loss no larger than the earlier
/// one) reveals nothing new and costs nothing. The per-minute and per-day rates bound how
/// fast a researcher can ask at all, like SHRINE's lockout. See docs/PRIVACY.md, "Budgets
/// and rates".
///
/// It lives in the site database (not a file beside it) so that a restart, a backup or a
/// re-import (which replaces only the `cases` table) keeps the spent budget: a budget that
/// resets on restart is no budget. `admit` decides and records in one IMMEDIATE write
/// transaction (write-ahead log, `synchronous=FULL`), so two plans arriving at once cannot
/// both spend the last of a budget, and the charge is on disk before the plan runs.
///
/// Thread-safe: GRDB's `DatabaseQueue` serialises every access.
struct PrivacyLedger: Sendable {
    let path: String
    private let queue: DatabaseQueue

    static let table = "oncomesh_privacy_ledger"

    /// Budget comparisons allow this much rounding in the summed losses.
    static let tolerance = 1e-9

    struct LedgerError: Error, CustomStringConvertible {
        let description: String
    }

    /// Opens (or creates) the database at `path` for admitting plans, and creates the table
    /// and its index if they are missing.
    init(path: String) throws(LedgerError) {
        self.path = path
        do {
            queue = try SiteDatabase.openForWriting(path: path)
            try queue.write { db in
                // rho and charged may be NULL: SQLite stores a NaN as NULL.
                try db.execute(
                    sql: """
                        CREATE TABLE IF NOT EXISTS \(Self.table) (
                            id INTEGER PRIMARY KEY AUTOINCREMENT,
                            time_ms INTEGER NOT NULL,
                            researcher TEXT NOT NULL,
                            query_id TEXT NOT NULL,
                            query TEXT NOT NULL,
                            rho REAL,
                            charged REAL,
                            outcome TEXT NOT NULL CHECK (outcome IN ('admitted', 'refused')),
                            reason TEXT
                        );
                        CREATE INDEX IF NOT EXISTS \(Self.table)_researcher_time ON \(Self.table) (researcher, time_ms);
                        """
                )
            }
        } catch {
            throw LedgerError(description: "cannot open the privacy ledger in the site database '\(path)': \(error)")
        }
    }

    /// Opens an existing database at `path` read-only, for showing the ledger: it neither
    /// creates a missing database nor adds the table, so a node that has admitted nothing yet
    /// shows no entries.
    init(readingAt path: String) throws(LedgerError) {
        self.path = path
        do {
            queue = try SiteDatabase.openForReading(path: path)
        } catch {
            throw LedgerError(description: error.description)
        }
    }

    // MARK: Admitting

    /// Decides whether `researcher` may run the plan `queryID` (normalised text `query`,
    /// privacy loss `rho`) at `nowMilliseconds`, records the decision, and returns it once
    /// it is committed. A node that cannot record the charge must not run the plan, so any
    /// database error is thrown rather than read as an admission.
    ///
    /// In order: the rates (admitted plans in the last 60 s and 24 h, repeats included,
    /// refusals not); then the loss: a repeat costs 0; a NaN, negative or infinite loss,
    /// or one that would take the window's spending over the budget, is refused. With no
    /// budget every plan within the rates is admitted and charged its loss.
    func admit(
        researcher: String, queryID: String, query: String, rho: Double, nowMilliseconds now: Int64, limits: PrivacyLimits
    ) throws(LedgerError) -> LedgerDecision {
        var decision = LedgerDecision.refused(reason: "")
        do {
            try queue.inTransaction(.immediate) { db in
                decision = try Self.decide(db, researcher: researcher, query: query, rho: rho, now: now, limits: limits)
                let charged: Double
                let reason: String?
                switch decision {
                case .admitted(let amount, _, _): (charged, reason) = (amount, nil)
                case .refused(let why): (charged, reason) = (0, why)
                }
                try db.execute(
                    sql: "INSERT INTO \(Self.table) (time_ms, researcher, query_id, query, rho, charged, outcome, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    arguments: [now, researcher, queryID, query, rho.isNaN ? nil : rho, charged.isNaN ? nil : charged, reason == nil ? "admitted" : "refused", reason]
                )
                return .commit
            }
        } catch {
            throw LedgerError(description: "cannot record the privacy charge of query \(queryID) for researcher \(researcher) in '\(path)': \(error)")
        }
        return decision
    }

    private static func decide(
        _ db: Database, researcher: String, query: String, rho: Double, now: Int64, limits: PrivacyLimits
    ) throws -> LedgerDecision {
        for (span, limit, name) in [
            (PrivacyLimits.minuteMilliseconds, limits.maxPerMinute, "minute"), (PrivacyLimits.dayMilliseconds, limits.maxPerDay, "day"),
        ] {
            let times = try admittedTimes(db, researcher: researcher, after: now - span)
            guard times.count >= limit else { continue }
            guard limit > 0 else {
                return .refused(reason: "rate: this provider allows no queries per \(name) (researcher \(researcher))")
            }
            // The plan may run once enough of the counted ones have left the span: the
            // (count - limit + 1)-th oldest leaves it `span` after it was admitted.
            let retry = times[times.count - limit] + span
            let last = name == "minute" ? "the last minute" : "the last 24 hours"
            return .refused(
                reason:
                    "rate: researcher \(researcher) asked \(times.count) queries in \(last); this provider allows \(limit) per \(name) (retry after \(ISO8601Time.text(milliseconds: retry)))"
            )
        }
        let windowStart = now - limits.windowMilliseconds
        let spent = try spent(db, researcher: researcher, after: windowStart)
        let window = "in the last \(limits.windowText)"
        let isRepeat =
            try Bool.fetchOne(
                db,
                sql: "SELECT EXISTS (SELECT 1 FROM \(table) WHERE researcher = ? AND outcome = 'admitted' AND time_ms > ? AND query = ? AND rho IS NOT NULL AND rho >= ?)",
                arguments: [researcher, windowStart, query, rho - tolerance]
            ) ?? false
        // NaN never compares, so a NaN loss is never a repeat.
        if isRepeat, rho.isFinite, rho >= 0 {
            return .admitted(charged: 0, spent: spent, remaining: limits.budget.map { remaining(budget: $0, spent: spent) })
        }
        guard let budget = limits.budget else {
            // Unlimited: anything within the rates runs; the ledger still records the loss.
            let total = spent + charge(rho)
            return .admitted(charged: rho, spent: total, remaining: nil)
        }
        let budgetText = "rho \(PrivacyLimits.rhoText(budget)) per \(limits.windowText)"
        if rho.isNaN || rho < 0 {
            return .refused(reason: "budget: researcher \(researcher): this query's privacy loss (rho \(PrivacyLimits.rhoText(rho))) is not a number of at least 0, so it cannot be charged against the budget of \(budgetText)")
        }
        if rho.isInfinite {
            return .refused(
                reason: "budget: researcher \(researcher): this query's privacy loss is unbounded (rho infinity: its values would be released without noise), more than any budget; this provider allows \(budgetText)"
            )
        }
        if !spent.isFinite {
            return .refused(reason: "budget: researcher \(researcher) has spent an unbounded privacy loss \(window) (a plan admitted while the budget was unlimited); this query costs \(PrivacyLimits.rhoText(rho))")
        }
        if spent + rho > budget + tolerance {
            return .refused(
                reason:
                    "budget: researcher \(researcher) has spent rho \(PrivacyLimits.rhoText(spent)) of \(PrivacyLimits.rhoText(budget)) \(window); this query costs \(PrivacyLimits.rhoText(rho))"
            )
        }
        let total = spent + rho
        return .admitted(charged: rho, spent: total, remaining: remaining(budget: budget, spent: total))
    }

    private static func remaining(budget: Double, spent: Double) -> Double {
        spent.isFinite ? max(0, budget - spent) : 0
    }

    /// What a stored charge adds to the spending: a NaN (stored as NULL) counts as unbounded,
    /// a negative one as nothing, so that no stored value can give budget back.
    private static func charge(_ value: Double?) -> Double {
        guard let value, !value.isNaN else { return .infinity }
        return max(0, value)
    }

    /// Times of the researcher's admitted plans after `after` (exclusive), oldest first.
    /// Plans stamped later than now (a clock stepped back) count too: a clock step must not
    /// give back budget or rate.
    private static func admittedTimes(_ db: Database, researcher: String, after: Int64) throws -> [Int64] {
        try Int64.fetchAll(
            db,
            sql: "SELECT time_ms FROM \(table) WHERE researcher = ? AND outcome = 'admitted' AND time_ms > ? ORDER BY time_ms",
            arguments: [researcher, after]
        )
    }

    /// The sum of the researcher's charges admitted after `after` (exclusive).
    private static func spent(_ db: Database, researcher: String, after: Int64) throws -> Double {
        let charges = try Optional<Double>.fetchAll(
            db,
            sql: "SELECT charged FROM \(table) WHERE researcher = ? AND outcome = 'admitted' AND time_ms > ?",
            arguments: [researcher, after]
        )
        return charges.reduce(0) { $0 + charge($1) }
    }

    // MARK: Reading

    /// The entries of one researcher (every researcher when nil), oldest first; entries of
    /// the same millisecond in the order they were written. None when the table is missing.
    func entries(researcher: String?) throws(LedgerError) -> [LedgerEntry] {
        do {
            return try queue.read { db in
                guard try db.tableExists(Self.table) else { return [] }
                let filter = researcher == nil ? "" : "WHERE researcher = ?"
                let rows = try Row.fetchCursor(
                    db,
                    sql: "SELECT id, time_ms, researcher, query_id, query, rho, charged, outcome, reason FROM \(Self.table) \(filter) ORDER BY time_ms, id",
                    arguments: researcher.map { StatementArguments([$0]) } ?? StatementArguments()
                )
                var entries: [LedgerEntry] = []
                while let row = try rows.next() {
                    let id: Int64 = row["id"]
                    let name: String = row["outcome"]
                    guard let outcome = LedgerEntry.Outcome(rawValue: name) else {
                        throw LedgerError(description: "'\(path)': privacy ledger row \(id) has outcome '\(name)'; expected admitted or refused")
                    }
                    let rho: Double? = row["rho"]
                    let charged: Double? = row["charged"]
                    entries.append(
                        LedgerEntry(
                            id: id,
                            timeMilliseconds: row["time_ms"],
                            researcher: row["researcher"],
                            queryID: row["query_id"],
                            query: row["query"],
                            rho: rho ?? .nan,
                            charged: charged ?? .nan,
                            outcome: outcome,
                            reason: row["reason"]
                        )
                    )
                }
                return entries
            }
        } catch let error as LedgerError {
            throw error
        } catch {
            throw LedgerError(description: "cannot read the privacy ledger in '\(path)': \(error)")
        }
    }

    /// Every researcher in the ledger with their standing at `now` under `limits`, sorted by
    /// researcher ID. None when the table is missing.
    func summaries(nowMilliseconds now: Int64, limits: PrivacyLimits) throws(LedgerError) -> [ResearcherSummary] {
        do {
            return try queue.read { db in
                guard try db.tableExists(Self.table) else { return [] }
                let rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT researcher,
                            SUM(outcome = 'admitted') AS admitted,
                            SUM(outcome = 'refused') AS refused,
                            SUM(outcome = 'admitted' AND time_ms > ?) AS last_minute,
                            SUM(outcome = 'admitted' AND time_ms > ?) AS last_day
                        FROM \(Self.table) GROUP BY researcher ORDER BY researcher
                        """,
                    arguments: [now - PrivacyLimits.minuteMilliseconds, now - PrivacyLimits.dayMilliseconds]
                )
                return try rows.map { row in
                    let researcher: String = row["researcher"]
                    let spent = try Self.spent(db, researcher: researcher, after: now - limits.windowMilliseconds)
                    return ResearcherSummary(
                        researcher: researcher,
                        spent: spent,
                        budget: limits.budget,
                        remaining: limits.budget.map { Self.remaining(budget: $0, spent: spent) },
                        admittedLastMinute: row["last_minute"],
                        admittedLastDay: row["last_day"],
                        totalAdmitted: row["admitted"],
                        totalRefused: row["refused"]
                    )
                }
            }
        } catch {
            throw LedgerError(description: "cannot read the privacy ledger in '\(path)': \(error)")
        }
    }
}
