import ArgumentParser
import Foundation
import MeshCore

/// `meshnode budget`: shows a site admin how much of this provider's privacy budget each
/// researcher has spent in the rolling window, how close they are to the rate limits, and
/// (for one researcher) every plan the ledger admitted or refused. It reads the node's own
/// database, so the answer does not depend on the node running; it never changes it.
/// See docs/PRIVACY.md, "Budgets and rates".
struct BudgetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "budget",
        abstract: "Show each researcher's privacy budget spent at this node, their rate use, and the ledger."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, json
    }

    @Option(help: "The node's configuration file.")
    var config: String

    @Option(help: ArgumentHelp("Only this researcher, with their ledger entries (oldest first).", valueName: "id"))
    var researcher: String?

    @Option(help: "Output format: table or json.")
    var format: Format = .table

    func run() throws {
        let node = try NodeConfig.load(path: config)
        let limits = PrivacyLimits(policy: node.policy)
        let ledger = try PrivacyLedger(readingAt: node.databasePath)
        let report = try Self.report(ledger: ledger, researcher: researcher, nowMilliseconds: UnixMilliseconds.now(), limits: limits)
        switch format {
        case .json:
            print(try Self.json(node: node.nodeID.description, policy: node.policy, report: report))
        case .table:
            print(Self.table(node: node.nodeID.description, limits: limits, report: report), terminator: "")
        }
    }

    /// What the command shows: the researchers' standings and, per researcher, their entries
    /// (oldest first). Asked for one researcher, that researcher is shown even without entries
    /// (nothing spent), so "how much has alice left?" always has an answer.
    struct Report: Equatable {
        var summaries: [ResearcherSummary]
        var entries: [String: [LedgerEntry]]
        /// Whether one researcher was asked for (the table then lists their entries).
        var single: Bool
    }

    static func report(ledger: PrivacyLedger, researcher: String?, nowMilliseconds now: Int64, limits: PrivacyLimits) throws -> Report {
        var summaries = try ledger.summaries(nowMilliseconds: now, limits: limits)
        if let researcher {
            summaries = summaries.filter { $0.researcher == researcher }
            if summaries.isEmpty {
                summaries = [
                    ResearcherSummary(
                        researcher: researcher, spent: 0, budget: limits.budget, remaining: limits.budget, admittedLastMinute: 0, admittedLastDay: 0,
                        totalAdmitted: 0, totalRefused: 0
                    )
                ]
            }
        }
        let entries = Dictionary(grouping: try ledger.entries(researcher: researcher), by: \.researcher)
        return Report(summaries: summaries, entries: entries, single: researcher != nil)
    }

    // MARK: JSON

    /// `{"node", "budget", "window_days", "max_queries_per_minute", "max_queries_per_day",
    /// "researchers": [{"researcher", "spent", "remaining", "queries_last_minute",
    /// "queries_last_day", "admitted", "refused", "entries": [{"time", "query_id", "query",
    /// "rho", "charged", "outcome", "reason"}]}]}`, keys sorted. An unlimited budget (and its
    /// remaining) is null; so is a loss that is not a finite number (JSON has none).
    static func json(node: String, policy: NodeConfig.Policy, report: Report) throws -> String {
        let document = Document(
            node: node,
            budget: policy.privacyBudget,
            windowDays: policy.budgetWindowDays,
            maxPerMinute: policy.maxQueriesPerMinute,
            maxPerDay: policy.maxQueriesPerDay,
            researchers: report.summaries.map { ResearcherJSON(summary: $0, entries: report.entries[$0.researcher] ?? []) }
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(document), as: UTF8.self)
    }

    private struct Document: Encodable {
        var node: String
        var budget: Double?
        var windowDays: Int
        var maxPerMinute: Int
        var maxPerDay: Int
        var researchers: [ResearcherJSON]

        enum CodingKeys: String, CodingKey {
            case node, budget, windowDays = "window_days", maxPerMinute = "max_queries_per_minute", maxPerDay = "max_queries_per_day", researchers
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(node, forKey: .node)
            try BudgetCommand.encodeNumber(budget, &container, .budget)
            try container.encode(windowDays, forKey: .windowDays)
            try container.encode(maxPerMinute, forKey: .maxPerMinute)
            try container.encode(maxPerDay, forKey: .maxPerDay)
            try container.encode(researchers, forKey: .researchers)
        }
    }

    private struct ResearcherJSON: Encodable {
        var summary: ResearcherSummary
        var entries: [LedgerEntry]

        enum CodingKeys: String, CodingKey {
            case researcher, spent, remaining, lastMinute = "queries_last_minute", lastDay = "queries_last_day", admitted, refused, entries
        }

        enum EntryKeys: String, CodingKey {
            case time, queryID = "query_id", query, rho, charged, outcome, reason
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(summary.researcher, forKey: .researcher)
            try BudgetCommand.encodeNumber(summary.spent, &container, .spent)
            try BudgetCommand.encodeNumber(summary.remaining, &container, .remaining)
            try container.encode(summary.admittedLastMinute, forKey: .lastMinute)
            try container.encode(summary.admittedLastDay, forKey: .lastDay)
            try container.encode(summary.totalAdmitted, forKey: .admitted)
            try container.encode(summary.totalRefused, forKey: .refused)
            var list = container.nestedUnkeyedContainer(forKey: .entries)
            for entry in entries {
                var object = list.nestedContainer(keyedBy: EntryKeys.self)
                try object.encode(ISO8601Time.text(milliseconds: entry.timeMilliseconds), forKey: .time)
                try object.encode(entry.queryID, forKey: .queryID)
                try object.encode(entry.query, forKey: .query)
                try BudgetCommand.encodeNumber(entry.rho, &object, .rho)
                try BudgetCommand.encodeNumber(entry.charged, &object, .charged)
                try object.encode(entry.outcome.rawValue, forKey: .outcome)
                if let reason = entry.reason {
                    try object.encode(reason, forKey: .reason)
                } else {
                    try object.encodeNil(forKey: .reason)
                }
            }
        }
    }

    /// A number, or null when absent or not finite.
    private static func encodeNumber<Key: CodingKey>(_ value: Double?, _ container: inout KeyedEncodingContainer<Key>, _ key: Key) throws {
        if let value, value.isFinite {
            try container.encode(value, forKey: key)
        } else {
            try container.encodeNil(forKey: key)
        }
    }

    // MARK: Table

    /// A line with the node's limits, then aligned columns, one line per researcher; asked
    /// for one researcher, their entries follow, oldest first (newest last).
    static func table(node: String, limits: PrivacyLimits, report: Report) -> String {
        let budget = limits.budget.map { "rho \(PrivacyLimits.rhoText($0)) per \(limits.windowText)" } ?? "unlimited"
        var text =
            "node \(node): privacy budget \(budget) per researcher; at most \(limits.maxPerMinute) queries per minute and \(limits.maxPerDay) per day\n"
        guard !report.summaries.isEmpty else { return text + "no privacy ledger entries\n" }
        let header = ["researcher", "spent", "budget", "remaining", "window", "last minute", "last 24 h", "admitted", "refused"]
        let rows = report.summaries.map { summary in
            [
                summary.researcher,
                PrivacyLimits.rhoText(summary.spent),
                summary.budget.map(PrivacyLimits.rhoText) ?? "unlimited",
                summary.remaining.map(PrivacyLimits.rhoText) ?? "-",
                limits.windowText,
                "\(summary.admittedLastMinute)/\(limits.maxPerMinute)",
                "\(summary.admittedLastDay)/\(limits.maxPerDay)",
                String(summary.totalAdmitted),
                String(summary.totalRefused),
            ].map(oneLine)
        }
        text += columns(header, rows)
        guard report.single else { return text }
        for summary in report.summaries {
            let entries = report.entries[summary.researcher] ?? []
            guard !entries.isEmpty else {
                text += "\nno ledger entries for researcher \(summary.researcher)\n"
                continue
            }
            text += "\nledger of researcher \(summary.researcher), oldest first:\n"
            let entryRows = entries.map { entry in
                [
                    ISO8601Time.text(milliseconds: entry.timeMilliseconds),
                    entry.queryID,
                    PrivacyLimits.rhoText(entry.rho),
                    PrivacyLimits.rhoText(entry.charged),
                    entry.reason.map { "\(entry.outcome.rawValue): \($0)" } ?? entry.outcome.rawValue,
                    entry.query,
                ].map(oneLine)
            }
            text += columns(["time", "query id", "rho", "charged", "outcome", "query"], entryRows)
        }
        return text
    }

    private static func columns(_ header: [String], _ rows: [[String]]) -> String {
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        func line(_ values: [String]) -> String {
            values.enumerated().map { index, value in
                index == values.count - 1 ? value : value + String(repeating: " ", count: widths[index] - value.count)
            }.joined(separator: "  ")
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n") + "\n"
    }

    /// Line breaks and tabs in a query or reason would break the one-line-per-row layout.
    private static func oneLine(_ text: String) -> String {
        String(text.map { $0.isNewline || $0 == "\t" ? " " : $0 })
    }
}
