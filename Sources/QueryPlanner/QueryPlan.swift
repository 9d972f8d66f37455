import Aggregation
import MeshCore

/// Everything a node needs to take part in one federated query (docs/ARCHITECTURE.md, "Planning and
/// execution along a tree"), signed by the origin as a ``SignedQueryPlan``.
///
/// Every node recomputes the same ``tree`` from (query id, targets, fanout), and its own
/// deadline from its depth in it: a node at depth d answers by `deadline - d * levelMargin`,
/// so each level leaves the level above it one margin to merge and answer in turn.
public struct QueryPlan: Sendable, Equatable {
    public var queryID: QueryID
    public var researcher: ResearcherID
    public var origin: NodeID
    /// The query as text in its canonical form (`Query.normalisedText`), for audits and logs;
    /// every node checks that it is the text of ``query``.
    public var normalisedQuery: String
    public var query: Query
    /// The result cells, enumerated at planning.
    public var cells: CellSpace
    /// Nodes asked to contribute, the origin included when it holds data that can.
    public var targets: [NodeID]
    public var fanout: Int
    public var issuedAtMilliseconds: Int64
    /// When the origin releases the result, Unix milliseconds.
    public var deadlineMilliseconds: Int64
    /// Time each tree level leaves the level above it.
    public var levelMarginMilliseconds: Int64
    /// Standard deviation of the noise the origin adds to each released count (the largest
    /// the targets publish); 0 for exact release (docs/PRIVACY.md, "Noise").
    public var noiseSigma: Double
    /// Fixed-point bounds each provider clamps statistic values to before summing: the
    /// sensitivity the origin scales the noise of sums to.
    public var statisticBounds: [String: ClosedRange<Int64>]
    /// The researcher's signed submission, carried unchanged (``SubmissionVerifier``).
    public var submission: SignedSubmission?
    /// Whether partials travel masked, with an unmasking round after the first
    /// (docs/PRIVACY.md, "Secure aggregation").
    public var secureAggregation: Bool

    public init(
        queryID: QueryID,
        researcher: ResearcherID,
        origin: NodeID,
        normalisedQuery: String,
        query: Query,
        cells: CellSpace,
        targets: [NodeID],
        fanout: Int,
        issuedAtMilliseconds: Int64,
        deadlineMilliseconds: Int64,
        levelMarginMilliseconds: Int64,
        noiseSigma: Double = 0,
        statisticBounds: [String: ClosedRange<Int64>] = [:],
        submission: SignedSubmission? = nil,
        secureAggregation: Bool = false
    ) {
        self.queryID = queryID
        self.researcher = researcher
        self.origin = origin
        self.normalisedQuery = normalisedQuery
        self.query = query
        self.cells = cells
        self.targets = targets
        self.fanout = fanout
        self.issuedAtMilliseconds = issuedAtMilliseconds
        self.deadlineMilliseconds = deadlineMilliseconds
        self.levelMarginMilliseconds = levelMarginMilliseconds
        self.noiseSigma = noiseSigma
        self.statisticBounds = statisticBounds
        self.submission = submission
        self.secureAggregation = secureAggregation
    }

    /// How the origin perturbs this plan's result.
    public var perturbation: Perturbation {
        Perturbation(sigma: noiseSigma, statisticBounds: statisticBounds)
    }

    /// The aggregation tree; the origin is its root whether or not it is a target.
    public var tree: AggregationTree {
        AggregationTree(queryID: queryID.bytes, origin: origin, targets: targets, fanout: fanout)
    }

    /// When `node` must have answered its parent in the first round (the origin: when it
    /// releases, or under secure aggregation when it fixes the responders).
    public func deadline(of node: NodeID, in tree: AggregationTree) -> Int64 {
        deadlineMilliseconds - Int64(tree.depth(of: node) ?? tree.depth) * levelMarginMilliseconds
    }

    /// When the unmasking round ends at the origin: half the first round's time after it.
    /// A planner gives the first round two thirds of the researcher's timeout
    /// (``firstRoundShare(ofTimeoutMilliseconds:)``), so both rounds end within it; the
    /// time follows from the signed plan and needs no signature of its own.
    public var unmaskDeadlineMilliseconds: Int64 {
        deadlineMilliseconds + max(0, deadlineMilliseconds - issuedAtMilliseconds) / 2
    }

    /// The unmasking round's tree: a star, the origin asking every other target directly.
    ///
    /// The first round needs the tree, because interior nodes add masked vectors and no
    /// node may see one alone; the unmasking round adds nothing on the way (each reveal is
    /// sealed to the origin), so a tree would only add hops: over a wide-area link each
    /// level costs two one-way delays, which made a masked query twice as slow as a
    /// plaintext one at every size. The star makes the round one round trip, and each
    /// provider sends and receives one message in it. The origin sends one per target, as
    /// the server of SecAgg+ does (Bell et al., CCS 2020, section 3); it already receives
    /// every share in the first round, so its traffic stays within the same order. Every
    /// target derives the same star from the plan.
    public var unmaskTree: AggregationTree {
        AggregationTree(queryID: queryID.bytes, origin: origin, targets: targets, fanout: max(1, targets.count))
    }

    /// The margin of the unmasking round's one level, split like the first round's. The
    /// star's depth follows from the targets alone (one level below the origin, none when
    /// the origin is the only target), so no tree is built for it on every deadline.
    public var unmaskLevelMarginMilliseconds: Int64 {
        let depth = targets.contains(where: { $0 != origin }) ? 1 : 0
        return Self.levelMargin(budgetMilliseconds: unmaskDeadlineMilliseconds - deadlineMilliseconds, depth: depth)
    }

    /// When `node` must have answered its parent in the unmasking round.
    public func unmaskDeadline(of node: NodeID, in tree: AggregationTree) -> Int64 {
        unmaskDeadlineMilliseconds - Int64(tree.depth(of: node) ?? tree.depth) * unmaskLevelMarginMilliseconds
    }

    /// The part of a timeout the first round gets: all of it in the plaintext tree, two
    /// thirds under secure aggregation (the unmasking round takes the rest).
    public static func firstRoundShare(ofTimeoutMilliseconds timeout: Int64, secureAggregation: Bool) -> Int64 {
        secureAggregation ? timeout * 2 / 3 : timeout
    }

    /// The margin per level for a query that may take `budgetMilliseconds` over a tree of
    /// `depth` levels: an equal share of the budget per level and one for execution, at
    /// least 20 ms and at most 500 ms, since merging and answering take milliseconds while
    /// a share of a long budget is better spent waiting for slow leaves.
    public static func levelMargin(budgetMilliseconds: Int64, depth: Int) -> Int64 {
        min(500, max(20, budgetMilliseconds / Int64(depth + 2)))
    }
}

/// The result cells of a query, enumerated up front (docs/ARCHITECTURE.md, "Planning and execution
/// along a tree"): for each grouping, its levels (the codes the targets' catalogues declare,
/// NULL when a target's attribute is nullable, or the histogram bins with underflow and
/// overflow); the cells are their product. An ungrouped query has one cell.
public struct CellSpace: Sendable, Equatable {
    public var dimensions: [[GroupValue]]

    public init(dimensions: [[GroupValue]]) {
        self.dimensions = dimensions
    }

    public var count: Int {
        dimensions.reduce(1) { product, levels in product.multipliedReportingOverflow(by: levels.count).partialValue }
    }

    /// Every cell of the space, in no particular order; one empty key for an ungrouped query.
    public var allCells: [[GroupValue]] {
        dimensions.reduce([[]]) { prefixes, levels in prefixes.flatMap { prefix in levels.map { prefix + [$0] } } }
    }

    /// Whether a cell key lies in the space (a node must not return cells outside it).
    public func contains(_ key: [GroupValue]) -> Bool {
        key.count == dimensions.count && zip(key, dimensions).allSatisfy { value, levels in levels.contains(value) }
    }
}
