import ArgumentParser
import Foundation
import MeshCore

/// `meshnode audit`: shows a site admin (or the site's data protection officer) every query
/// plan the node answered, refused or failed, and every researcher submission it released or
/// refused, read from the node's own database, so the answer does not depend on the node
/// running; `meshnode audit verify` checks that nobody edited, deleted or reordered records
/// since they were written.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Show or verify the node's audit log: every query plan it answered, refused or failed, and every submission it released or refused.",
        subcommands: [Show.self, Verify.self],
        defaultSubcommand: Show.self
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, json
    }

    /// `meshnode audit [show]`: the records, as a table or JSON.
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the audit records (the default: `meshnode audit --config ...` is `meshnode audit show --config ...`)."
        )

        @Option(help: "The node's configuration file.")
        var config: String

        @Option(
            help: ArgumentHelp(
                "Only records at or after this time: an ISO 8601 date-time (2026-11-27T12:00:00Z), a date (2026-11-27, midnight UTC) or a duration before now (15m, 2h, 3d).",
                valueName: "time"
            )
        )
        var since: String?

        @Option(help: "Output format: table or json.")
        var format: Format = .table

        /// A mistyped --since fails here, before anything is opened, with this command's usage.
        func validate() throws {
            if let since { _ = try AuditCommand.since(parsing: since, now: Date()) }
        }

        func run() throws {
            var cutoff: Date?
            if let since { cutoff = try AuditCommand.since(parsing: since, now: Date()) }
            let node = try NodeConfig.load(path: config)
            let records = try AuditLog(readingAt: node.databasePath).records(since: cutoff)
            switch format {
            case .json:
                print(try AuditCommand.json(records))
            case .table:
                print(AuditCommand.table(records, since: cutoff), terminator: "")
            }
        }
    }

    /// `meshnode audit verify`: walks the hash chain of the audit log (read-only) and exits
    /// 0 when it is intact, 1 naming the first broken record otherwise. The chain head it
    /// prints is worth keeping elsewhere: a later head that does not extend it means the log
    /// was truncated or rewritten, which the table alone cannot show.
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check that no audit record was edited, deleted or reordered since it was written; exits 1 naming the first that was."
        )

        @Option(help: "The node's configuration file.")
        var config: String

        func run() throws {
            let node = try NodeConfig.load(path: config)
            let verification = try AuditLog(readingAt: node.databasePath).verify()
            let (ok, message) = AuditCommand.describe(verification, node: node.nodeID.description)
            if ok {
                print(message)
            } else {
                FileHandle.standardError.write(Data((message + "\n").utf8))
                throw ExitCode(1)
            }
        }
    }

    /// The line `meshnode audit verify` prints, and whether the log is intact.
    static func describe(_ verification: AuditVerification, node: String) -> (intact: Bool, message: String) {
        switch verification {
        case .intact(let records, let head):
            (true, "audit log of \(node) intact: \(records) \(records == 1 ? "record" : "records"), chain head \(head)")
        case .broken(_, let reason):
            (false, "audit log of \(node) broken at \(reason)")
        case .unchained(let records):
            (
                false,
                "audit log of \(node) unchained (written before hash chaining): \(records) \(records == 1 ? "record" : "records") that cannot be verified; open it with the node once to chain it"
            )
        }
    }

    // MARK: --since

    static let sinceForms =
        "use an ISO 8601 date-time with Z or an offset (2026-11-27T12:00:00Z), a date (2026-11-27, midnight UTC) or a duration before now in s, m, h or d (15m, 2h, 3d)"

    /// The time `text` names: an ISO 8601 date-time, a date (midnight UTC), or `now` minus a
    /// duration such as `15m`; thrown as a usage error naming the value otherwise.
    static func since(parsing text: String, now: Date) throws(ValidationError) -> Date {
        let notADate: ISO8601TimeError
        do {
            return try ISO8601Time.date(parsing: text)
        } catch {
            notADate = error
        }
        if let match = text.wholeMatch(of: #/([0-9]{1,9})([smhd])/#), let count = Double(match.1) {
            let unitSeconds: Double =
                switch match.2 {
                case "s": 1
                case "m": 60
                case "h": 3600
                default: 86_400
                }
            return now.addingTimeInterval(-count * unitSeconds)
        }
        // Text that starts like a date is told what is wrong with it as a date.
        if text.prefixMatch(of: #/[0-9]{4}-/#) != nil {
            throw ValidationError("--since \(notADate); \(sinceForms)")
        }
        throw ValidationError("--since '\(text)' is not a time; \(sinceForms)")
    }

    // MARK: Output

    /// A JSON array of the records' `Codable` form, keys sorted so that output diffs cleanly.
    static func json(_ records: [AuditRecord]) throws -> String {
        // Foundation pretty-prints an empty array over three lines.
        guard !records.isEmpty else { return "[]" }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(records), as: UTF8.self)
    }

    /// Aligned columns, one line per record, the query last because it is the longest.
    static func table(_ records: [AuditRecord], since: Date?) -> String {
        guard !records.isEmpty else {
            let window = since.map { " since " + ISO8601Time.text($0) } ?? ""
            return "no audit records\(window)\n"
        }
        let header = ["time", "kind", "query id", "researcher", "origin", "outcome", "cells", "query"]
        let rows = records.map { record in
            [
                ISO8601Time.text(milliseconds: record.timeMilliseconds),
                record.kind.rawValue,
                record.queryID,
                record.researcher,
                record.origin,
                record.outcome.text,
                String(record.cellCount),
                record.query,
            ].map(oneLine)
        }
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        let cellsColumn = 6
        func line(_ values: [String]) -> String {
            values.enumerated().map { index, value in
                let padding = String(repeating: " ", count: widths[index] - value.count)
                if index == values.count - 1 { return value }
                return index == cellsColumn ? padding + value : value + padding
            }.joined(separator: "  ")
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n") + "\n"
    }

    /// Line breaks and tabs in a query or reason would break the one-line-per-record layout.
    private static func oneLine(_ text: String) -> String {
        String(text.map { $0.isNewline || $0 == "\t" ? " " : $0 })
    }
}
