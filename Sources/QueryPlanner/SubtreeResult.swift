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
        if var mine = partial, let theirs = other.partial {
            guard mine.mergeReportingOverflow(theirs) else { return false }
            partial = mine
        } else if partial == nil {
            partial = other.partial
        }
        coverage.merge(other.coverage)
        strictestK = max(strictestK, other.strictestK)
        return true
    }

    /// Merges another subtree's result into this one; partials merge exactly.
    public mutating func merge(_ other: SubtreeResult) {
        switch (partial, other.partial) {
        case (nil, let theirs): partial = theirs
        case (var mine?, let theirs?):
            mine.merge(theirs)
            partial = mine
        case (_?, nil): break
        }
        coverage.merge(other.coverage)
        strictestK = max(strictestK, other.strictestK)
    }
}
