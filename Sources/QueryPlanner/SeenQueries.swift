import MeshCore

/// The query ids a node has acted on, so that a plan received twice (replayed, or reaching
/// the node by a second path after its parent was presumed lost) is executed once
/// (docs/ARCHITECTURE.md, "Queries").
///
/// Every id is kept until its plan's deadline: a plan past its deadline is refused anyway,
/// and no node accepts a deadline more than ``QuerySubmission/timeoutMaxMilliseconds``
/// ahead, so expired ids can be forgotten without reopening the door to replays. The
/// number of ids held is bounded twice: in all, and per origin, so that one origin
/// flooding plans fills its own share and not the node's room for every other origin.
/// Past either bound new plans are refused as busy until some expire.
public struct SeenQueries: Sendable {
    public let capacity: Int
    public let capacityPerOrigin: Int
    private var entries: [QueryID: (origin: NodeID, deadlineMilliseconds: Int64)] = [:]
    private var perOrigin: [NodeID: Int] = [:]

    /// The ids a node holds in all unless told otherwise.
    public static let defaultCapacity = 100_000

    public init(capacity: Int = Self.defaultCapacity, capacityPerOrigin: Int = 10_000) {
        precondition(capacity > 0 && capacityPerOrigin > 0, "capacities must be positive")
        self.capacity = capacity
        self.capacityPerOrigin = capacityPerOrigin
    }

    public var count: Int { entries.count }

    /// The ids held for `origin`.
    public func count(of origin: NodeID) -> Int { perOrigin[origin] ?? 0 }

    /// Records `queryID` from `origin` and returns nil if it is new; otherwise the
    /// rejection to send.
    public mutating func admit(_ queryID: QueryID, origin: NodeID, deadlineMilliseconds: Int64, nowMilliseconds: Int64) -> QueryPlanRejection? {
        if entries[queryID] != nil {
            return QueryPlanRejection(.duplicate, "query \(queryID) was already received by this node; it is executed once")
        }
        if entries.count >= capacity || count(of: origin) >= capacityPerOrigin {
            forget(expiredAt: nowMilliseconds)
        }
        if count(of: origin) >= capacityPerOrigin {
            return QueryPlanRejection(
                .busy, "this node holds \(capacityPerOrigin) live queries from \(origin), its limit per origin; retry after \(soonestDeadline(of: origin) - nowMilliseconds) ms")
        }
        guard entries.count < capacity else {
            return QueryPlanRejection(.busy, "this node holds \(capacity) live queries, its limit; retry after \(soonestDeadline(of: nil) - nowMilliseconds) ms")
        }
        entries[queryID] = (origin, deadlineMilliseconds)
        perOrigin[origin, default: 0] += 1
        return nil
    }

    private mutating func forget(expiredAt nowMilliseconds: Int64) {
        entries = entries.filter { $0.value.deadlineMilliseconds > nowMilliseconds }
        perOrigin = [:]
        for entry in entries.values { perOrigin[entry.origin, default: 0] += 1 }
    }

    /// When the first id (of `origin`, or of anyone) expires and frees its slot.
    private func soonestDeadline(of origin: NodeID?) -> Int64 {
        entries.values.filter { origin == nil || $0.origin == origin }.map(\.deadlineMilliseconds).min() ?? 0
    }
}
