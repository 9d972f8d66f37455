/// Who is at the other end of an authenticated connection, as proven by the SAN URI of a
/// certificate that chains to the federation CA.
///
/// Nodes carry `urn:oncomesh:node:<id>`, researchers `urn:oncomesh:researcher:<id>`
/// (docs/ARCHITECTURE.md, "Identity and PKI"). The role decides what a peer may do: only nodes join the
/// mesh, only researchers submit researcher queries.
public enum PeerIdentity: Hashable, Sendable, CustomStringConvertible {
    case node(NodeID)
    case researcher(ResearcherID)

    public static let nodeURIPrefix = "urn:oncomesh:node:"
    public static let researcherURIPrefix = "urn:oncomesh:researcher:"

    public enum Role: String, Sendable, Hashable, CaseIterable {
        case node
        case researcher
    }

    public var role: Role {
        switch self {
        case .node: .node
        case .researcher: .researcher
        }
    }

    /// The SAN URI that names this identity in a certificate.
    public var uri: String {
        switch self {
        case .node(let id): Self.nodeURIPrefix + id.rawValue
        case .researcher(let id): Self.researcherURIPrefix + id.rawValue
        }
    }

    /// Parses an OncoMesh SAN URI; returns nil for URIs of other schemes, throws for an
    /// OncoMesh URI whose ID breaks the rules.
    public init?(uri: String) throws(IdentifierError) {
        if uri.hasPrefix(Self.nodeURIPrefix) {
            self = .node(try NodeID(String(uri.dropFirst(Self.nodeURIPrefix.count))))
        } else if uri.hasPrefix(Self.researcherURIPrefix) {
            self = .researcher(try ResearcherID(String(uri.dropFirst(Self.researcherURIPrefix.count))))
        } else {
            return nil
        }
    }

    public var description: String {
        switch self {
        case .node(let id): "node \(id)"
        case .researcher(let id): "researcher \(id)"
        }
    }
}
