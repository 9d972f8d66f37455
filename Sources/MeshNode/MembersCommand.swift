import ArgumentParser
import Foundation
import MeshCore
import Transport

/// `meshnode members`: the members a running node sees, with their state, incarnation and
/// address; the short form of `meshnode status`, as `consul members` or `serf members`.
/// With `--config` it asks the node of that folder with the node's own identity; with
/// `--node` (or `ONCOMESH_NODE`) it asks any node with a researcher's identity, which
/// nodes answer with their members and catalogues.
struct MembersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "members",
        abstract: "List the members a running node sees: node, state, incarnation, address.",
        discussion: """
            Either --config DIR/node.yaml (the node's own identity), or --node HOST:PORT with a
            researcher's --identity and --ca; these three default to $ONCOMESH_NODE,
            $ONCOMESH_IDENTITY and $ONCOMESH_CA.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, json
    }

    @Option(help: "The node's configuration file: ask that node with its own identity.")
    var config: String?

    @OptionGroup var connection: ResearcherConnectionOptions

    @Option(help: "Output format: table or json.")
    var format: Format = .table

    @Option(help: "Seconds to wait for the node.")
    var timeout: Double = 5

    func validate() throws {
        if config != nil, connection.node != nil {
            throw ValidationError("give --config (a node folder) or --node (with a researcher identity), not both")
        }
        guard timeout > 0, timeout <= 600 else { throw ValidationError("--timeout must be from 0 to 600 seconds; got \(timeout)") }
    }

    func run() async throws {
        let members: [NodeStatus.MemberEntry]
        if let config {
            members = try await StatusCommand.fetch(config: config, timeout: timeout).members
        } else if connection.hasNode {
            members = try await Self.fetch(connection, timeout: timeout)
        } else {
            throw ValidationError("missing --config or --node; give one, or set \(ResearcherConnectionOptions.nodeVariable)")
        }
        let sorted = members.sorted { $0.nodeID < $1.nodeID }
        switch format {
        case .json: print(String(decoding: try Self.json(sorted), as: UTF8.self))
        case .table: print(Self.table(sorted), terminator: "")
        }
    }

    /// Asks a node, as a researcher, for the members it sees. The answer is the node's mesh
    /// view; only its members are read.
    static func fetch(_ connection: ResearcherConnectionOptions, timeout: Double) async throws -> [NodeStatus.MemberEntry] {
        let (node, credential) = try connection.resolved()
        let response = try await MeshSession.exchange(with: node, credential: credential, timeout: .milliseconds(Int64(timeout * 1000))) { _ in
            var request = Envelope()
            request.kind = .status
            return request
        }
        guard response.status == .ok else {
            throw CommandFailure("\(node) refused to list its members: \(response.statusMessage)")
        }
        struct Answer: Decodable { var members: [NodeStatus.MemberEntry] }
        do {
            return try JSONDecoder().decode(Answer.self, from: response.body).members
        } catch {
            throw CommandFailure("the answer of \(node) does not decode: \(error)")
        }
    }

    /// `[{"nodeID": ..., "status": ..., "incarnation": ..., "address": ...}, ...]`, the
    /// entries of `meshnode status --format json`.
    static func json(_ members: [NodeStatus.MemberEntry]) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(members)
    }

    static func table(_ members: [NodeStatus.MemberEntry]) -> String {
        let rows = [["NODE", "STATE", "INCARNATION", "ADDRESS"]] + members.map { [$0.nodeID, $0.status, "\($0.incarnation)", $0.address] }
        let widths = (0..<4).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { $0.offset == 3 ? $0.element : $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}
