import Aggregation
import Foundation
import SwiftProtobuf

/// Protobuf coding of ``SubtreeResult`` (`SubtreeResult` in QueryPlan.proto): what a node
/// sends its parent in the aggregation tree (DESIGN.md, "Planning and execution along a
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
        self.init(partial: partial, coverage: try Coverage(wire: message.coverage), strictestK: Int(message.strictestK))
    }
}
