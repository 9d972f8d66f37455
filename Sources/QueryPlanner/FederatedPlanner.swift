import Aggregation
import Gossip
import MeshCore

/// The origin's side of planning (docs/ARCHITECTURE.md, "Planning and execution along a tree", steps
/// 1 and 2): parse and check the query against the union of the live, verified
/// catalogues, prune the nodes that cannot contribute, refuse on behalf of the nodes whose
/// published policy does not allow the query, enumerate the cells, and draw the query id.
///
/// Pure: the catalogues, the time and the random source are inputs.
public enum FederatedPlanner {
    /// The outcome of planning: the plan to sign and send, and what the origin decided
    /// about the nodes it leaves out, which the result's coverage reports.
    public struct Outcome: Sendable, Equatable {
        public var plan: QueryPlan
        public var pruned: [NodeID: String]
        public var refused: [NodeID: String]
        /// Decimal places of the numeric attributes, for releasing statistics.
        public var scales: [String: Int]
        /// The published k of every target.
        public var thresholds: [NodeID: Int]
        /// The largest k among every catalogue the origin planned against, targets or not:
        /// the K of the release (docs/PRIVACY.md, "Threshold").
        public var strictestK: Int
    }

    /// What a federated query may name: the union of the catalogues' attributes. A code is
    /// known when any catalogue declares it; an attribute's type is the one most catalogues
    /// give it (a node that disagrees is pruned at planning).
    public static func vocabulary(of catalogues: [Catalogue]) -> QueryVocabulary {
        var votes: [String: [String: Int]] = [:]
        var codes: [String: Set<String>] = [:]
        var scales: [String: Int] = [:]
        var levels: [String: Attribute.Level] = [:]
        for catalogue in catalogues.sorted(by: { $0.nodeID < $1.nodeID }) {
            for attribute in catalogue.attributes {
                if levels[attribute.name] == nil { levels[attribute.name] = attribute.level }
                switch attribute.domain {
                case .categorical(let declared):
                    votes[attribute.name, default: [:]]["categorical", default: 0] += 1
                    codes[attribute.name, default: []].formUnion(declared)
                case .numeric(_, let scale, _):
                    votes[attribute.name, default: [:]]["numeric", default: 0] += 1
                    scales[attribute.name] = max(scales[attribute.name] ?? 0, scale)
                }
            }
        }
        var entries: [String: QueryVocabulary.Entry] = [:]
        for (name, tally) in votes {
            let numeric = (tally["numeric"] ?? 0) > (tally["categorical"] ?? 0)
            let kind: QueryVocabulary.Kind = numeric ? .numeric(scale: scales[name] ?? 0) : .categorical(codes: codes[name] ?? [])
            entries[name] = QueryVocabulary.Entry(kind: kind, level: levels[name] ?? .study)
        }
        return QueryVocabulary(entries: entries)
    }

    /// What an origin plans against: the catalogues of itself and of the members it sees
    /// alive; and the providers it knows of but does not see alive, which the result names
    /// (``Outcome/release(_:absent:)``) so that it is never silently partial.
    public static func catalogues(known: [Catalogue], live: Set<NodeID>, origin: NodeID) -> (usable: [Catalogue], absent: [NodeID]) {
        let usable = known.filter { $0.nodeID == origin || live.contains($0.nodeID) }
        let absent = known.map(\.nodeID).filter { $0 != origin && !live.contains($0) }
        return (usable, absent)
    }

    /// Plans `submission` for `researcher` at `origin`.
    ///
    /// - Parameters:
    ///   - queryID: the id the researcher signed; nil draws one from `random`.
    ///   - signed: the researcher's signed submission, carried in the plan.
    /// - Parameter catalogues: the verified catalogues of the live members, the origin's own
    ///   included.
    public static func plan(
        _ submission: QuerySubmission,
        researcher: ResearcherID,
        origin: NodeID,
        catalogues: [Catalogue],
        nowMilliseconds: Int64,
        random: inout some RandomNumberGenerator,
        queryID chosenID: QueryID? = nil,
        signed: SignedSubmission? = nil,
        parserLimits: QueryParser.Limits = .maximum
    ) throws(PlanningError) -> Outcome {
        let fanout = submission.fanout ?? QuerySubmission.defaultFanout
        guard fanout >= 1, fanout <= QuerySubmission.fanoutMax else {
            throw PlanningError("the fanout must be from 1 to \(QuerySubmission.fanoutMax); got \(fanout)")
        }
        guard submission.timeoutMilliseconds >= QuerySubmission.timeoutMinMilliseconds,
            submission.timeoutMilliseconds <= QuerySubmission.timeoutMaxMilliseconds
        else {
            throw PlanningError(
                "the timeout must be from \(QuerySubmission.timeoutMinMilliseconds) ms to \(QuerySubmission.timeoutMaxMilliseconds / 1000) s; got \(submission.timeoutMilliseconds) ms"
            )
        }
        let vocabulary = vocabulary(of: catalogues)
        let query: Query
        do {
            query = try QueryParser.parse(submission.sql, vocabulary: vocabulary, limits: parserLimits)
        } catch {
            throw PlanningError(query: error)
        }

        var pruned: [NodeID: String] = [:]
        var candidates: [Catalogue] = []
        for catalogue in catalogues.sorted(by: { $0.nodeID < $1.nodeID }) {
            if let reason = TargetPruning.reason(toPrune: catalogue, for: query) {
                pruned[catalogue.nodeID] = reason
            } else {
                candidates.append(catalogue)
            }
        }
        let cells = cellSpace(of: query, over: candidates)
        let largestAllowed = catalogues.map(\.policy.maximumCellsPerQuery).max() ?? 0
        if cells.count > largestAllowed {
            throw PlanningError("the query has \(cells.count) result cells; no provider allows more than \(largestAllowed) (narrow the filter or group by fewer attributes)")
        }
        var refused: [NodeID: String] = [:]
        var targets: [NodeID] = []
        var thresholds: [NodeID: Int] = [:]
        for catalogue in candidates {
            if let reason = catalogue.policy.refusal(of: query, cellCount: cells.count, researcher: researcher) {
                refused[catalogue.nodeID] = reason
            } else {
                targets.append(catalogue.nodeID)
                thresholds[catalogue.nodeID] = catalogue.policy.minimumCellSize
            }
        }
        let targetCatalogues = candidates.filter { thresholds[$0.nodeID] != nil }
        let sigma = targetCatalogues.map(\.policy.noiseSigma).max() ?? 0
        // A researcher's signed submission fixes the id; otherwise (the simulator) draw one.
        let queryID = chosenID ?? QueryID(using: &random)
        let tree = AggregationTree(queryID: queryID.bytes, origin: origin, targets: targets, fanout: fanout)
        let secureAggregation = !submission.plaintextTree
        let firstRound = QueryPlan.firstRoundShare(ofTimeoutMilliseconds: submission.timeoutMilliseconds, secureAggregation: secureAggregation)
        let plan = QueryPlan(
            queryID: queryID,
            researcher: researcher,
            origin: origin,
            normalisedQuery: query.normalisedText,
            query: query,
            cells: cells,
            targets: targets,
            fanout: fanout,
            issuedAtMilliseconds: nowMilliseconds,
            deadlineMilliseconds: nowMilliseconds + firstRound,
            levelMarginMilliseconds: QueryPlan.levelMargin(budgetMilliseconds: firstRound, depth: tree.depth),
            noiseSigma: sigma,
            statisticBounds: statisticBounds(of: query, over: targetCatalogues),
            submission: signed,
            secureAggregation: secureAggregation
        )
        return Outcome(
            plan: plan, pruned: pruned, refused: refused, scales: vocabulary.scales, thresholds: thresholds,
            strictestK: catalogues.map(\.policy.minimumCellSize).max() ?? 1
        )
    }

    /// The bounds providers clamp each statistic attribute to: the union of the ranges the
    /// targets publish (already rounded outwards to a coarse grid, so they say little about
    /// any one person), or 0...0 when no target holds a value. Bounds from public catalogues
    /// keep the noise on sums as small as the federation's data allows without reading it.
    public static func statisticBounds(of query: Query, over catalogues: [Catalogue]) -> [String: ClosedRange<Int64>] {
        var bounds: [String: ClosedRange<Int64>] = [:]
        for attribute in query.statisticAttributes {
            var union: ClosedRange<Int64>?
            for catalogue in catalogues {
                guard let domain = catalogue.attributes.first(where: { $0.name == attribute }),
                    case .numeric(_, _, let range?) = domain.domain
                else { continue }
                union = union.map { min($0.lowerBound, range.lowerBound)...max($0.upperBound, range.upperBound) } ?? range
            }
            bounds[attribute] = union ?? 0...0
        }
        return bounds
    }

    /// The cells of `query` over the catalogues that may contribute: for a categorical
    /// grouping the codes they declare (and NULL when one of them allows NULL), for a
    /// binning its bins with underflow and overflow.
    public static func cellSpace(of query: Query, over catalogues: [Catalogue]) -> CellSpace {
        CellSpace(
            dimensions: query.groupBy.map { grouping -> [GroupValue] in
                switch grouping {
                case .bin(_, _, _, let count):
                    return (-1...count).map(GroupValue.bin)
                case .attribute(let name):
                    var codes: Set<String> = []
                    var nullable = false
                    for catalogue in catalogues {
                        guard let attribute = catalogue.attributes.first(where: { $0.name == name }) else { continue }
                        if case .categorical(let declared) = attribute.domain { codes.formUnion(declared) }
                        nullable = nullable || attribute.nullable
                    }
                    return codes.sorted().map(GroupValue.code) + (nullable ? [.null] : [])
                }
            }
        )
    }
}

/// A query the origin cannot plan: a parse or type error (with its position), or a
/// request no provider could accept.
public struct PlanningError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    /// Set for errors in the query text.
    public let queryError: QueryError?

    public init(_ message: String) {
        self.message = message
        self.queryError = nil
    }

    public init(query error: QueryError) {
        self.message = error.description
        self.queryError = error
    }

    public var description: String { message }
}
