import MeshCore

/// Where the shell must deliver a message.
public enum SWIMDestination: Hashable, Sendable {
    /// A known member, authenticated by its node ID when the TLS connection is set up.
    case node(NodeID, address: String)
    /// A seed whose node ID is not known yet (join); any authenticated federation node may answer.
    case address(String)
}

/// Timeouts the core asks the shell to deliver back through ``SWIMInstance/onTimer(_:now:)``.
///
/// Timers are never cancelled: each carries what identifies the work it belongs to, and the
/// core ignores one whose work is finished (a stale timer), so the shell stays trivial.
public enum SWIMTimer: Hashable, Sendable {
    /// Start of the next protocol period: finish the previous probe, start the next (SWIM §4.3).
    case protocolPeriod
    /// The direct ping of probe `sequence` got no ack in time: probe indirectly (SWIM §3.1).
    case pingTimeout(sequence: UInt64)
    /// An indirect probe this node runs for another got no ack: send a nack (Lifeguard §IV.A).
    case relayTimeout(sequence: UInt64)
    /// Check whether the suspicion of `node` at `incarnation` has expired (SWIM §4.2).
    case suspicionTimeout(NodeID, incarnation: UInt64)
    /// Exchange full state with one random live member (anti-entropy).
    case pushPull
    /// Send the waiting rumours to a few random members (memberlist's gossip round).
    case gossipRound
    /// No seed answered join attempt `attempt`: try again.
    case joinRetry(attempt: Int)
}

/// Changes of membership the rest of the node reacts to (routing, catalogue, logs).
public enum MembershipEvent: Hashable, Sendable {
    /// A member became known alive, or came back with a higher incarnation after dying or leaving.
    case joined(Member)
    /// A member is suspected of having failed (SWIM §4.2).
    case suspected(Member)
    /// A suspected member refuted the suspicion with a higher incarnation (SWIM §4.2).
    case refuted(Member)
    /// A member was confirmed failed (SWIM §4.2, "Confirm").
    case died(Member)
    /// A member announced that it leaves.
    case left(Member)
    /// A seed answered the join request; the membership list now holds its state.
    case joinCompleted(via: NodeID)
}

/// What the shell must do after an input: the core's only way to affect the world.
public enum SWIMAction: Hashable, Sendable {
    case send(SWIMMessage, to: SWIMDestination)
    /// Call ``SWIMInstance/onTimer(_:now:)`` with `timer` once `after` has passed.
    case schedule(SWIMTimer, after: Duration)
    case event(MembershipEvent)
    /// `sender` announced that it holds these catalogue versions: pull those newer than the
    /// ones held from it, and ``SWIMInstance/announceCatalogue(_:)`` each one accepted.
    case catalogueNews([CatalogueDigestEntry], from: NodeID)
}
