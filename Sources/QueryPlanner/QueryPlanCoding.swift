import Aggregation
import Foundation
import MeshCore
import SwiftProtobuf

/// Protobuf coding of ``QueryPlan`` (`QueryPlan` in QueryPlan.proto): the payload an origin
/// signs (``SignedQueryPlan``; docs/ARCHITECTURE.md, "Identity and PKI" and "Planning and execution
/// along a tree").
///
/// Encoding is deterministic, since the signature covers the bytes: fields go out in field
/// order, lists in the plan's own order, and nothing is a protobuf map. Verifiers never
/// re-encode: they check the signature over the bytes received and only then decode.
///
/// Decoding checks what a peer could get wrong before any node acts on it: the query id has
/// ``QueryID/byteCount`` bytes; the researcher, origin and targets are valid IDs, no target
/// twice; the fanout is at least 1 (the tree needs it); the deadline lies after the issue
/// time and the level margin is not negative; the query decodes (``Query/init(decoding:)``);
/// and the cell space has one dimension per grouping, each holding levels of the grouping's
/// kind (codes or NULL for an attribute, bins from -1 to n for a binning), none twice.
extension QueryPlan {
    public func encoded() -> [UInt8] {
        // Encoding a message of scalars, strings and submessages cannot fail.
        try! wire.serializedBytes()
    }

    public init(decoding bytes: [UInt8]) throws(QueryPlanRejection) {
        try self.init(wire: try WireDecoding.message(WireQueryPlan.self, from: bytes, what: "the plan"))
    }

    var wire: WireQueryPlan {
        var message = WireQueryPlan()
        message.queryID = Data(queryID.bytes)
        message.researcher = researcher.rawValue
        message.origin = origin.rawValue
        message.normalisedQuery = normalisedQuery
        message.query = query.wire
        message.dimensions = cells.dimensions.map { levels in
            var dimension = WirePlanDimension()
            dimension.levels = levels.map(WirePlanGroupValue.init)
            return dimension
        }
        message.targets = targets.map(\.rawValue)
        // A fanout outside 1...UInt32.max cannot make a tree; it encodes as 0 or the maximum
        // and the decoder refuses the former.
        message.fanout = UInt32(clamping: fanout)
        message.issuedAtMs = issuedAtMilliseconds
        message.deadlineMs = deadlineMilliseconds
        message.levelMarginMs = levelMarginMilliseconds
        message.noiseSigma = noiseSigma
        message.statisticBounds = statisticBounds.keys.sorted().map { attribute in
            var bounds = WirePlanStatisticBounds()
            bounds.attribute = attribute
            bounds.lower = statisticBounds[attribute]!.lowerBound
            bounds.upper = statisticBounds[attribute]!.upperBound
            return bounds
        }
        if let submission { message.submission = submission.wire }
        message.secureAggregation = secureAggregation
        return message
    }

    init(wire message: WireQueryPlan) throws(QueryPlanRejection) {
        let queryID = try QueryID(bytes: Array(message.queryID))
        let origin = try WireDecoding.nodeID(message.origin, "the origin of plan \(queryID)")
        let what = "plan \(queryID) from \(origin)"
        let researcher = try WireDecoding.researcherID(message.researcher, "the researcher of \(what)")
        guard !message.normalisedQuery.isEmpty else {
            throw QueryPlanRejection(.malformed, "\(what) carries no query text")
        }
        guard message.hasQuery else {
            throw QueryPlanRejection(.malformed, "\(what) carries no query")
        }
        let query: Query
        do {
            query = try Query(wire: message.query)
        } catch {
            throw QueryPlanRejection(.malformed, "\(what): \(error.message)")
        }
        let cells = try CellSpace(wire: message.dimensions, groupBy: query.groupBy, what: what)
        let targets = try WireDecoding.nodeSet(message.targets, "the targets of \(what)")
        guard message.fanout >= 1 else {
            throw QueryPlanRejection(.malformed, "\(what) has fanout 0; an aggregation tree needs a fanout of at least 1")
        }
        guard message.deadlineMs > message.issuedAtMs else {
            throw QueryPlanRejection(
                .malformed,
                "\(what) has its deadline (\(message.deadlineMs) ms) at or before its issue time (\(message.issuedAtMs) ms)"
            )
        }
        guard message.levelMarginMs >= 0 else {
            throw QueryPlanRejection(.malformed, "\(what) has a negative level margin (\(message.levelMarginMs) ms)")
        }
        guard message.noiseSigma.isFinite, message.noiseSigma >= 0 else {
            throw QueryPlanRejection(.malformed, "\(what) has noise sigma \(message.noiseSigma); it must be a finite number of at least 0")
        }
        var statisticBounds: [String: ClosedRange<Int64>] = [:]
        let statisticAttributes = Set(query.statisticAttributes)
        for bounds in message.statisticBounds {
            guard statisticAttributes.contains(bounds.attribute) else {
                throw QueryPlanRejection(.malformed, "\(what) bounds '\(bounds.attribute)', which its query has no statistic of")
            }
            guard bounds.lower <= bounds.upper, statisticBounds[bounds.attribute] == nil else {
                throw QueryPlanRejection(.malformed, "\(what) has bounds [\(bounds.lower), \(bounds.upper)] of '\(bounds.attribute)' that are empty or given twice")
            }
            statisticBounds[bounds.attribute] = bounds.lower...bounds.upper
        }
        if message.noiseSigma > 0, let unbounded = statisticAttributes.subtracting(statisticBounds.keys).sorted().first {
            throw QueryPlanRejection(.malformed, "\(what) adds noise but gives no bounds for the statistic of '\(unbounded)'")
        }
        self.init(
            queryID: queryID,
            researcher: researcher,
            origin: origin,
            normalisedQuery: message.normalisedQuery,
            query: query,
            cells: cells,
            targets: targets,
            fanout: Int(message.fanout),
            issuedAtMilliseconds: message.issuedAtMs,
            deadlineMilliseconds: message.deadlineMs,
            levelMarginMilliseconds: message.levelMarginMs,
            noiseSigma: message.noiseSigma,
            statisticBounds: statisticBounds,
            submission: message.hasSubmission ? SignedSubmission(wire: message.submission) : nil,
            secureAggregation: message.secureAggregation
        )
    }
}

extension CellSpace {
    init(wire dimensions: [WirePlanDimension], groupBy: [Grouping], what: String) throws(QueryPlanRejection) {
        guard dimensions.count == groupBy.count else {
            throw QueryPlanRejection(
                .malformed,
                "\(what) has \(dimensions.count) cell dimension(s) but its query groups by \(groupBy.count) attribute(s)"
            )
        }
        var decoded: [[GroupValue]] = []
        for (dimension, grouping) in zip(dimensions, groupBy) {
            var levels: [GroupValue] = []
            var seen: Set<GroupValue> = []
            for wireLevel in dimension.levels {
                let level: GroupValue
                switch (wireLevel.value, grouping) {
                case (.code(let code)?, .attribute): level = .code(code)
                case (.null?, .attribute): level = .null
                case (.bin(let bin)?, .bin(_, _, _, let count)) where (-1...count).contains(Int(bin)): level = .bin(Int(bin))
                case (nil, _):
                    throw QueryPlanRejection(.malformed, "\(what) has an empty level in the cells of \(grouping.columnName)")
                default:
                    throw QueryPlanRejection(.malformed, "\(what) has a level that \(grouping.columnName) cannot take: \(wireLevel.value!)")
                }
                guard seen.insert(level).inserted else {
                    throw QueryPlanRejection(.malformed, "\(what) lists the level \(level) of \(grouping.columnName) twice")
                }
                levels.append(level)
            }
            decoded.append(levels)
        }
        self.init(dimensions: decoded)
    }
}

extension WirePlanGroupValue {
    init(_ value: GroupValue) {
        self.init()
        switch value {
        case .code(let code): self.code = code
        case .null: self.null = true
        // Bins run from -1 to QueryParser.maximumBins.
        case .bin(let bin): self.bin = Int32(clamping: bin)
        }
    }
}
