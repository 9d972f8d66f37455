import Foundation
import Logging
import MeshCore
import NIOCore
import NIOConcurrencyHelpers
import NIOPosix
import NIOSSL

/// One node's endpoint on the mesh: it listens for mutual-TLS connections, keeps one
/// persistent connection per peer node, and moves ``Envelope``s in frames (docs/ARCHITECTURE.md,
/// "Transport").
///
/// The shell around ``PeerLinkStateMachine``: all mutable state lives on one event loop,
/// which also runs every connection of this endpoint, so no state is shared between
/// threads. The public API is async and hops onto that loop.
///
/// - ``send(_:to:)`` queues a one-way message for a node (dialing it if needed).
/// - ``request(_:to:timeout:)`` sends a request and waits for the response or the deadline.
/// - ``messages`` yields what peers send: one-way messages and requests, which the consumer
///   answers with ``reply(to:with:)``.
public final class MeshTransport: MeshLink, @unchecked Sendable {
    public let localIdentity: PeerIdentity
    public let eventLoop: any EventLoop
    public let statistics = FrameStatistics()
    /// Envelopes by kind and direction (gossip, anti-entropy, queries), for the metrics.
    public let messageStatistics = MessageStatistics()
    /// Messages and requests from peers, oldest first. Bounded by
    /// `settings.inboundQueueMaxMessages` and `settings.inboundQueueMaxBytes`; past either,
    /// a request is answered busy at once and a one-way message is dropped and counted.
    public let messages: InboundMessages
    /// Connection events. Bounded by `settings.eventQueueMaxEvents` (the newest are kept).
    public let events: AsyncStream<ConnectionEvent>

    private let messagesContinuation: AsyncStream<InboundMessage>.Continuation
    private let queuedBytes: InboundMessages.QueuedBytes
    private let eventsContinuation: AsyncStream<ConnectionEvent>.Continuation
    private let settings: TransportSettings
    private let tls: MeshTLS
    private let backoff: ReconnectBackoff
    private let logger: Logger

    // Confined to `eventLoop`.
    private var random: SeededRandom
    private var nextConnectionNumber: UInt64 = 0
    private var nextRequestID: UInt64
    private var channels: [ConnectionID: any Channel] = [:]
    private var dialTargets: [ConnectionID: NodeID] = [:]
    private var pendingConnects: [ConnectionID: EventLoopPromise<PeerIdentity>] = [:]
    private var links: [NodeID: PeerLinkStateMachine<Envelope>] = [:]
    private var addresses: [NodeID: PeerAddress] = [:]
    private var pendingRequests: [UInt64: PendingRequest] = [:]
    private var serverChannel: (any Channel)?
    private var isShutDown = false
    private var droppedInboundMessages = 0
    /// Read by every handshake; replaced by ``apply(_:)``.
    private let revocations = NIOLockedValueBox(RevocationList.empty)

    private struct PendingRequest {
        let peer: PeerIdentity
        let promise: EventLoopPromise<Envelope>
        let timeout: Scheduled<Void>
    }

    public init(
        credential: Credential,
        settings: TransportSettings = TransportSettings(),
        eventLoop: any EventLoop,
        logger: Logger,
        random: SeededRandom = .fromSystem()
    ) throws {
        self.tls = try MeshTLS(credential: credential)
        self.localIdentity = tls.localIdentity
        self.settings = settings
        self.eventLoop = eventLoop
        var logger = logger
        logger[metadataKey: "mesh.identity"] = "\(tls.localIdentity)"
        self.logger = logger
        self.backoff = ReconnectBackoff(
            initial: settings.reconnectBackoffInitial,
            maximum: settings.reconnectBackoffMax,
            jitterFraction: settings.reconnectJitterFraction
        )
        var random = random
        self.nextRequestID = random.next() >> 1
        self.random = random
        let (stream, continuation) = AsyncStream.makeStream(
            of: InboundMessage.self,
            bufferingPolicy: .bufferingOldest(settings.inboundQueueMaxMessages)
        )
        queuedBytes = InboundMessages.QueuedBytes(limit: settings.inboundQueueMaxBytes)
        messages = InboundMessages(stream: stream, queuedBytes: queuedBytes)
        messagesContinuation = continuation
        (events, eventsContinuation) = AsyncStream.makeStream(
            of: ConnectionEvent.self,
            bufferingPolicy: .bufferingNewest(settings.eventQueueMaxEvents)
        )
    }

    // MARK: Public API

    /// Starts accepting connections from nodes and researchers; returns the bound address
    /// (port 0 lets the kernel choose).
    public func listen(host: String, port: Int) async throws -> SocketAddress {
        let channel = try await ServerBootstrap(group: eventLoop, childGroup: eventLoop)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 256)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try self.configurePipeline(
                        channel,
                        sslHandler: NIOSSLServerHandler(context: self.tls.serverContext),
                        expectation: .init(allowedRoles: [.node, .researcher], expectedNode: nil),
                        dialedLocally: false
                    )
                }
            }
            .bind(host: host, port: port)
            .get()
        _ = await eventLoop.submit { self.serverChannel = channel }.getResult()
        guard let address = channel.localAddress else {
            throw TransportError(.notListening, "listening socket has no local address")
        }
        logger.info("listening", metadata: ["address": "\(address)"])
        return address
    }

    /// Records where a node listens; the membership layer keeps this up to date.
    public func setAddress(_ address: PeerAddress, for node: NodeID) async {
        _ = await eventLoop.submit { self.addresses[node] = address }.getResult()
    }

    /// Queues a one-way message for `node`, dialing it if there is no connection. Throws
    /// `outboundQueueFull` when the peer's queue is full and `unknownPeer` when no address
    /// is known.
    public func send(_ envelope: Envelope, to node: NodeID) async throws(TransportError) {
        var envelope = envelope
        envelope.sender = localIdentity.idString
        let message = envelope
        let result = await eventLoop.submit { () -> Result<Void, TransportError> in
            Result { () throws(TransportError) in try self.enqueue(message, to: node) }
        }.getResult()
        switch result {
        case .success(let inner): try inner.get()
        case .failure(let error): throw TransportError(.shutDown, "transport event loop is gone: \(error)")
        }
    }

    /// Sends a request to `node` and returns its response whatever its status (``request(_:to:timeout:)``
    /// throws a refusal instead). The absolute deadline travels with the request so that the
    /// responder can give up when nobody waits any more.
    public func exchange(_ envelope: Envelope, to node: NodeID, timeout: Duration) async throws(TransportError) -> Envelope {
        var envelope = envelope
        envelope.sender = localIdentity.idString
        envelope.direction = .request
        envelope.deadlineUnixMs = UnixMilliseconds.now() + timeout.wholeMilliseconds
        let request = envelope
        let future = eventLoop.flatSubmit { () -> EventLoopFuture<Envelope> in
            self.startRequest(request, to: node, timeout: timeout)
        }
        do {
            return try await future.get()
        } catch let error as TransportError {
            throw error
        } catch {
            throw TransportError(.shutDown, "request failed: \(error)")
        }
    }

    /// Answers a request on the connection it arrived on (researchers cannot be dialed back),
    /// or, if that connection is gone and the requester is a node, through its link.
    public func reply(to request: InboundMessage, with response: Envelope) async throws(TransportError) {
        let message = response.response(to: request.envelope, from: localIdentity)
        let result = await eventLoop.submit { () -> Result<Void, TransportError> in
            Result { () throws(TransportError) in
                if let channel = self.channels[request.connectionID] {
                    channel.writeAndFlush(message, promise: nil)
                } else if case .node(let node) = request.from {
                    try self.enqueue(message, to: node)
                } else {
                    throw TransportError(.connectionFailed, "connection from \(request.from) closed before the reply")
                }
            }
        }.getResult()
        switch result {
        case .success(let inner): try inner.get()
        case .failure(let error): throw TransportError(.shutDown, "transport event loop is gone: \(error)")
        }
    }

    /// Dials an address and waits until the peer is authenticated; returns its identity.
    /// With `expecting` nil, any node is accepted (a researcher knows an address, not an ID).
    /// A node reached this way gets a persistent link like any other.
    public func connect(to address: PeerAddress, expecting node: NodeID?) async throws -> PeerIdentity {
        let future = eventLoop.flatSubmit { () -> EventLoopFuture<PeerIdentity> in
            let promise = self.eventLoop.makePromise(of: PeerIdentity.self)
            let id = self.openConnection(to: address, expecting: node, promise: promise)
            if let node { self.dialTargets[id] = node }
            return promise.futureResult
        }
        let identity = try await future.get()
        if case .node(let id) = identity {
            await setAddress(address, for: id)
        }
        return identity
    }

    /// Messages received and not yet taken from ``messages``, and their body bytes: the
    /// inbound queue's depth against `inboundQueueMaxMessages` and `inboundQueueMaxBytes`.
    public var inboundQueueDepth: (messages: Int, bytes: Int) {
        (queuedBytes.messages, queuedBytes.current)
    }

    /// Messages dropped because ``messages`` was not consumed fast enough.
    public var droppedInboundMessageCount: Int {
        get async { await eventLoop.submit { self.droppedInboundMessages }.getResult().get(or: 0) }
    }

    /// Identities with an open, authenticated connection.
    public var connectedPeers: [NodeID] {
        get async {
            await eventLoop.submit { () -> [NodeID] in
                self.links.compactMap { node, link in
                    if case .connected = link.state { return node } else { return nil }
                }.sorted()
            }.getResult().get(or: [])
        }
    }

    /// Puts a newer revocation list in force: later handshakes with a revoked certificate are
    /// refused, and open connections of revoked peers are closed now.
    public func apply(_ list: RevocationList) async {
        let current = revocations.withLockedValue { $0 }
        guard list.supersedes(current) else { return }
        revocations.withLockedValue { $0 = list }
        await eventLoop.submit {
            for (_, channel) in self.channels {
                guard let handler = try? channel.pipeline.syncOperations.handler(type: ConnectionHandler.self),
                    let serial = handler.peerSerial, list.contains(serial)
                else { continue }
                self.logger.warning("closing the connection of a revoked certificate", metadata: ["connection": "\(handler.id)"])
                handler.markClosing(reason: "certificate revoked (revocation list version \(list.version))")
                channel.close(promise: nil)
            }
        }.getResult().get(or: ())
    }

    /// Authenticated connections currently open (to nodes and researchers).
    public var openConnectionCount: Int {
        get async { await eventLoop.submit { self.channels.count }.getResult().get(or: 0) }
    }

    /// Stops listening, closes every connection and fails every pending request.
    public func shutdown() async {
        let closes = await eventLoop.submit { () -> [EventLoopFuture<Void>] in
            guard !self.isShutDown else { return [] }
            self.isShutDown = true
            var futures: [EventLoopFuture<Void>] = []
            if let server = self.serverChannel { futures.append(server.close()) }
            for (_, channel) in self.channels {
                (try? channel.pipeline.syncOperations.handler(type: ConnectionHandler.self))?.markClosing(reason: "local shutdown")
                futures.append(channel.close())
            }
            for node in self.links.keys { _ = self.links[node]?.shutDown() }
            for (_, request) in self.pendingRequests {
                request.timeout.cancel()
                request.promise.fail(TransportError(.shutDown, "transport shut down before the response"))
            }
            self.pendingRequests.removeAll()
            for (_, promise) in self.pendingConnects {
                promise.fail(TransportError(.shutDown, "transport shut down while connecting"))
            }
            self.pendingConnects.removeAll()
            return futures
        }.getResult().get(or: [])
        for future in closes { _ = try? await future.get() }
        messagesContinuation.finish()
        eventsContinuation.finish()
    }

    // MARK: Event-loop side

    private func enqueue(_ envelope: Envelope, to node: NodeID) throws(TransportError) {
        eventLoop.preconditionInEventLoop()
        guard !isShutDown else { throw TransportError(.shutDown, "transport is shut down") }
        guard addresses[node] != nil || links[node].map({ if case .connected = $0.state { true } else { false } }) == true else {
            throw TransportError(.unknownPeer, "no address is known for node \(node)")
        }
        var link = links[node] ?? makeLink(for: node)
        let action: PeerLinkStateMachine<Envelope>.SendAction
        do {
            action = try link.send(envelope)
        } catch {
            links[node] = link
            throw TransportError(
                .outboundQueueFull,
                "outbound queue for node \(node) is full (\(settings.outboundQueueMaxMessages) messages); the peer is slow or unreachable"
            )
        }
        links[node] = link
        switch action {
        case .write(let connection, let message):
            channels[connection]?.writeAndFlush(message, promise: nil)
        case .dial:
            dial(node)
        case .queued:
            break
        }
    }

    private func startRequest(_ envelope: Envelope, to node: NodeID, timeout: Duration) -> EventLoopFuture<Envelope> {
        var envelope = envelope
        nextRequestID &+= 1
        let requestID = nextRequestID
        envelope.requestID = requestID
        let promise = eventLoop.makePromise(of: Envelope.self)
        let scheduled = eventLoop.scheduleTask(in: TimeAmount(timeout)) {
            if let pending = self.pendingRequests.removeValue(forKey: requestID) {
                pending.promise.fail(
                    TransportError(.deadlineExceeded, "node \(node) did not answer request \(requestID) within \(timeout)")
                )
            }
        }
        pendingRequests[requestID] = PendingRequest(peer: .node(node), promise: promise, timeout: scheduled)
        do {
            try enqueue(envelope, to: node)
        } catch {
            scheduled.cancel()
            pendingRequests.removeValue(forKey: requestID)
            promise.fail(error)
        }
        return promise.futureResult
    }

    private func makeLink(for node: NodeID) -> PeerLinkStateMachine<Envelope> {
        let localDialsWin: Bool
        if case .node(let local) = localIdentity { localDialsWin = local < node } else { localDialsWin = true }
        return PeerLinkStateMachine(queueCapacity: settings.outboundQueueMaxMessages, localDialsWin: localDialsWin)
    }

    private func dial(_ node: NodeID) {
        guard let address = addresses[node] else {
            linkDialFailed(node, reason: "no address known")
            return
        }
        let id = openConnection(to: address, expecting: node, promise: nil)
        dialTargets[id] = node
    }

    @discardableResult
    private func openConnection(to address: PeerAddress, expecting node: NodeID?, promise: EventLoopPromise<PeerIdentity>?) -> ConnectionID {
        let id = makeConnectionID()
        if let promise { pendingConnects[id] = promise }
        let tlsContext = tls.clientContext
        let connectFuture = ClientBootstrap(group: eventLoop)
            .connectTimeout(TimeAmount(settings.connectTimeout))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try self.configurePipeline(
                        channel,
                        sslHandler: NIOSSLClientHandler(context: tlsContext, serverHostname: nil),
                        expectation: .init(allowedRoles: [.node], expectedNode: node),
                        dialedLocally: true,
                        connectionID: id
                    )
                }
            }
            .connect(host: address.host, port: address.port)
        connectFuture.whenFailure { error in
            self.logger.debug("dial failed", metadata: ["peer.address": "\(address)", "error": "\(error)"])
            self.outboundConnectionFailed(id, reason: "cannot connect to \(address): \(error)")
        }
        return id
    }

    private func makeConnectionID() -> ConnectionID {
        nextConnectionNumber += 1
        return ConnectionID(rawValue: nextConnectionNumber)
    }

    private func configurePipeline(
        _ channel: any Channel,
        sslHandler: NIOSSLHandler,
        expectation: PeerIdentityHandler.Expectation,
        dialedLocally: Bool,
        connectionID: ConnectionID? = nil
    ) throws {
        let id = connectionID ?? makeConnectionID()
        let remote = channel.remoteAddress.map { "\($0)" } ?? "unknown"
        let handshakeDeadline = channel.eventLoop.scheduleTask(in: TimeAmount(settings.handshakeTimeout)) {
            channel.close(promise: nil)
        }
        let revocations = self.revocations
        let identityHandler = PeerIdentityHandler(
            expectation: expectation,
            logger: logger,
            revocations: { revocations.withLockedValue { $0 } }
        ) { reason in
            self.eventsContinuation.yield(.refused(remoteAddress: remote, reason: reason))
        }
        let sync = channel.pipeline.syncOperations
        try sync.addHandler(sslHandler)
        try sync.addHandler(identityHandler)
        try sync.addHandler(IdleStateHandler(allTimeout: TimeAmount(settings.idleTimeout)))
        try sync.addHandler(ByteToMessageHandler(FrameDecoder(settings: settings.frame, statistics: statistics)))
        try sync.addHandler(MessageToByteHandler(FrameEncoder(settings: settings.frame, statistics: statistics)))
        try sync.addHandler(EnvelopeCodec(statistics: messageStatistics))
        try sync.addHandler(ConnectionHandler(transport: self, id: id, dialedLocally: dialedLocally))
        channel.closeFuture.whenComplete { _ in handshakeDeadline.cancel() }
        identityHandler.onAuthenticated = { handshakeDeadline.cancel() }
    }

    // Called by ConnectionHandler, on the event loop.

    func connectionAuthenticated(_ handler: ConnectionHandler, channel: any Channel, event: PeerAuthenticatedEvent) {
        eventLoop.preconditionInEventLoop()
        let identity = event.identity
        let remote = channel.remoteAddress.map { "\($0)" } ?? "unknown"
        channels[handler.id] = channel
        dialTargets.removeValue(forKey: handler.id)
        logger.info(
            "peer authenticated",
            metadata: [
                "peer": "\(identity)", "peer.address": "\(remote)", "connection": "\(handler.id)",
                "inbound": "\(!handler.dialedLocally)", "tls": "\(event.tlsVersion)",
            ]
        )
        eventsContinuation.yield(
            .authenticated(
                AuthenticatedPeer(
                    identity: identity,
                    remoteAddress: remote,
                    inbound: !handler.dialedLocally,
                    tlsVersion: event.tlsVersion,
                    connectionID: handler.id
                )
            )
        )
        pendingConnects.removeValue(forKey: handler.id)?.succeed(identity)
        guard !isShutDown else {
            channel.close(promise: nil)
            return
        }
        // A node never links to itself, except to dial its own port as a client (that is
        // how `meshnode status` asks a running node, with the node's own identity).
        guard case .node(let node) = identity, identity != localIdentity || handler.dialedLocally else { return }
        var link = links[node] ?? makeLink(for: node)
        let action = link.connectionAuthenticated(handler.id, dialedLocally: handler.dialedLocally)
        links[node] = link
        perform(action, for: node)
    }

    func received(_ envelope: Envelope, from identity: PeerIdentity, on handler: ConnectionHandler) {
        eventLoop.preconditionInEventLoop()
        if envelope.direction == .response {
            guard let pending = pendingRequests[envelope.requestID], pending.peer == identity else {
                logger.debug("dropping unexpected response", metadata: ["peer": "\(identity)", "request": "\(envelope.requestID)"])
                return
            }
            pendingRequests.removeValue(forKey: envelope.requestID)
            pending.timeout.cancel()
            pending.promise.succeed(envelope)
            return
        }
        let message = InboundMessage(envelope: envelope, from: identity, connectionID: handler.id)
        let size = InboundMessages.size(of: message)
        guard queuedBytes.reserve(size) else {
            refuse(message, on: handler, "its inbound queue holds \(queuedBytes.current) bytes and this message has \(size); the limit is \(queuedBytes.limit) bytes")
            return
        }
        if case .dropped = messagesContinuation.yield(message) {
            queuedBytes.release(size)
            refuse(message, on: handler, "its inbound queue holds \(settings.inboundQueueMaxMessages) messages, the limit")
        }
    }

    /// A message that does not fit the inbound queue: a request is answered busy with the
    /// retry hint, so that its sender need not wait for its deadline; a one-way message is
    /// dropped and counted.
    private func refuse(_ message: InboundMessage, on handler: ConnectionHandler, _ reason: String) {
        droppedInboundMessages += 1
        logger.warning("inbound queue full; refusing message", metadata: ["peer": "\(message.from)", "kind": "\(message.envelope.kind)", "reason": "\(reason)"])
        guard message.envelope.direction == .request, let channel = channels[handler.id] else { return }
        var response = Envelope()
        response.kind = message.envelope.kind
        response.direction = .response
        response.requestID = message.envelope.requestID
        response.sender = localIdentity.idString
        response.status = .busy
        response.retryAfterMs = UInt32(clamping: Int64(settings.busyRetryAfter / .milliseconds(1)))
        response.statusMessage = "the node is busy: \(reason); retry after \(response.retryAfterMs) ms"
        channel.writeAndFlush(response, promise: nil)
    }

    func writabilityChanged(_ handler: ConnectionHandler, identity: PeerIdentity, isWritable: Bool) {
        eventLoop.preconditionInEventLoop()
        guard case .node(let node) = identity, var link = links[node] else { return }
        let action = link.writabilityChanged(handler.id, isWritable: isWritable)
        links[node] = link
        perform(action, for: node)
    }

    func connectionClosed(_ handler: ConnectionHandler, identity: PeerIdentity?, reason: String) {
        eventLoop.preconditionInEventLoop()
        channels.removeValue(forKey: handler.id)
        guard let identity else {
            outboundConnectionFailed(handler.id, reason: "connection closed before authentication")
            return
        }
        logger.info("connection closed", metadata: ["peer": "\(identity)", "connection": "\(handler.id)", "reason": "\(reason)"])
        eventsContinuation.yield(.closed(identity, reason: reason))
        guard case .node(let node) = identity, var link = links[node] else { return }
        let action = link.connectionClosed(handler.id)
        links[node] = link
        perform(action, for: node)
    }

    private func outboundConnectionFailed(_ id: ConnectionID, reason: String) {
        pendingConnects.removeValue(forKey: id)?.fail(TransportError(.connectionFailed, reason))
        if let node = dialTargets.removeValue(forKey: id) {
            linkDialFailed(node, reason: reason)
        }
    }

    private func linkDialFailed(_ node: NodeID, reason: String) {
        guard var link = links[node] else { return }
        let action = link.dialFailed()
        links[node] = link
        // Requests waiting on a peer that cannot be reached fail now rather than at their
        // timeout: the caller may have something better to do (ask the peer's children in
        // the aggregation tree). One-way messages stay queued for the reconnect.
        let stranded = pendingRequests.filter { $0.value.peer == .node(node) }
        for (requestID, pending) in stranded {
            pendingRequests.removeValue(forKey: requestID)
            pending.timeout.cancel()
            pending.promise.fail(TransportError(.connectionFailed, "cannot reach node \(node): \(reason)"))
        }
        if case .scheduleReconnect = action {
            logger.info("cannot reach peer; will retry", metadata: ["peer": "\(node)", "reason": "\(reason)", "queued": "\(link.queuedCount)"])
        }
        perform(action, for: node)
    }

    private func perform(_ action: PeerLinkStateMachine<Envelope>.Action, for node: NodeID) {
        switch action {
        case .none:
            break
        case .dial:
            dial(node)
        case .flush(let connection, let messages):
            write(messages, on: connection)
        case .close(let connection):
            closeDuplicate(connection, node: node)
        case .closeAndFlush(let old, let new, let messages):
            closeDuplicate(old, node: node)
            write(messages, on: new)
        case .scheduleReconnect(let failures):
            let delay = backoff.delay(afterFailures: failures, random: &random)
            eventLoop.scheduleTask(in: TimeAmount(delay)) {
                guard var link = self.links[node] else { return }
                let action = link.reconnectTimerFired()
                self.links[node] = link
                self.perform(action, for: node)
            }
        }
    }

    private func write(_ messages: [Envelope], on connection: ConnectionID) {
        guard let channel = channels[connection] else { return }
        for message in messages {
            channel.write(message, promise: nil)
        }
        channel.flush()
    }

    private func closeDuplicate(_ connection: ConnectionID, node: NodeID) {
        guard let channel = channels[connection] else { return }
        logger.debug("closing duplicate connection", metadata: ["peer": "\(node)", "connection": "\(connection)"])
        if let handler = try? channel.pipeline.syncOperations.handler(type: ConnectionHandler.self) {
            handler.markClosing(reason: "duplicate connection")
        }
        channel.close(promise: nil)
    }
}

extension PeerIdentity {
    /// The bare ID, as written in `Envelope.sender`.
    public var idString: String {
        switch self {
        case .node(let id): id.rawValue
        case .researcher(let id): id.rawValue
        }
    }
}

extension Result {
    func get(or fallback: Success) -> Success {
        (try? get()) ?? fallback
    }
}

extension EventLoopFuture where Value: Sendable {
    /// The outcome of the future without throwing: the transport's own loop only fails
    /// futures when it is shutting down, which callers treat as "transport gone".
    func getResult() async -> Result<Value, any Error> {
        do {
            return .success(try await get())
        } catch {
            return .failure(error)
        }
    }
}
