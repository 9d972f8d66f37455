import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// The node's operator listener (the `admin` section of node.yaml): plain HTTP/1.1 on its
/// own port, apart from the mesh's mutual-TLS port, for a Prometheus scraper and health
/// checks.
///
/// - `GET /metrics`: the metrics in the Prometheus text format (version 0.0.4).
/// - `GET /health/live`: 200 while the process serves.
/// - `GET /health/ready`: 200 once the node is ready (``NodeReadiness``), else 503 with
///   the reason, both as JSON.
///
/// It only reads: nothing here changes the node. Work is bounded: at most
/// ``maxConnections`` connections at once (more are closed at once), each closed after
/// ``idleTimeout`` without a request, and request bodies are ignored.
final class AdminServer: Sendable {
    static let maxConnections = 16
    static let idleTimeout: Duration = .seconds(30)

    /// What the server answers with; closures, so that the server knows nothing of the node.
    struct Content: Sendable {
        /// The metrics text, sampled at the call.
        var metrics: @Sendable () async -> String
        /// nil when ready, or why not.
        var notReadyReason: @Sendable () async -> String?
    }

    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    private let server: NIOAsyncChannel<Connection, Never>
    private let content: Content
    private let logger: Logger
    private let open = ConnectionCount()
    /// Where it listens (the port the system chose when asked for 0).
    let address: SocketAddress

    private init(server: NIOAsyncChannel<Connection, Never>, content: Content, logger: Logger) throws {
        self.server = server
        self.content = content
        self.logger = logger
        guard let address = server.channel.localAddress else { throw CommandFailure("the admin listener has no local address") }
        self.address = address
    }

    /// Binds `host:port`; ``serve()`` then answers until ``close()``.
    static func bind(host: String, port: Int, group: any EventLoopGroup, content: Content, logger: Logger) async throws -> AdminServer {
        let server = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(IdleStateHandler(allTimeout: TimeAmount(Self.idleTimeout)))
                    try sync.addHandler(CloseWhenIdle())
                    try sync.configureHTTPServerPipeline(withErrorHandling: true)
                    return try Connection(wrappingChannelSynchronously: channel)
                }
            }
        return try AdminServer(server: server, content: content, logger: logger)
    }

    /// Accepts connections until the listener closes.
    func serve() async {
        do {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { connections in
                    for try await connection in connections {
                        guard open.enter(limit: Self.maxConnections) else {
                            logger.notice("admin listener: too many connections; closing one", metadata: ["limit": "\(Self.maxConnections)"])
                            try? await connection.channel.close()
                            continue
                        }
                        group.addTask {
                            await self.handle(connection)
                            self.open.leave()
                        }
                    }
                }
            }
        } catch {
            logger.debug("admin listener stopped", metadata: ["reason": "\(error)"])
        }
    }

    func close() async {
        try? await server.channel.close()
    }

    private func handle(_ connection: Connection) async {
        do {
            try await connection.executeThenClose { inbound, outbound in
                var head: HTTPRequestHead?
                for try await part in inbound {
                    switch part {
                    case .head(let request): head = request
                    case .body: break
                    case .end:
                        guard let request = head else { continue }
                        head = nil
                        let (status, type, body) = await answer(request)
                        var headers = HTTPHeaders()
                        headers.add(name: "Content-Type", value: type)
                        headers.add(name: "Content-Length", value: "\(body.utf8.count)")
                        headers.add(name: "Cache-Control", value: "no-store")
                        if !request.isKeepAlive { headers.add(name: "Connection", value: "close") }
                        try await outbound.write(.head(HTTPResponseHead(version: request.version, status: status, headers: headers)))
                        if request.method != .HEAD {
                            try await outbound.write(.body(.byteBuffer(ByteBuffer(string: body))))
                        }
                        try await outbound.write(.end(nil))
                        if !request.isKeepAlive { return }
                    }
                }
            }
        } catch {
            logger.debug("admin connection ended", metadata: ["reason": "\(error)"])
        }
    }

    /// Status, content type and body for a request.
    private func answer(_ request: HTTPRequestHead) async -> (HTTPResponseStatus, String, String) {
        let path = String(request.uri.prefix { $0 != "?" })
        let endpoints = ["/metrics", "/health/live", "/health/ready"]
        guard endpoints.contains(path) else {
            return (.notFound, "text/plain; charset=utf-8", "no such endpoint: \(path); this node serves \(endpoints.joined(separator: ", "))\n")
        }
        guard request.method == .GET || request.method == .HEAD else {
            return (.methodNotAllowed, "text/plain; charset=utf-8", "\(path) answers GET and HEAD only\n")
        }
        switch path {
        case "/metrics":
            return (.ok, "text/plain; version=0.0.4; charset=utf-8", await content.metrics())
        case "/health/live":
            return (.ok, "application/json", "{\"status\": \"live\"}\n")
        default:
            if let reason = await content.notReadyReason() {
                return (.serviceUnavailable, "application/json", "{\"status\": \"not ready\", \"reason\": \(Self.jsonString(reason))}\n")
            }
            return (.ok, "application/json", "{\"status\": \"ready\"}\n")
        }
    }

    private static func jsonString(_ text: String) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: [text], options: [.withoutEscapingSlashes])) ?? Data("[\"\"]".utf8)
        return String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
    }
}

/// Closes a connection that has been idle for the ``IdleStateHandler``'s time.
private final class CloseWhenIdle: ChannelInboundHandler, Sendable {
    typealias InboundIn = NIOAny

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}

/// The admin connections open now, against ``AdminServer/maxConnections``.
private final class ConnectionCount: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    func enter(limit: Int) -> Bool {
        lock.withLock {
            guard count < limit else { return false }
            count += 1
            return true
        }
    }

    func leave() { lock.withLock { count -= 1 } }
}
