import Aggregation

/// What a node sends its parent in the aggregation tree: the merged partial of itself and
/// every descendant that answered, who is covered, and the strictest k among the nodes
/// whose partials are merged (the origin releases cells at that K; DESIGN.md, "Queries").
public struct SubtreeResult: Sendable, Equatable {
    /// Nil when no node of the subtree contributed a partial.
    public var partial: QueryPartial?
    public var coverage: Coverage
    /// The largest minimum cell size among ``Coverage/answered``; 0 when none answered.
    public var strictestK: Int

    public init(partial: QueryPartial?, coverage: Coverage, strictestK: Int) {
        self.partial = partial
        self.coverage = coverage
        self.strictestK = strictestK
    }

    /// Merges another subtree's result into this one unless a sum would overflow; then this
    /// result is unchanged and the answer is false.
    public mutating func mergeReportingOverflow(_ other: SubtreeResult) -> Bool {
        if partial != nil, let theirs = other.partial {
            // In place: the partial's cells are not copied.
            guard partial!.mergeReportingOverflow(theirs) else { return false }
        } else if partial == nil {
            partial = other.partial
        }
        coverage.merge(other.coverage)
        strictestK = max(strictestK, other.strictestK)
        return true
    }

    /// Merges a result the node trusts (its own local part); partials merge exactly.
    public mutating func merge(_ other: SubtreeResult) {
        let merged = mergeReportingOverflow(other)
        precondition(merged, "results of different queries, or sums beyond their integer types, cannot merge")
    }
}
