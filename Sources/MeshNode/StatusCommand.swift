import ArgumentParser
import Foundation

/// `meshnode status`: the members and catalogues a running node sees.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the members and verified catalogues a running node sees."
    )

    @Option(help: "The node's configuration file.")
    var config: String

    @Flag(help: "Print the raw status as JSON.")
    var json = false

    /// A status older than this means the node is not running (it rewrites it every second).
    static let staleAfterSeconds: TimeInterval = 5

    func run() throws {
        let node = try NodeConfig.load(path: config)
        let status: NodeStatus
        do {
            status = try NodeStatus.read(fromDirectory: node.directory)
        } catch {
            throw CommandFailure("node \(node.nodeID) has no status in \(node.directory); is it running? (start it with `meshnode run --config \(config)`)")
        }
        let age = Date().timeIntervalSince(status.updatedAt)
        let running = age < Self.staleAfterSeconds && kill(status.processID, 0) == 0
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.dateEncodingStrategy = .iso8601
            print(String(decoding: try encoder.encode(status), as: UTF8.self))
            return
        }
        print("node \(status.nodeID) on \(status.listen), pid \(status.processID), \(running ? "running" : "NOT RUNNING (status is \(Int(age)) s old)")")
        print("incarnation \(status.incarnation), local health \(status.localHealth), connected to \(status.connectedPeers.count) peers")
        print("")
        print("members (\(status.members.count)):")
        for member in status.members.sorted(by: { $0.nodeID < $1.nodeID }) {
            print("  \(member.nodeID.padding(toLength: 24, withPad: " ", startingAt: 0)) \(member.status.padding(toLength: 8, withPad: " ", startingAt: 0)) incarnation \(member.incarnation)  \(member.address)")
        }
        print("")
        print("verified catalogues (\(status.catalogues.count)):")
        for catalogue in status.catalogues.sorted(by: { $0.nodeID < $1.nodeID }) {
            print("  \(catalogue.nodeID.padding(toLength: 24, withPad: " ", startingAt: 0)) version \(catalogue.version)  subjects \(catalogue.subjects)  expires \(ISO8601DateFormatter().string(from: catalogue.expiresAt))")
        }
        if !status.catalogueRejections.isEmpty {
            print("")
            print("rejected catalogues: " + status.catalogueRejections.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
    }
}
