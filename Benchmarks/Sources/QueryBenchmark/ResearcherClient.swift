import BenchmarkKit
import Foundation
import Logging
import MeshCore
import NIOCore
import QueryPlanner
import Transport

/// A researcher's connections to every node of a mesh, opened once, so that the benchmark
/// measures queries rather than TLS handshakes.
final class ResearcherClient: Sendable {
    private let transport: MeshTransport
    private let nodes: [NodeID]
    private let credential: Credential

    init(credential: Credential, addresses: [PeerAddress], eventLoop: any EventLoop, logger: Logger) async throws {
        self.credential = credential
        transport = try MeshTransport(credential: credential, eventLoop: eventLoop, logger: logger)
        var nodes: [NodeID] = []
        for address in addresses {
            guard case .node(let node) = try await transport.connect(to: address) else {
                throw BenchmarkError("\(address) is not a node")
            }
            nodes.append(node)
        }
        self.nodes = nodes
    }

    /// Submits `sql` to the node at `index` and waits for the released result.
    func ask(_ sql: String, fanout: Int, at index: Int, plaintextTree: Bool = false) async throws -> FederatedResult {
        let response = try await submit(sql, fanout: fanout, at: index, plaintextTree: plaintextTree)
        guard response.status == .ok else {
            throw BenchmarkError("\(nodes[index]) answered \(response.status): \(response.statusMessage)")
        }
        return try FederatedResult(decoding: Array(response.body))
    }

    /// Submits `sql` to the node at `index` and returns the response whatever its status.
    func submit(_ sql: String, fanout: Int, at index: Int, plaintextTree: Bool = false) async throws -> Envelope {
        var request = Envelope()
        request.kind = .querySubmit
        var random = SystemRandomNumberGenerator()
        let signed = try QuerySubmission(sql: sql, timeoutMilliseconds: 10_000, fanout: fanout, plaintextTree: plaintextTree)
            .signed(for: nodes[index], by: credential, nowMilliseconds: UnixMilliseconds.now(), random: &random)
        request.body = Data(signed.encoded())
        return try await transport.exchange(request, to: nodes[index], timeout: .seconds(15))
    }

    /// The node IDs, in the order of the addresses.
    var nodeIDs: [NodeID] { nodes }

    func close() async { await transport.shutdown() }
}
