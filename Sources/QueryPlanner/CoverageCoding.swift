import Foundation
import MeshCore
import SwiftProtobuf

/// Protobuf coding of ``Coverage`` (`Coverage` in QueryPlan.proto), which travels up the
/// tree inside every ``SubtreeResult`` and out to the researcher in a ``FederatedResult``
/// (docs/ARCHITECTURE.md, "Queries": results carry coverage).
///
/// Sets and maps go out sorted by node ID, so equal coverages encode to equal bytes whatever
/// order their dictionaries hold. Decoding refuses invalid node IDs, a node listed twice in
/// one outcome, and a node in two outcomes that ``Coverage/normalise()`` would have
/// separated: a parent trusts a child's coverage to account for every node once.
extension Coverage {
    public func encoded() -> [UInt8] {
        // Encoding strings and submessages cannot fail.
        try! wire.serializedBytes()
    }

    public init(decoding bytes: [UInt8]) throws(QueryPlanRejection) {
        try self.init(wire: try WireDecoding.message(WireCoverage.self, from: bytes, what: "the coverage"))
    }

    var wire: WireCoverage {
        var message = WireCoverage()
        message.answered = answered.sorted().map(\.rawValue)
        message.pruned = Self.entries(pruned)
        message.refused = Self.entries(refused)
        message.timedOut = timedOut.sorted().map(\.rawValue)
        message.failed = Self.entries(failed)
        return message
    }

    init(wire message: WireCoverage) throws(QueryPlanRejection) {
        let answered = Set(try WireDecoding.nodeSet(message.answered, "the answered nodes of the coverage"))
        let pruned = try Self.reasons(message.pruned, "pruned")
        let refused = try Self.reasons(message.refused, "refused")
        let timedOut = Set(try WireDecoding.nodeSet(message.timedOut, "the timed-out nodes of the coverage"))
        let failed = try Self.reasons(message.failed, "failed")
        // The pairs normalise() separates, in its order of precedence.
        let outcomes: [(String, Set<NodeID>)] = [
            ("answered", answered), ("refused", Set(refused.keys)), ("failed", Set(failed.keys)), ("timed out", timedOut),
        ]
        for (index, (firstName, first)) in outcomes.enumerated() {
            for (secondName, second) in outcomes.dropFirst(index + 1) {
                if let node = first.intersection(second).min() {
                    throw QueryPlanRejection(.malformed, "the coverage lists node \(node) as both \(firstName) and \(secondName); a node has one outcome")
                }
            }
        }
        if let node = answered.intersection(pruned.keys).min() {
            throw QueryPlanRejection(.malformed, "the coverage lists node \(node) as both answered and pruned; a node has one outcome")
        }
        self.init(answered: answered, pruned: pruned, refused: refused, timedOut: timedOut, failed: failed)
    }

    private static func entries(_ reasons: [NodeID: String]) -> [WireCoverageEntry] {
        reasons.keys.sorted().map { node in
            var entry = WireCoverageEntry()
            entry.node = node.rawValue
            entry.reason = reasons[node]!
            return entry
        }
    }

    private static func reasons(_ entries: [WireCoverageEntry], _ outcome: String) throws(QueryPlanRejection) -> [NodeID: String] {
        var reasons: [NodeID: String] = [:]
        for entry in entries {
            let node = try WireDecoding.nodeID(entry.node, "a \(outcome) node of the coverage")
            guard reasons[node] == nil else {
                throw QueryPlanRejection(.malformed, "the coverage lists node \(node) as \(outcome) twice")
            }
            reasons[node] = entry.reason
        }
        return reasons
    }
}
