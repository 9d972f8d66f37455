import Foundation
import GRDB
import MeshCore
import TestSupport
import Testing

@testable import MeshNode

/// The per-researcher privacy ledger: budgets in a rolling window, free repeats, rates,
/// recorded refusals, and that the spent budget survives a restart.
@Suite struct PrivacyLedgerTests {
    /// 2026-11-27T12:00:00Z in unix milliseconds.
    static let noon: Int64 = 1_795_780_800_000
    static let minute: Int64 = 60_000
    static let hour: Int64 = 3_600_000
    static let day: Int64 = 86_400_000

    /// Budget 1 per 30 days; rates high enough not to matter unless a test lowers them.
    static let limits = PrivacyLimits(budget: 1, windowMilliseconds: 30 * day, maxPerMinute: 1000, maxPerDay: 100_000)

    static func query(_ number: Int) -> String {
        "SELECT COUNT(DISTINCT subject_id) FROM cases WHERE age >= \(number) GROUP BY modality"
    }

    /// A ledger in a fresh temporary site database.
    static func ledger() throws -> (TemporaryDirectory, PrivacyLedger) {
        let directory = try TemporaryDirectory()
        return (directory, try PrivacyLedger(path: directory.file("site.sqlite")))
    }

    static func admit(
        _ ledger: PrivacyLedger, by researcher: String = "alice", _ number: Int, rho: Double, at time: Int64, _ limits: PrivacyLimits = limits
    ) throws -> LedgerDecision {
        try ledger.admit(
            researcher: researcher, queryID: String(format: "%032llx", time), query: query(number), rho: rho, nowMilliseconds: time, limits: limits
        )
    }

    static func reason(_ decision: LedgerDecision) -> String {
        if case .refused(let reason) = decision { return reason }
        return ""
    }

    @Test func limitsComeFromThePolicy() {
        var policy = NodeConfig.Policy()
        #expect(
            PrivacyLimits(policy: policy)
                == PrivacyLimits(
                    budget: NodeConfig.Policy.defaultPrivacyBudget, windowMilliseconds: Int64(policy.budgetWindowDays) * Self.day,
                    maxPerMinute: policy.maxQueriesPerMinute, maxPerDay: policy.maxQueriesPerDay
                )
        )
        policy.privacyBudget = nil
        policy.budgetWindowDays = 7
        policy.maxQueriesPerMinute = 2
        policy.maxQueriesPerDay = 9
        #expect(PrivacyLimits(policy: policy) == PrivacyLimits(budget: nil, windowMilliseconds: 7 * Self.day, maxPerMinute: 2, maxPerDay: 9))
        #expect(PrivacyLimits(policy: policy).windowText == "7 days")
    }

    @Test func refusesOnceTheBudgetIsExhausted() throws {
        let (directory, ledger) = try Self.ledger()
        defer { directory.remove() }
        #expect(try Self.admit(ledger, 1, rho: 0.25, at: Self.noon) == .admitted(charged: 0.25, spent: 0.25, remaining: 0.75))
        #expect(try Self.admit(ledger, 2, rho: 0.5, at: Self.noon + 1) == .admitted(charged: 0.5, spent: 0.75, remaining: 0.25))
        // Exactly the rest of the budget still fits.
        #expect(try Self.admit(ledger, 3, rho: 0.25, at: Self.noon + 2) == .admitted(charged: 0.25, spent: 1, remaining: 0))
        let refused = try Self.admit(ledger, 4, rho: 0.0625, at: Self.noon + 3)
        #expect(refused == .refused(reason: "budget: researcher alice has spent rho 1 of 1 in the last 30 days; this query costs 0.0625"))
        // Another researcher has a budget of their own.
        #expect(try Self.admit(ledger, by: "bob", 4, rho: 0.0625, at: Self.noon + 4) == .admitted(charged: 0.0625, spent: 0.0625, remaining: 0.9375))
    }

    @Test func aRepeatCostsNothingEvenWithTheBudgetExhausted() throws {
        let (directory, ledger) = try Self.ledger()
        defer { directory.remove() }
        _ = try Self.admit(ledger, 1, rho: 0.5, at: Self.noon)
        _ = try Self.admit(ledger, 2, rho: 0.5, at: Self.noon + Self.hour)
        #expect(Self.reason(try Self.admit(ledger, 3, rho: 0.5, at: Self.noon + 2 * Self.hour)).hasPrefix("budget: "))
        // The same normalised text with the same loss reveals nothing new.
        #expect(try Self.admit(ledger, 1, rho: 0.5, at: Self.noon + 3 * Self.hour) == .admitted(charged: 0, spent: 1, remaining: 0))
        #expect(try Self.admit(ledger, 2, rho: 0.25, at: Self.noon + 4 * Self.hour) == .admitted(charged: 0, spent: 1, remaining: 0))
        // The same text with a larger loss than was paid is a new release.
        #expect(Self.reason(try Self.admit(ledger, 1, rho: 0.75, at: Self.noon + 5 * Self.hour)).hasPrefix("budget: "))
        // Another researcher's earlier query is no repeat for bob.
        #expect(try Self.admit(ledger, by: "bob", 1, rho: 0.5, at: Self.noon + 6 * Self.hour) == .admitted(charged: 0.5, spent: 0.5, remaining: 0.5))
        let charged = try ledger.entries(researcher: "alice").map(\.charged)
        #expect(charged == [0.5, 0.5, 0, 0, 0, 0])
    }

    @Test func theWindowRolls() throws {
        let (directory, ledger) = try Self.ledger()
        defer { directory.remove() }
        let limits = PrivacyLimits(budget: 1, windowMilliseconds: Self.day, maxPerMinute: 1000, maxPerDay: 100_000)
        #expect(try Self.admit(ledger, 1, rho: 1, at: Self.noon, limits) == .admitted(charged: 1, spent: 1, remaining: 0))
        let inside = try Self.admit(ledger, 2, rho: 0.5, at: Self.noon + Self.day - 1, limits)
        #expect(inside == .refused(reason: "budget: researcher alice has spent rho 1 of 1 in the last 1 day; this query costs 0.5"))
        // The window is (now - window, now]: the first charge has left it.
        #expect(try Self.admit(ledger, 2, rho: 0.5, at: Self.noon + Self.day, limits) == .admitted(charged: 0.5, spent: 0.5, remaining: 0.5))
        // Outside the window, the first query is no longer a repeat: it is paid again.
        #expect(try Self.admit(ledger, 1, rho: 0.5, at: Self.noon + Self.day + 1, limits) == .admitted(charged: 0.5, spent: 1, remaining: 0))
        let summary = try #require(try ledger.summaries(nowMilliseconds: Self.noon + Self.day + 2, limits: limits).first)
        #expect(summary.spent == 1 && summary.remaining == 0 && summary.totalAdmitted == 3 && summary.totalRefused == 1)
        let later = try #require(try ledger.summaries(nowMilliseconds: Self.noon + 3 * Self.day, limits: limits).first)
        #expect(later.spent == 0 && later.remaining == 1 && later.admittedLastDay == 0)
    }

    @Test func refusesPastTheRatePerMinute() throws {
        let (directory, ledger) = try Self.ledger()
        defer { directory.remove() }
        let limits = PrivacyLimits(budget: nil, windowMilliseconds: 30 * Self.day, maxPerMinute: 3, maxPerDay: 100)
        for (index, offset) in [0, 10_000, 20_000].enumerated() {
            #expect(try Self.admit(ledger, index, rho: 0.01, at: Self.noon + Int64(offset), limits).isAdmitted)
        }
        // Repeats count toward the rate: they still run a plan.
        let refused = try Self.admit(ledger, 0, rho: 0.01, at: Self.noon + 30_000, limits)
        #expect(
            refused
                == .refused(reason: "rate: researcher alice asked 3 queries in the last minute; this provider allows 3 per minute (retry after 2026-11-27T12:01:00.000Z)")
        )
        #expect(Self.reason(try Self.admit(ledger, 5, rho: 0.01, at: Self.noon + Self.minute - 1, limits)).hasPrefix("rate: "))
        // At the retry time the oldest has left the minute.
        #expect(try Self.admit(ledger, 5, rho: 0.01, at: Self.noon + Self.minute, limits).isAdmitted)
        #expect(try Self.admit(ledger, by: "bob", 5, rho: 0.01, at: Self.noon + Self.minute, limits).isAdmitted)
    }

    @Test func refusesPastTheRatePerDay() throws {
        let (directory, ledger) = try Self.ledger()
        defer { directory.remove() }
        let limits = PrivacyLimits(budget: 5, windowMilliseconds: 30 * Self.day, maxPerMinute: 30, maxPerDay: 2)
        #expect(try Self.admit(ledger, 1, rho: 0.125, at: Self.noon, limits).isAdmitted)
        #expect(try Self.admit(ledger, 2, rho: 0.125, at: Self.noon + Self.hour, limits).isAdmitted)
        let refused = try Self.admit(ledger, 3, rho: 0.125, at: Self.noon + 2 * Self.hour, limits)
        #expect(
            refused
                == .refused(reason: "rate: researcher alice asked 2 queries in the last 24 hours; this provider allows 2 per day (retry after 2026-11-28T12:00:00.000Z)")
        )
        #expect(try Self.admit(ledger, 3, rho: 0.125, at: Self.noon + Self.day, limits) == .admitted(charged: 0.125, spent: 0.375, remaining: 4.625))
    }

    @Test func refusalsAreRecordedAndDoNotCount() throws {
        let (directory, ledger) = try Self.ledger()
        defer { directory.remove() }
        let database = directory.file("site.sqlite")
        let limits = PrivacyLimits(budget: 1, windowMilliseconds: 30 * Self.day, maxPerMinute: 2, maxPerDay: 100)
        #expect(try Self.admit(ledger, 1, rho: 0.5, at: Self.noon, limits).isAdmitted)
        for offset in 1...5 {
            #expect(Self.reason(try Self.admit(ledger, 2, rho: 0.75, at: Self.noon + Int64(offset), limits)).hasPrefix("budget: "))
        }
        // Five refusals in the same minute neither used the rate of 2 nor spent budget.
        #expect(try Self.admit(ledger, 3, rho: 0.5, at: Self.noon + 10, limits) == .admitted(charged: 0.5, spent: 1, remaining: 0))
        #expect(Self.reason(try Self.admit(ledger, 4, rho: 0, at: Self.noon + 20, limits)).hasPrefix("rate: "))

        let entries = try ledger.entries(researcher: nil)
        #expect(entries.map(\.outcome) == [.admitted] + Array(repeating: .refused, count: 5) + [.admitted, .refused])
        #expect(entries[1].charged == 0 && entries[1].rho == 0.75 && entries[1].reason?.hasPrefix("budget: researcher alice has spent rho 0.5 of 1") == true)
        #expect(entries[0].reason == nil && entries[0].queryID == String(format: "%032llx", Self.noon) && entries[0].query == Self.query(1))
        let summary = try #require(try ledger.summaries(nowMilliseconds: Self.noon + 30, limits: limits).first)
        #expect(
            summary
                == ResearcherSummary(
                    researcher: "alice", spent: 1, budget: 1, remaining: 0, admittedLastMinute: 2, admittedLastDay: 2, totalAdmitted: 2, totalRefused: 6
                )
        )

        // The documented columns and the index, as another connection sees them.
        let rows = try DatabaseQueue(path: database).read { db in
            try Row.fetchAll(db, sql: "SELECT time_ms, researcher, rho, charged, outcome, reason, typeof(time_ms) AS time_type FROM oncomesh_privacy_ledger ORDER BY id")
        }
        #expect(rows.count == 8)
        #expect(rows.map { $0["time_type"] as String }.allSatisfy { $0 == "integer" })
        #expect(rows.map { $0["charged"] as Double } == [0.5, 0, 0, 0, 0, 0, 0.5, 0])
        let indexes = try DatabaseQueue(path: database).read { db in try db.indexes(on: "oncomesh_privacy_ledger") }
        #expect(indexes.contains { $0.columns == ["researcher", "time_ms"] })
    }

    @Test func survivesRestart() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let database = directory.file("site.sqlite")
        do {
            let ledger = try PrivacyLedger(path: database)
            #expect(try Self.admit(ledger, 1, rho: 0.75, at: Self.noon) == .admitted(charged: 0.75, spent: 0.75, remaining: 0.25))
        }
        let reopened = try PrivacyLedger(path: database)
        let refused = try Self.admit(reopened, 2, rho: 0.5, at: Self.noon + Self.hour)
        #expect(refused == .refused(reason: "budget: researcher alice has spent rho 0.75 of 1 in the last 30 days; this query costs 0.5"))
        #expect(try Self.admit(reopened, 1, rho: 0.75, at: Self.noon + 2 * Self.hour) == .admitted(charged: 0, spent: 0.75, remaining: 0.25))
        let reader = try PrivacyLedger(readingAt: database)
        #expect(try reader.summaries(nowMilliseconds: Self.noon + 3 * Self.hour, limits: Self.limits).map(\.spent) == [0.75])
        #expect(try reader.entries(researcher: "alice").count == 3)
        #expect(try reader.entries(researcher: "bob").isEmpty)
    }

    @Test func anUnboundedLossIsRefusedUnderABudgetAndAdmittedWithout() throws {
        let (directory, ledger) = try Self.ledger()
        defer { directory.remove() }
        let infinite = Self.reason(try Self.admit(ledger, 1, rho: .infinity, at: Self.noon))
        #expect(infinite.hasPrefix("budget: researcher alice: ") && infinite.contains("unbounded"), "\(infinite)")
        // Refused even as a "repeat" of an infinite query, and however often it comes.
        #expect(Self.reason(try Self.admit(ledger, 1, rho: .infinity, at: Self.noon + 1)).hasPrefix("budget: "))
        let notANumber = Self.reason(try Self.admit(ledger, 2, rho: .nan, at: Self.noon + 2))
        #expect(notANumber.hasPrefix("budget: ") && notANumber.contains("NaN"), "\(notANumber)")
        #expect(Self.reason(try Self.admit(ledger, 3, rho: -0.5, at: Self.noon + 3)).hasPrefix("budget: "))
        #expect(try ledger.summaries(nowMilliseconds: Self.noon + 4, limits: Self.limits).map(\.spent) == [0])

        let unlimited = PrivacyLimits(budget: nil, windowMilliseconds: 30 * Self.day, maxPerMinute: 1000, maxPerDay: 100_000)
        #expect(try Self.admit(ledger, by: "bob", 1, rho: .infinity, at: Self.noon, unlimited) == .admitted(charged: .infinity, spent: .infinity, remaining: nil))
        #expect(try Self.admit(ledger, by: "bob", 2, rho: 0.5, at: Self.noon + 1, unlimited) == .admitted(charged: 0.5, spent: .infinity, remaining: nil))
        let stored = try ledger.entries(researcher: "bob")
        #expect(stored.map(\.rho) == [.infinity, 0.5] && stored.map(\.charged) == [.infinity, 0.5])
        // Should the node later get a finite budget, the unbounded spending counts in full.
        let later = Self.reason(try Self.admit(ledger, by: "bob", 3, rho: 0.001, at: Self.noon + 2))
        #expect(later.hasPrefix("budget: researcher bob has spent an unbounded privacy loss"), "\(later)")
    }

    @Test func aReaderFindsNoEntriesWithoutTheTableAndLeavesTheDatabaseAlone() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let database = directory.file("site.sqlite")
        try DatabaseQueue(path: database).write { db in try db.execute(sql: "CREATE TABLE cases (subject_id TEXT)") }
        let reader = try PrivacyLedger(readingAt: database)
        #expect(try reader.entries(researcher: nil).isEmpty)
        #expect(try reader.summaries(nowMilliseconds: Self.noon, limits: Self.limits).isEmpty)
        #expect(try DatabaseQueue(path: database).read { db in try db.tableExists("oncomesh_privacy_ledger") } == false)
        let missing = directory.file("nowhere.sqlite")
        let error = #expect(throws: PrivacyLedger.LedgerError.self) { try PrivacyLedger(readingAt: missing) }
        #expect(error?.description.contains("no site database at '\(missing)'") == true)
        #expect(!FileManager.default.fileExists(atPath: missing))
    }
}

extension LedgerDecision {
    var isAdmitted: Bool {
        if case .admitted = self { return true }
        return false
    }
}

/// `meshnode budget` as a site admin uses it: the built executable reading the database
/// the node's configuration names.
@Suite struct PrivacyLedgerCommandTests {
    /// A node folder whose configuration names `site.sqlite` beside it and a budget of 2 per
    /// 7 days; the certificate files are not read by `meshnode budget`.
    func nodeFolder() throws -> (TemporaryDirectory, config: String, database: String) {
        try MinimalNodeConfig.folder(
            section: "policy", ["privacy_budget: 2", "budget_window_days: 7", "max_queries_per_minute: 10", "max_queries_per_day: 50"]
        )
    }

    @Test func theBinaryShowsTheSpentBudgetAsJSONAndTable() throws {
        let (directory, config, database) = try nodeFolder()
        defer { directory.remove() }
        let node = try NodeConfig.load(path: config)
        let limits = PrivacyLimits(policy: node.policy)
        #expect(limits == PrivacyLimits(budget: 2, windowMilliseconds: 7 * PrivacyLedgerTests.day, maxPerMinute: 10, maxPerDay: 50))
        let ledger = try PrivacyLedger(path: database)
        // A little in the past, so that the command's own clock sees them within the minute.
        let now = UnixMilliseconds.from(Date()) - 5_000
        let decisions = [
            try ledger.admit(researcher: "alice", queryID: "a1", query: PrivacyLedgerTests.query(1), rho: 0.75, nowMilliseconds: now, limits: limits),
            try ledger.admit(researcher: "alice", queryID: "a2", query: PrivacyLedgerTests.query(2), rho: 0.5, nowMilliseconds: now + 1, limits: limits),
            try ledger.admit(researcher: "alice", queryID: "a3", query: PrivacyLedgerTests.query(3), rho: 1, nowMilliseconds: now + 2, limits: limits),
            try ledger.admit(researcher: "bob", queryID: "b1", query: PrivacyLedgerTests.query(1), rho: 0.25, nowMilliseconds: now + 3, limits: limits),
        ]
        #expect(decisions.map(\.isAdmitted) == [true, true, false, true])

        let json = try ProcessRunner.run(CACommandTests.meshnode, ["budget", "--config", config, "--format", "json"])
        #expect(json.status == 0, "\(json.combinedOutput)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any])
        #expect(document["node"] as? String == "hospital-a")
        #expect(document["budget"] as? Double == 2 && document["window_days"] as? Int == 7)
        let researchers = try #require(document["researchers"] as? [[String: Any]])
        #expect(researchers.map { $0["researcher"] as? String } == ["alice", "bob"])
        let alice = researchers[0]
        #expect(alice["spent"] as? Double == 1.25 && alice["remaining"] as? Double == 0.75, "\(alice)")
        #expect(alice["queries_last_minute"] as? Int == 2 && alice["queries_last_day"] as? Int == 2)
        let entries = try #require(alice["entries"] as? [[String: Any]])
        #expect(entries.count == 3)
        #expect(entries.allSatisfy { Set($0.keys) == ["time", "query_id", "query", "rho", "charged", "outcome", "reason"] })
        #expect(entries[0]["time"] as? String == ISO8601Time.text(milliseconds: now))
        #expect(entries[0]["query_id"] as? String == "a1" && entries[0]["outcome"] as? String == "admitted" && entries[0]["reason"] is NSNull)
        #expect(entries[2]["outcome"] as? String == "refused" && entries[2]["charged"] as? Double == 0 && entries[2]["rho"] as? Double == 1)
        #expect((entries[2]["reason"] as? String)?.hasPrefix("budget: researcher alice has spent rho 1.25 of 2 in the last 7 days") == true)
        #expect(researchers[1]["spent"] as? Double == 0.25)

        let one = try ProcessRunner.run(CACommandTests.meshnode, ["budget", "--config", config, "--researcher", "alice"])
        #expect(one.status == 0, "\(one.combinedOutput)")
        let lines = one.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines[0] == "node hospital-a: privacy budget rho 2 per 7 days per researcher; at most 10 queries per minute and 50 per day", "\(one.standardOutput)")
        #expect(lines[1].hasPrefix("researcher") && lines[2].hasPrefix("alice"))
        #expect(lines[2].split(separator: " ").map(String.init) == ["alice", "1.25", "2", "0.75", "7", "days", "2/10", "2/50", "2", "1"], "\(lines[2])")
        #expect(!one.standardOutput.contains("bob"))
        // The entries, newest last.
        #expect(lines.last?.contains("refused: budget: ") == true && lines.last?.hasSuffix(PrivacyLedgerTests.query(3)) == true, "\(one.standardOutput)")

        // A researcher who never asked has the whole budget.
        let nobody = try ProcessRunner.run(CACommandTests.meshnode, ["budget", "--config", config, "--researcher", "carol", "--format", "json"])
        let carol = try #require((try JSONSerialization.jsonObject(with: Data(nobody.standardOutput.utf8)) as? [String: Any])?["researchers"] as? [[String: Any]])
        #expect(carol.count == 1 && carol[0]["spent"] as? Double == 0 && carol[0]["remaining"] as? Double == 2, "\(nobody.combinedOutput)")
    }

    @Test func theBinaryHandlesAMissingDatabaseAndOneWithoutTheLedger() throws {
        let (directory, config, database) = try nodeFolder()
        defer { directory.remove() }
        let missing = try ProcessRunner.run(CACommandTests.meshnode, ["budget", "--config", config])
        #expect(missing.status != 0)
        #expect(missing.standardError.contains(database), "\(missing.combinedOutput)")
        #expect(!FileManager.default.fileExists(atPath: database))

        try DatabaseQueue(path: database).write { db in try db.execute(sql: "CREATE TABLE cases (subject_id TEXT)") }
        let table = try ProcessRunner.run(CACommandTests.meshnode, ["budget", "--config", config])
        #expect(table.status == 0, "\(table.combinedOutput)")
        #expect(table.standardOutput.hasSuffix("no privacy ledger entries\n"), "\(table.standardOutput)")
        let json = try ProcessRunner.run(CACommandTests.meshnode, ["budget", "--config", config, "--format", "json"])
        #expect(json.status == 0, "\(json.combinedOutput)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any])
        #expect((document["researchers"] as? [Any])?.isEmpty == true)
        #expect(try DatabaseQueue(path: database).read { db in try db.tableExists("oncomesh_privacy_ledger") } == false)
    }
}
