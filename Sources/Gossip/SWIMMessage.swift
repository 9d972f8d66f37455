import MeshCore

/// A message of the membership protocol. The sender's node ID is not part of the message:
/// the transport authenticates it (mutual TLS) and passes it to
/// ``SWIMInstance/onMessage(_:from:now:)``, so a node cannot speak for another.
///
/// `replyAddress` is where the sender listens; a receiver that does not know the sender yet
/// (a joining node, a node that learnt of us first) still knows where to answer.
public enum SWIMMessage: Hashable, Sendable {
    /// A direct probe (SWIM §3.1). Pinging a member we suspect carries that suspicion first
    /// in `updates`, so the member can refute at once (Lifeguard §IV.C, buddy system).
    case ping(sequence: UInt64, replyAddress: String, updates: [MemberUpdate])
    /// Ask the receiver to probe `target` for us and relay the ack, or send a nack if the
    /// target does not answer in time (SWIM §3.1 ping-req; Lifeguard §IV.A nack).
    case pingRequest(sequence: UInt64, target: NodeID, targetAddress: String, replyAddress: String, updates: [MemberUpdate])
    /// The answer to a ping, or a relayed answer to a ping-req, echoing its sequence number.
    case ack(sequence: UInt64, updates: [MemberUpdate])
    /// An intermediary could not reach the target of a ping-req (Lifeguard §IV.A).
    case nack(sequence: UInt64, updates: [MemberUpdate])
    /// A gossip round's message: rumours only, no answer expected (memberlist's gossip).
    /// `catalogueNews` announces catalogue versions the sender holds.
    case gossip(updates: [MemberUpdate], catalogueNews: [CatalogueDigestEntry])
    /// Full-state anti-entropy exchange; a request is answered with a response.
    case pushPull(PushPullKind, replyAddress: String, members: [Member])

    public enum PushPullKind: Hashable, Sendable {
        case request
        case response
    }

    /// The piggybacked updates (none for push-pull).
    public var updates: [MemberUpdate] {
        switch self {
        case .ping(_, _, let updates), .pingRequest(_, _, _, _, let updates), .ack(_, let updates), .nack(_, let updates), .gossip(let updates, _):
            updates
        case .pushPull:
            []
        }
    }

    /// The catalogue versions announced (only gossip messages carry them).
    public var catalogueNews: [CatalogueDigestEntry] {
        if case .gossip(_, let news) = self { news } else { [] }
    }
}
