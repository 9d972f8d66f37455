/// The query ids a node has acted on, so that a plan received twice (replayed, or reaching
/// the node by a second path after its parent was presumed lost) is executed once
/// (DESIGN.md, "Planning and execution along a tree").
///
/// Every id is kept until its plan's deadline: a plan past its deadline is refused anyway,
/// and no node accepts a deadline more than ``QuerySubmission/timeoutMaxMilliseconds``
/// ahead, so expired ids can be forgotten without reopening the door to replays. The
/// number of ids held is bounded; when it is reached by live plans, new plans are refused
/// until some expire, which caps what a flood of plans can cost.
public struct SeenQueries: Sendable {
    public let capacity: Int
    private var deadlines: [QueryID: Int64] = [:]

    public init(capacity: Int = 100_000) {
        precondition(capacity > 0, "capacity must be positive")
        self.capacity = capacity
    }

    public var count: Int { deadlines.count }

    /// Records `queryID` and returns nil if it is new; otherwise the rejection to send.
    public mutating func admit(_ queryID: QueryID, deadlineMilliseconds: Int64, nowMilliseconds: Int64) -> QueryPlanRejection? {
        if deadlines[queryID] != nil {
            return QueryPlanRejection(.duplicate, "query \(queryID) was already received by this node; it is executed once")
        }
        if deadlines.count >= capacity {
            deadlines = deadlines.filter { $0.value > nowMilliseconds }
        }
        guard deadlines.count < capacity else {
            return QueryPlanRejection(.policy, "this node is running \(capacity) queries; try again after their deadlines")
        }
        deadlines[queryID] = deadlineMilliseconds
        return nil
    }
}
