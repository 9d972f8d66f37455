import Foundation
import GRDB

/// How the node's own records (audit log, privacy ledger) open the site database.
///
/// - For writing: write-ahead logging with `synchronous=FULL`, so a commit is on disk when
///   it returns (a record is durable before the partial it accounts for leaves the node),
///   and one append and one fsync of the log per commit, where the rollback journal needs
///   several.
/// - For reading (`meshnode audit`, `meshnode budget`): read-only, and never creating a
///   missing database, so a mistyped path is an error rather than an empty new file.
///
/// Errors say what is wrong in words; the caller wraps them in its own error type.
enum SiteDatabase {
    static func openForWriting(path: String) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = WAL") }
        return queue
    }

    /// Why the database could not be opened for reading, in words for the operator.
    struct OpenError: Error, CustomStringConvertible {
        let description: String
    }

    static func openForReading(path: String) throws(OpenError) -> DatabaseQueue {
        guard FileManager.default.fileExists(atPath: path) else {
            throw OpenError(description: "there is no site database at '\(path)'; check the `database` setting of the node's configuration")
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.readonly = true
        do {
            return try DatabaseQueue(path: path, configuration: configuration)
        } catch {
            throw OpenError(description: "cannot open the site database '\(path)': \(error)")
        }
    }
}
