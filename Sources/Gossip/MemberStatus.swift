import MeshCore

/// What one node believes about another member, with the incarnation number that orders
/// such beliefs (SWIM, Das et al. 2002, section 4.2 "Suspicion mechanism").
///
/// Only the member itself raises its incarnation, to refute a suspicion about it; every
/// other node compares incarnations to decide which of two rumours is newer.
public enum MemberStatus: Hashable, Sendable, CustomStringConvertible {
    case alive(incarnation: UInt64)
    case suspect(incarnation: UInt64)
    case dead(incarnation: UInt64)
    /// The member announced that it leaves; like dead, but not a failure.
    case left(incarnation: UInt64)

    public var incarnation: UInt64 {
        switch self {
        case .alive(let i), .suspect(let i), .dead(let i), .left(let i): i
        }
    }

    /// Whether this status ends membership (kept as a tombstone so that stale gossip cannot
    /// bring the member back).
    public var isTerminal: Bool {
        switch self {
        case .dead, .left: true
        case .alive, .suspect: false
        }
    }

    /// Whether a received rumour `self` replaces the status `current` held locally:
    ///
    /// - `alive(i)` overrides `alive(j)` and `suspect(j)` when `i > j` (a refutation);
    /// - `suspect(i)` overrides `alive(j)` when `i >= j` and `suspect(j)` when `i > j`;
    /// - `dead(i)` and `left(i)` override `alive(j)` and `suspect(j)` when `i >= j` (SWIM's
    ///   "Confirm"; a confirmation older than a refutation is stale, as in memberlist), and
    ///   are only replaced by a live status of a strictly higher incarnation, which only a
    ///   member that rejoined can produce.
    ///
    /// The relation is antisymmetric: of two different statuses at most one supersedes the
    /// other, so no pair of rumours can flip a node's view back and forth.
    public func supersedes(_ current: MemberStatus) -> Bool {
        switch (self, current) {
        case (.alive(let new), .alive(let old)), (.alive(let new), .suspect(let old)):
            return new > old
        case (.suspect(let new), .alive(let old)):
            return new >= old
        case (.suspect(let new), .suspect(let old)):
            return new > old
        case (.dead(let new), .alive(let old)), (.dead(let new), .suspect(let old)),
            (.left(let new), .alive(let old)), (.left(let new), .suspect(let old)):
            return new >= old
        case (.alive(let new), .dead(let old)), (.alive(let new), .left(let old)):
            return new > old
        case (.suspect, .dead), (.suspect, .left):
            return false
        case (.dead(let new), .dead(let old)), (.left(let new), .left(let old)):
            return new > old
        case (.left(let new), .dead(let old)):
            // A member that announced leaving was not a failure: prefer the announcement.
            return new >= old
        case (.dead, .left):
            return false
        }
    }

    public var description: String {
        switch self {
        case .alive(let i): "alive(\(i))"
        case .suspect(let i): "suspect(\(i))"
        case .dead(let i): "dead(\(i))"
        case .left(let i): "left(\(i))"
        }
    }
}
