import MeshCore

/// A message received from an authenticated peer. `from` is the identity proven by the
/// peer's certificate, never the self-declared `envelope.sender`.
public struct InboundMessage: Sendable {
    public let envelope: Envelope
    public let from: PeerIdentity
    /// The connection it arrived on, so that a reply to a researcher (who cannot be dialed)
    /// goes back the same way.
    public let connectionID: ConnectionID
}

/// Identifies one TCP connection of an endpoint, for logs and replies.
public struct ConnectionID: Hashable, Sendable, CustomStringConvertible {
    let rawValue: UInt64
    public var description: String { "c\(rawValue)" }
}

/// What happened to connections; for logs, status pages and tests.
public enum ConnectionEvent: Sendable, Equatable {
    /// A peer proved its identity.
    case authenticated(AuthenticatedPeer)
    /// A connection was refused before or right after the TLS handshake.
    case refused(remoteAddress: String, reason: String)
    /// An authenticated connection ended.
    case closed(PeerIdentity, reason: String)
}

/// A connection whose peer proved its identity.
public struct AuthenticatedPeer: Sendable, Equatable {
    public let identity: PeerIdentity
    public let remoteAddress: String
    /// Whether the peer dialed us.
    public let inbound: Bool
    /// The negotiated protocol, e.g. "TLS 1.3".
    public let tlsVersion: String
    public let connectionID: ConnectionID
}
