import MeshCore

/// The masked plans a node has answered and may still be asked to unmask (docs/PRIVACY.md,
/// "Secure aggregation"): the unmasking request names only the query, so the node keeps the
/// plan it verified until the unmasking round's deadline, and answers one request per
/// query, so that no second request can draw the other kind of secret of a neighbour.
///
/// Bounded: past their unmasking deadline plans are forgotten, and beyond ``capacity``
/// the one whose deadline comes first makes room.
public struct HeldPlans: Sendable {
    public static let capacity = 4096

    private struct Entry: Sendable {
        var plan: QueryPlan
        var revealed: Bool
    }

    private var entries: [QueryID: Entry] = [:]

    public init() {}

    public var count: Int { entries.count }

    public mutating func hold(_ plan: QueryPlan, nowMilliseconds: Int64) {
        guard plan.secureAggregation else { return }
        if entries.count >= Self.capacity {
            entries = entries.filter { $0.value.plan.unmaskDeadlineMilliseconds > nowMilliseconds }
        }
        if entries.count >= Self.capacity, let first = entries.min(by: { $0.value.plan.unmaskDeadlineMilliseconds < $1.value.plan.unmaskDeadlineMilliseconds }) {
            entries[first.key] = nil
        }
        entries[plan.queryID] = entries[plan.queryID] ?? Entry(plan: plan, revealed: false)
    }

    /// The plan an unmasking request names, without admitting it: the request is verified
    /// against it first, so a forged request cannot use up the node's one answer.
    public func plan(of queryID: QueryID, nowMilliseconds: Int64) throws(QueryPlanRejection) -> QueryPlan {
        guard let entry = entries[queryID], nowMilliseconds < entry.plan.unmaskDeadlineMilliseconds else {
            throw QueryPlanRejection(.notATarget, "this node holds no masked plan of query \(queryID) in its unmasking round (it never answered it, or the round is over)")
        }
        return entry.plan
    }

    /// The plan of an unmasking request, marked as answered; a second request for the same
    /// query, one for a plan this node never held, or one past its deadline is refused.
    public mutating func admitUnmasking(_ queryID: QueryID, nowMilliseconds: Int64) throws(QueryPlanRejection) -> QueryPlan {
        guard var entry = entries[queryID] else {
            throw QueryPlanRejection(.notATarget, "this node holds no masked plan of query \(queryID) (it never answered it, or forgot it after its deadline)")
        }
        guard nowMilliseconds < entry.plan.unmaskDeadlineMilliseconds else {
            entries[queryID] = nil
            throw QueryPlanRejection(.deadline, "the unmasking round of query \(queryID) ended \(nowMilliseconds - entry.plan.unmaskDeadlineMilliseconds) ms ago")
        }
        guard !entry.revealed else {
            throw QueryPlanRejection(.duplicate, "this node already answered the unmasking request of query \(queryID); it answers one per query")
        }
        entry.revealed = true
        entries[queryID] = entry
        return entry.plan
    }
}
