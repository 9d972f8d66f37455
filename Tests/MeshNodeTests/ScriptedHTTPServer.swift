import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// An HTTP/1.1 server on loopback that answers each request as the test's `respond` says,
/// to play a DICOM server that fails in the ways real ones do (an error status halfway
/// through paging, a body that is not JSON, no answer at all). It records the request
/// targets it saw.
final class ScriptedHTTPServer: @unchecked Sendable {
    struct Reply: Sendable {
        var status: HTTPResponseStatus = .ok
        var body: String = ""
        var contentType = "application/dicom+json"
        var headers: [(String, String)] = []
        /// No answer at all: the request hangs until the client gives up.
        var never = false
    }

    private let channel: any Channel
    private let log: RequestLog

    let port: Int
    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// The request targets (path and query) in the order they came.
    var targets: [String] { log.targets }

    init(respond: @escaping @Sendable (_ target: String) -> Reply) async throws {
        let log = RequestLog()
        self.log = log
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(respond: respond, record: log.record))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        port = channel.localAddress?.port ?? 0
    }

    func stop() async {
        try? await channel.close()
    }

    /// The request targets, recorded from the event loop, read by the test.
    private final class RequestLog: @unchecked Sendable {
        private let lock = NSLock()
        private var seen: [String] = []

        func record(_ target: String) { lock.withLock { seen.append(target) } }
        var targets: [String] { lock.withLock { seen } }
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let respond: @Sendable (String) -> Reply
        let record: (String) -> Void
        var target = ""

        init(respond: @escaping @Sendable (String) -> Reply, record: @escaping (String) -> Void) {
            self.respond = respond
            self.record = record
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                target = head.uri
            case .body:
                break
            case .end:
                record(target)
                let reply = respond(target)
                guard !reply.never else { return }
                var headers = HTTPHeaders()
                headers.add(name: "Content-Type", value: reply.contentType)
                headers.add(name: "Content-Length", value: String(reply.body.utf8.count))
                for (name, value) in reply.headers { headers.add(name: name, value: value) }
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: reply.status, headers: headers))), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: reply.body)))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }
}
