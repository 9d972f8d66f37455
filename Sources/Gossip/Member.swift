import MeshCore

/// One entry of the membership list: who, where to reach them, and what we believe.
public struct Member: Hashable, Sendable, CustomStringConvertible {
    public var nodeID: NodeID
    /// "host:port" the member listens on.
    public var address: String
    public var status: MemberStatus

    public init(nodeID: NodeID, address: String, status: MemberStatus) {
        self.nodeID = nodeID
        self.address = address
        self.status = status
    }

    public var description: String { "\(nodeID)@\(address) \(status)" }
}

/// A rumour piggybacked on protocol messages (SWIM §4.1, "infection-style dissemination"):
/// a member's status and the node that declared it.
///
/// The source matters for suspicions: Lifeguard shortens a suspicion only for confirmations
/// from distinct nodes (Lifeguard §IV.B), which needs to know who suspects, not who relayed.
public struct MemberUpdate: Hashable, Sendable, CustomStringConvertible {
    public var member: Member
    /// The node that declared `member.status`: the suspecting or confirming node for
    /// suspect and dead, the member itself for alive and left.
    public var source: NodeID

    public init(member: Member, source: NodeID) {
        self.member = member
        self.source = source
    }

    public var description: String { "\(member) (from \(source))" }
}
