import MeshCore

/// What a node's shells need from the transport, and all they may use of it: one-way
/// sends, requests with a deadline, replies, dialing a seed, the inbound messages and the
/// connection events. ``MeshTransport`` implements it over mutual TLS; ``InMemoryMesh``
/// implements it in one process for tests of the shells without sockets
/// (docs/ARCHITECTURE.md, "Code structure: pure cores and thin shells").
public protocol MeshLink: AnyObject, Sendable {
    /// This endpoint's proven identity.
    var localIdentity: PeerIdentity { get }
    /// Messages and requests from peers, oldest first, bounded.
    var messages: InboundMessages { get }
    /// Connections authenticated, refused and closed, bounded (the newest are kept).
    var events: AsyncStream<ConnectionEvent> { get }

    /// Records where `node` listens (the membership keeps it current).
    func setAddress(_ address: PeerAddress, for node: NodeID) async
    /// Queues a one-way message for `node`.
    func send(_ envelope: Envelope, to node: NodeID) async throws(TransportError)
    /// Sends a request and returns the response, whatever its status, or throws
    /// `deadlineExceeded` once `timeout` has passed.
    func exchange(_ envelope: Envelope, to node: NodeID, timeout: Duration) async throws(TransportError) -> Envelope
    /// Answers a request received through ``messages``.
    func reply(to request: InboundMessage, with response: Envelope) async throws(TransportError)
    /// Dials `address` and returns the identity it proved (`expecting` a node, or any).
    func connect(to address: PeerAddress, expecting node: NodeID?) async throws -> PeerIdentity
    /// Puts a newer revocation list in force: revoked peers are refused from now on.
    func apply(_ list: RevocationList) async
}

extension MeshLink {
    /// ``exchange(_:to:timeout:)``, with a response that is not OK thrown as `remoteError`.
    public func request(_ envelope: Envelope, to node: NodeID, timeout: Duration) async throws(TransportError) -> Envelope {
        let response = try await exchange(envelope, to: node, timeout: timeout)
        guard response.status == .ok else {
            throw TransportError(.remoteError, "\(node) answered \(response.status): \(response.statusMessage)")
        }
        return response
    }

    /// Dials `address`, accepting any node.
    public func connect(to address: PeerAddress) async throws -> PeerIdentity {
        try await connect(to: address, expecting: nil)
    }
}

extension Envelope {
    /// This envelope as the response to `request`, sent by `sender`: what every link's
    /// `reply(to:with:)` puts on the way back.
    func response(to request: Envelope, from sender: PeerIdentity) -> Envelope {
        var response = self
        response.direction = .response
        response.requestID = request.requestID
        response.sender = sender.idString
        return response
    }
}
