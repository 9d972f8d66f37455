import ArgumentParser
import Foundation
import Logging
import MeshCore
import NIOPosix
import Transport

/// `meshnode status`: asks a running node, over its own mutual-TLS port and with the
/// node's own identity, for the members and catalogues it sees.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Ask a running node for the members and verified catalogues it sees."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, json
    }

    @Option(help: "The node's configuration file.")
    var config: String

    @Option(help: "Output format: table or json.")
    var format: Format = .table

    @Option(help: "Seconds to wait for the node.")
    var timeout: Double = 5

    func run() async throws {
        let status = try await Self.fetch(config: config, timeout: timeout)
        switch format {
        case .json:
            print(String(decoding: try status.encoded(), as: UTF8.self))
        case .table:
            print(Self.table(status), terminator: "")
        }
    }

    /// Asks the node of the configuration file `config`, with the node's own identity, for
    /// its status (`meshnode status`, `meshnode members --config`).
    static func fetch(config: String, timeout: Double) async throws -> NodeStatus {
        let node = try NodeConfig.load(path: config)
        let credential = try Credential.load(certificatePath: node.certificatePath, keyPath: node.keyPath, caPath: node.caPath)
        var logger = Logger(label: "oncomesh.status")
        logger.logLevel = .critical
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let transport = try MeshTransport(credential: credential, eventLoop: group.next(), logger: logger)
        let status: NodeStatus
        do {
            let host = ["0.0.0.0", "::"].contains(node.listen.host) ? "127.0.0.1" : node.listen.host
            _ = try await transport.connect(to: PeerAddress(host: host, port: node.listen.port), expecting: node.nodeID)
            var request = Envelope()
            request.kind = .status
            let response = try await transport.request(request, to: node.nodeID, timeout: .milliseconds(Int64(timeout * 1000)))
            status = try NodeStatus.decoded(response.body)
        } catch {
            await transport.shutdown()
            try? await group.shutdownGracefully()
            throw CommandFailure("node \(node.nodeID) did not answer on \(node.listen): \(error); is it running? (start it with `meshnode run --config \(config)`)")
        }
        await transport.shutdown()
        try? await group.shutdownGracefully()
        return status
    }

    static func table(_ status: NodeStatus) -> String {
        var lines = [
            "node \(status.nodeID) on \(status.listen), pid \(status.processID), up since \(ISO8601Time.text(status.startedAt))",
            "incarnation \(status.incarnation), local health \(status.localHealth), connected to \(status.connectedPeers.count) peers",
            "",
            "members (\(status.members.count)):",
        ]
        for member in status.members.sorted(by: { $0.nodeID < $1.nodeID }) {
            lines.append(
                "  \(member.nodeID.padding(toLength: 24, withPad: " ", startingAt: 0)) \(member.status.padding(toLength: 8, withPad: " ", startingAt: 0)) incarnation \(member.incarnation)  \(member.address)"
            )
        }
        lines += ["", "verified catalogues (\(status.catalogues.count)):"]
        for catalogue in status.catalogues.sorted(by: { $0.nodeID < $1.nodeID }) {
            lines.append(
                "  \(catalogue.nodeID.padding(toLength: 24, withPad: " ", startingAt: 0)) version \(catalogue.version)  subjects \(catalogue.subjects)  expires \(ISO8601Time.text(catalogue.expiresAt))"
            )
        }
        if !status.catalogueRejections.isEmpty {
            lines += ["", "rejected catalogues: " + status.catalogueRejections.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")]
        }
        if let version = status.revocationListVersion, version > 0 {
            let issued = status.revocationListIssuedAt.map { ", issued \(ISO8601Time.text($0))" } ?? ""
            let next = status.revocationListNextUpdate.map { ", next update due \(ISO8601Time.text($0))" } ?? ", no next update promised"
            let stale = status.revocationsStale == true ? ": STALE, this node may be missing revocations; get a newer list from the CA" : ""
            lines += ["", "revocation list version \(version)\(issued)\(next)\(stale)"]
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
