import Foundation
import MeshCore

/// Endpoints of many nodes (and researchers) in one process, joined by memory instead of
/// sockets: the ``MeshLink`` that tests of the node's shells run on. Identities are taken as
/// given (there is no handshake to prove them), a request's timeout runs on the mesh's
/// ``MeshClock``, and a test can stop an endpoint or cut the link between two, which makes
/// sends fail as a refused connection would.
public final class InMemoryMesh: @unchecked Sendable {
    public let clock: any MeshClock
    private let lock = NSLock()
    private var links: [PeerIdentity: InMemoryLink] = [:]
    private var addresses: [PeerAddress: PeerIdentity] = [:]
    private var stopped: Set<PeerIdentity> = []
    private var cuts: Set<[PeerIdentity]> = []
    private var nextConnection: UInt64 = 0
    /// Bounds of each endpoint's inbound queue, as a real node's.
    let inboundQueueMaxMessages: Int
    let inboundQueueMaxBytes: Int

    public init(clock: any MeshClock, inboundQueueMaxMessages: Int = 4096, inboundQueueMaxBytes: Int = 64 << 20) {
        self.clock = clock
        self.inboundQueueMaxMessages = inboundQueueMaxMessages
        self.inboundQueueMaxBytes = inboundQueueMaxBytes
    }

    /// The endpoint of `identity`, reachable at `address` (researchers need none).
    public func link(for identity: PeerIdentity, address: PeerAddress? = nil) -> InMemoryLink {
        let made = InMemoryLink(identity: identity, mesh: self)
        return lock.withLock {
            if let existing = links[identity] { return existing }
            links[identity] = made
            if let address { addresses[address] = identity }
            return made
        }
    }

    /// The endpoint stops (its process is gone): messages to it fail, its queue ends.
    public func stop(_ identity: PeerIdentity) {
        let link = lock.withLock { () -> InMemoryLink? in
            stopped.insert(identity)
            return links[identity]
        }
        link?.finish()
    }

    /// Cuts (or, with `cut` false, heals) the link between two endpoints, both ways.
    public func setCut(_ cut: Bool, between a: PeerIdentity, and b: PeerIdentity) {
        let key = [a, b].sorted { $0.description < $1.description }
        lock.withLock {
            if cut { cuts.insert(key) } else { cuts.remove(key) }
        }
    }

    func connectionID() -> ConnectionID {
        lock.withLock {
            nextConnection += 1
            return ConnectionID(rawValue: nextConnection)
        }
    }

    /// The endpoint a message from `sender` to `receiver` reaches, or why none does.
    func route(from sender: PeerIdentity, to receiver: PeerIdentity) throws(TransportError) -> InMemoryLink {
        let result = lock.withLock { () -> Result<InMemoryLink, TransportError> in
            if stopped.contains(sender) { return .failure(TransportError(.shutDown, "\(sender) is stopped")) }
            guard let link = links[receiver] else { return .failure(TransportError(.unknownPeer, "no endpoint for \(receiver)")) }
            if stopped.contains(receiver) { return .failure(TransportError(.connectionFailed, "\(receiver) does not answer (stopped)")) }
            if cuts.contains([sender, receiver].sorted { $0.description < $1.description }) {
                return .failure(TransportError(.connectionFailed, "the link between \(sender) and \(receiver) is cut"))
            }
            return .success(link)
        }
        return try result.get()
    }

    func identity(at address: PeerAddress) -> PeerIdentity? {
        lock.withLock { addresses[address] }
    }
}

/// One endpoint of an ``InMemoryMesh``.
public final class InMemoryLink: MeshLink, @unchecked Sendable {
    public let localIdentity: PeerIdentity
    public let messages: InboundMessages
    public let events: AsyncStream<ConnectionEvent>
    private let mesh: InMemoryMesh
    private let continuation: AsyncStream<InboundMessage>.Continuation
    private let eventsContinuation: AsyncStream<ConnectionEvent>.Continuation
    private let queuedBytes: InboundMessages.QueuedBytes
    private let connection: ConnectionID
    private let lock = NSLock()
    private var nextRequestID: UInt64 = 0
    private var pending: [UInt64: CheckedContinuation<Envelope, any Error>] = [:]
    private var revocations = RevocationList.empty
    /// One-way messages and requests dropped because the inbound queue was full.
    public private(set) var droppedMessageCount = 0

    init(identity: PeerIdentity, mesh: InMemoryMesh) {
        localIdentity = identity
        self.mesh = mesh
        connection = mesh.connectionID()
        let (stream, continuation) = AsyncStream.makeStream(of: InboundMessage.self, bufferingPolicy: .bufferingOldest(mesh.inboundQueueMaxMessages))
        queuedBytes = InboundMessages.QueuedBytes(limit: mesh.inboundQueueMaxBytes)
        messages = InboundMessages(stream: stream, queuedBytes: queuedBytes)
        self.continuation = continuation
        (events, eventsContinuation) = AsyncStream.makeStream(of: ConnectionEvent.self, bufferingPolicy: .bufferingNewest(64))
    }

    /// Addresses are the mesh's, fixed when each endpoint is made.
    public func setAddress(_ address: PeerAddress, for node: NodeID) async {}

    public func send(_ envelope: Envelope, to node: NodeID) async throws(TransportError) {
        var envelope = envelope
        envelope.sender = localIdentity.idString
        envelope.direction = .oneWay
        try mesh.route(from: localIdentity, to: .node(node)).deliver(envelope, from: self)
    }

    public func exchange(_ envelope: Envelope, to node: NodeID, timeout: Duration) async throws(TransportError) -> Envelope {
        let receiver = try mesh.route(from: localIdentity, to: .node(node))
        var envelope = envelope
        envelope.sender = localIdentity.idString
        envelope.direction = .request
        envelope.deadlineUnixMs = mesh.clock.unixMilliseconds + timeout.wholeMilliseconds
        let requestID = lock.withLock {
            nextRequestID += 1
            return nextRequestID
        }
        envelope.requestID = requestID
        let request = envelope
        let clock = mesh.clock
        let deadline = Task { [weak self] in
            try await clock.sleep(for: timeout)
            self?.complete(requestID, with: .failure(TransportError(.deadlineExceeded, "\(node) did not answer within \(timeout)")))
        }
        defer { deadline.cancel() }
        do {
            return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Envelope, any Error>) in
                lock.withLock { pending[requestID] = continuation }
                do throws(TransportError) {
                    try receiver.deliver(request, from: self)
                } catch {
                    complete(requestID, with: .failure(error))
                }
            }
        } catch let error as TransportError {
            throw error
        } catch {
            throw TransportError(.shutDown, "request failed: \(error)")
        }
    }

    public func reply(to request: InboundMessage, with response: Envelope) async throws(TransportError) {
        let requester = try mesh.route(from: localIdentity, to: request.from)
        requester.complete(request.envelope.requestID, with: .success(response.response(to: request.envelope, from: localIdentity)))
    }

    public func connect(to address: PeerAddress, expecting node: NodeID?) async throws -> PeerIdentity {
        guard let identity = mesh.identity(at: address) else {
            throw TransportError(.connectionFailed, "nothing listens at \(address)")
        }
        _ = try mesh.route(from: localIdentity, to: identity)
        if let node, identity != .node(node) {
            throw TransportError(.connectionFailed, "\(address) proved to be \(identity), not \(node)")
        }
        return identity
    }

    public func apply(_ list: RevocationList) async {
        lock.withLock { if list.supersedes(revocations) { revocations = list } }
    }

    /// The revocation list in force at this endpoint.
    public var revocationsInForce: RevocationList { lock.withLock { revocations } }

    /// Puts `envelope` from `sender` in this endpoint's inbound queue; a full queue answers a
    /// request busy and drops a one-way message, as a real node's transport does.
    func deliver(_ envelope: Envelope, from sender: InMemoryLink) throws(TransportError) {
        let message = InboundMessage(envelope: envelope, from: sender.localIdentity, connectionID: sender.connection)
        let size = InboundMessages.size(of: message)
        var accepted = queuedBytes.reserve(size)
        if accepted, case .dropped = continuation.yield(message) {
            queuedBytes.release(size)
            accepted = false
        }
        guard !accepted else { return }
        lock.withLock { droppedMessageCount += 1 }
        guard envelope.direction == .request else { return }
        var busy = Envelope()
        busy.kind = envelope.kind
        busy.direction = .response
        busy.requestID = envelope.requestID
        busy.status = .busy
        busy.statusMessage = "the node is busy: its inbound queue is full"
        sender.complete(envelope.requestID, with: .success(busy))
    }

    func complete(_ requestID: UInt64, with result: Result<Envelope, TransportError>) {
        let continuation = lock.withLock { pending.removeValue(forKey: requestID) }
        switch result {
        case .success(let envelope): continuation?.resume(returning: envelope)
        case .failure(let error): continuation?.resume(throwing: error)
        }
    }

    /// The endpoint stopped: nothing more arrives, and waiting requests fail.
    func finish() {
        continuation.finish()
        eventsContinuation.finish()
        let waiting = lock.withLock { () -> [CheckedContinuation<Envelope, any Error>] in
            defer { pending = [:] }
            return Array(pending.values)
        }
        for continuation in waiting { continuation.resume(throwing: TransportError(.shutDown, "\(localIdentity) stopped")) }
    }
}
