import Aggregation
import MeshCore
import SecureAggregation

/// What a node sends its parent in the aggregation tree: the merged partial of itself and
/// every descendant that answered (under secure aggregation: the sum of their masked
/// vectors and their encrypted self-mask shares), who is covered, and the strictest k among
/// the nodes whose partials are merged. In the unmasking round it carries what the
/// subtree's holders revealed, sealed to the origin.
public struct SubtreeResult: Sendable, Equatable {
    /// Nil when no node of the subtree contributed a plaintext partial.
    public var partial: QueryPartial?
    public var coverage: Coverage
    /// The largest minimum cell size among ``Coverage/answered``; 0 when none answered.
    public var strictestK: Int
    /// Under secure aggregation: the sum of the answered nodes' masked vectors.
    public var maskedSum: RingVector?
    /// The answered nodes' self-mask shares, encrypted to their holders.
    public var shares: [ShareRoute: [UInt8]]
    /// In the unmasking round: each holder's reveal, sealed to the origin.
    public var reveals: [NodeID: [UInt8]]

    /// Who sent a self-mask share to whom.
    public struct ShareRoute: Hashable, Sendable, Comparable {
        public var sender: NodeID
        public var holder: NodeID

        public init(sender: NodeID, holder: NodeID) {
            self.sender = sender
            self.holder = holder
        }

        public static func < (lhs: ShareRoute, rhs: ShareRoute) -> Bool {
            (lhs.holder, lhs.sender) < (rhs.holder, rhs.sender)
        }
    }

    public init(
        partial: QueryPartial?, coverage: Coverage, strictestK: Int, maskedSum: RingVector? = nil, shares: [ShareRoute: [UInt8]] = [:],
        reveals: [NodeID: [UInt8]] = [:]
    ) {
        self.partial = partial
        self.coverage = coverage
        self.strictestK = strictestK
        self.maskedSum = maskedSum
        self.shares = shares
        self.reveals = reveals
    }

    /// Merges another subtree's result into this one unless a sum would overflow or the
    /// masked vectors differ in length; then this result is unchanged and the answer is
    /// false. Masked vectors add in the ring and never overflow.
    public mutating func mergeReportingOverflow(_ other: SubtreeResult) -> Bool {
        if let mine = maskedSum, let theirs = other.maskedSum, mine.count != theirs.count { return false }
        if partial != nil, let theirs = other.partial {
            // In place: the partial's cells are not copied.
            guard partial!.mergeReportingOverflow(theirs) else { return false }
        } else if partial == nil {
            partial = other.partial
        }
        if maskedSum != nil, let theirs = other.maskedSum {
            maskedSum!.add(theirs)
        } else if maskedSum == nil {
            maskedSum = other.maskedSum
        }
        shares.merge(other.shares) { first, _ in first }
        reveals.merge(other.reveals) { first, _ in first }
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
