import Foundation
import SwiftProtobuf

/// Protobuf coding of ``QuerySubmission`` (`QuerySubmission` in QueryPlan.proto): what
/// `meshnode query` sends the node a researcher asks.
///
/// An absent fanout travels as 0, which no tree can use. Decoding refuses an empty query and
/// a timeout outside 1 ms ... ``QuerySubmission/timeoutMaxMilliseconds``, since every node
/// would refuse a plan whose deadline lies further ahead (``QueryPlanVerifier``).
extension QuerySubmission {
    public func encoded() -> [UInt8] {
        var message = WireQuerySubmission()
        message.sql = sql
        message.timeoutMs = timeoutMilliseconds
        // A fanout below 1 cannot make a tree; it encodes as 0, which decodes as "the default".
        message.fanout = fanout.map { UInt32(clamping: $0) } ?? 0
        // Encoding a string and integers cannot fail.
        return try! message.serializedBytes()
    }

    public init(decoding bytes: [UInt8]) throws(QueryPlanRejection) {
        let message = try WireDecoding.message(WireQuerySubmission.self, from: bytes, what: "the query submission")
        guard !message.sql.allSatisfy(\.isWhitespace) else {
            throw QueryPlanRejection(.malformed, "the query submission holds no SQL; send a query such as SELECT COUNT(*) FROM cases")
        }
        guard (1...Self.timeoutMaxMilliseconds).contains(message.timeoutMs) else {
            throw QueryPlanRejection(
                .malformed,
                "the query submission asks for a timeout of \(message.timeoutMs) ms; choose 1 to \(Self.timeoutMaxMilliseconds) ms"
            )
        }
        self.init(sql: message.sql, timeoutMilliseconds: message.timeoutMs, fanout: message.fanout == 0 ? nil : Int(message.fanout))
    }
}
