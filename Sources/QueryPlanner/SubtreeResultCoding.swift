import Aggregation
import Foundation
import MeshCore
import SecureAggregation
import SwiftProtobuf

/// Protobuf coding of ``SubtreeResult`` (`SubtreeResult` in QueryPlan.proto): what a node
/// sends its parent in the aggregation tree (docs/ARCHITECTURE.md, "Planning and execution along a
/// tree", step 3).
///
/// The partial is embedded as the bytes of ``QueryPartial/serializedBytes()`` (Partial.proto),
/// so the partial has one encoding wherever it travels, and its decoder's checks (one
/// statistic per attribute, no cell twice, possible counts) apply here too. A result without
/// a partial (no node of the subtree contributed) leaves the field absent, which is not the
/// same as an empty partial.
extension SubtreeResult {
    public func encoded() -> [UInt8] {
        var message = WireSubtreeResult()
        if let partial {
            // Encoding integers and strings cannot fail.
            message.partial = Data(try! partial.serializedBytes())
        }
        message.coverage = coverage.wire
        message.strictestK = Int64(strictestK)
        if let maskedSum { message.maskedSum = Data(maskedSum.bytes) }
        message.shares = Self.wire(shares)
        message.reveals = reveals.sorted { $0.key < $1.key }.map { holder, ciphertext in
            var reveal = WireSealedReveal()
            reveal.holder = holder.rawValue
            reveal.ciphertext = Data(ciphertext)
            return reveal
        }
        return try! message.serializedBytes()
    }

    public init(decoding bytes: [UInt8]) throws(QueryPlanRejection) {
        let message = try WireDecoding.message(WireSubtreeResult.self, from: bytes, what: "the subtree result")
        var partial: QueryPartial?
        if message.hasPartial {
            do {
                partial = try QueryPartial(serializedBytes: Array(message.partial))
            } catch {
                throw QueryPlanRejection(.malformed, "the partial of the subtree result: \(error.message)")
            }
        }
        guard message.strictestK >= 0, message.strictestK <= Int64(Int32.max) else {
            throw QueryPlanRejection(.malformed, "the subtree result has strictest k \(message.strictestK); a minimum cell size is from 0 up")
        }
        var maskedSum: RingVector?
        if message.hasMaskedSum {
            guard let vector = RingVector(bytes: Array(message.maskedSum)) else {
                throw QueryPlanRejection(.malformed, "the masked sum of the subtree result has \(message.maskedSum.count) bytes, not a multiple of 16")
            }
            maskedSum = vector
        }
        self.init(
            partial: partial, coverage: try Coverage(wire: message.coverage), strictestK: Int(message.strictestK), maskedSum: maskedSum,
            shares: try Self.shares(message.shares, what: "the subtree result"),
            reveals: try Self.reveals(message.reveals)
        )
    }
}

extension SubtreeResult {
    static func shares(_ wire: [WireMaskedShare], what: String) throws(QueryPlanRejection) -> [ShareRoute: [UInt8]] {
        var shares: [ShareRoute: [UInt8]] = [:]
        for share in wire {
            let route = ShareRoute(
                sender: try WireDecoding.nodeID(share.sender, "the sender of a share in \(what)"),
                holder: try WireDecoding.nodeID(share.holder, "the holder of a share in \(what)")
            )
            guard shares.updateValue(Array(share.ciphertext), forKey: route) == nil else {
                throw QueryPlanRejection(.malformed, "\(what) carries two shares from \(route.sender) to \(route.holder)")
            }
        }
        return shares
    }

    static func wire(_ shares: [ShareRoute: [UInt8]]) -> [WireMaskedShare] {
        shares.sorted { $0.key < $1.key }.map { route, ciphertext in
            var share = WireMaskedShare()
            share.sender = route.sender.rawValue
            share.holder = route.holder.rawValue
            share.ciphertext = Data(ciphertext)
            return share
        }
    }

    private static func reveals(_ wire: [WireSealedReveal]) throws(QueryPlanRejection) -> [NodeID: [UInt8]] {
        var reveals: [NodeID: [UInt8]] = [:]
        for reveal in wire {
            let holder = try WireDecoding.nodeID(reveal.holder, "a holder in the subtree result")
            guard reveals.updateValue(Array(reveal.ciphertext), forKey: holder) == nil else {
                throw QueryPlanRejection(.malformed, "the subtree result carries two reveals of \(holder)")
            }
        }
        return reveals
    }
}
