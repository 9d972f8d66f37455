import Logging
import MeshCore
import NIOCore
import NIOPosix
import Transport

/// Two OncoMesh nodes on loopback joined by one mutual-TLS connection: `requester` dialed
/// `responder`, which echoes every `.echo` request, as `meshnode demo` does.
///
/// Everything is made in memory for the run (a throwaway federation CA and two node
/// credentials), so the benchmark needs no files and never touches a real identity.
///
/// The pair owns two event loops, one per endpoint, as two nodes in two processes would
/// have; on a two-core machine the Swift tasks that issue and answer requests share the
/// cores with them.
public final class LoopbackMeshPair: Sendable {
    public let requester: MeshTransport
    public let responder: MeshTransport
    public let responderID: NodeID
    /// The protocol the two sides negotiated, from the requester's connection event.
    public let tlsVersion: String
    private let group: MultiThreadedEventLoopGroup
    private let echo: Task<Void, Never>

    private init(
        group: MultiThreadedEventLoopGroup,
        requester: MeshTransport,
        responder: MeshTransport,
        responderID: NodeID,
        tlsVersion: String,
        echo: Task<Void, Never>
    ) {
        self.group = group
        self.requester = requester
        self.responder = responder
        self.responderID = responderID
        self.tlsVersion = tlsVersion
        self.echo = echo
    }

    /// Starts both endpoints and connects the requester to the responder.
    public static func start() async throws -> LoopbackMeshPair {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        do {
            return try await start(on: group)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    private static func start(on group: MultiThreadedEventLoopGroup) async throws -> LoopbackMeshPair {
        let ca = try FederationCA.create(commonName: "OncoMesh Benchmark CA")
        let requesterID = try NodeID("bench-requester")
        let responderID = try NodeID("bench-responder")
        let hosts = ["127.0.0.1", "localhost"]
        var logger = Logger(label: "oncomesh.benchmark")
        // Connection logs at info level would interleave with the report.
        logger.logLevel = .warning

        let requester = try MeshTransport(
            credential: try ca.issue(.node(requesterID), hosts: hosts),
            eventLoop: group.next(),
            logger: logger
        )
        let responder = try MeshTransport(
            credential: try ca.issue(.node(responderID), hosts: hosts),
            eventLoop: group.next(),
            logger: logger
        )
        let address = try await responder.listen(host: "127.0.0.1", port: 0)
        guard let port = address.port else {
            throw BenchmarkError("the responder's listening address \(address) has no port")
        }
        let echo = Task { await Self.echoRequests(on: responder) }
        _ = try await requester.connect(to: PeerAddress(host: "127.0.0.1", port: port), expecting: responderID)
        var tlsVersion = "unknown"
        for await event in requester.events {
            if case .authenticated(let peer) = event {
                tlsVersion = peer.tlsVersion
                break
            }
        }
        return LoopbackMeshPair(
            group: group,
            requester: requester,
            responder: responder,
            responderID: responderID,
            tlsVersion: tlsVersion,
            echo: echo
        )
    }

    /// Closes the connection, both endpoints and their event loops.
    public func shutdown() async throws {
        await requester.shutdown()
        await responder.shutdown()
        echo.cancel()
        await echo.value
        try await group.shutdownGracefully()
    }

    /// Answers each echo request with its own body, one at a time, like the demo's responder.
    private static func echoRequests(on transport: MeshTransport) async {
        await transport.serveEcho()
    }
}
