import Foundation
import Logging
import MeshCore
import NIOPosix
import Transport

/// One short conversation with a node over mutual TLS: dial with a credential, send one
/// request, take its response, hang up. `meshnode query` submits queries through it and
/// `meshnode console` also asks for the mesh view; each conversation has its own event
/// loop and connection, so nothing outlives it.
enum MeshSession {
    /// Connects to `node` with `credential`, sends the request `makeRequest` builds for the
    /// node ID the node proved, and returns the response whatever its status.
    ///
    /// - Throws: ``CommandFailure`` when `node` is not a node, cannot be reached or does not
    ///   answer within `timeout`; a ``CommandFailure`` from `makeRequest` as it is.
    static func exchange(
        with node: PeerAddress, credential: Credential, timeout: Duration, makeRequest: (NodeID) throws -> Envelope
    ) async throws -> Envelope {
        var logger = Logger(label: "oncomesh.session")
        logger.logLevel = .critical
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let transport = try MeshTransport(credential: credential, eventLoop: group.next(), logger: logger)
        let response: Envelope
        do {
            let identity = try await transport.connect(to: node)
            guard case .node(let nodeID) = identity else {
                throw CommandFailure("\(node) is \(identity), not a node")
            }
            response = try await transport.exchange(try makeRequest(nodeID), to: nodeID, timeout: timeout)
        } catch let failure as CommandFailure {
            await transport.shutdown()
            try? await group.shutdownGracefully()
            throw failure
        } catch {
            await transport.shutdown()
            try? await group.shutdownGracefully()
            throw CommandFailure("no answer from \(node): \(error)")
        }
        await transport.shutdown()
        try? await group.shutdownGracefully()
        return response
    }
}
