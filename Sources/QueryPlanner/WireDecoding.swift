import Foundation
import MeshCore
import SwiftProtobuf

/// The checks every decoder of QueryPlan.proto messages shares. Protobuf accepts any string
/// where a node ID belongs and any text where a number does; these turn what a peer could get
/// wrong into a ``QueryPlanRejection`` with code `.malformed` that names the field at fault,
/// before any of it reaches the planner, the executor or a log line.
enum WireDecoding {
    /// Numbers longer than this are refused outright: a `Decimal` holds 38 significant digits
    /// and exponents up to 127, so no number the parser accepts prints longer.
    static let decimalTextMaxCharacters = 200

    static func message<M: SwiftProtobuf.Message>(_ type: M.Type, from bytes: [UInt8], what: String) throws(QueryPlanRejection) -> M {
        do {
            return try M(serializedBytes: bytes)
        } catch {
            throw QueryPlanRejection(.malformed, "\(what) is not a protobuf \(M.protoMessageName): \(error)")
        }
    }

    static func nodeID(_ raw: String, _ what: String) throws(QueryPlanRejection) -> NodeID {
        do {
            return try NodeID(raw)
        } catch {
            throw QueryPlanRejection(.malformed, "\(what): \(error.message)")
        }
    }

    static func researcherID(_ raw: String, _ what: String) throws(QueryPlanRejection) -> ResearcherID {
        do {
            return try ResearcherID(raw)
        } catch {
            throw QueryPlanRejection(.malformed, "\(what): \(error.message)")
        }
    }

    /// Node IDs of a list that stands for a set: each valid, none twice.
    static func nodeSet(_ raws: [String], _ what: String) throws(QueryPlanRejection) -> [NodeID] {
        var nodes: [NodeID] = []
        var seen: Set<NodeID> = []
        for raw in raws {
            let node = try nodeID(raw, what)
            guard seen.insert(node).inserted else {
                throw QueryPlanRejection(.malformed, "\(what) names node \(node) twice")
            }
            nodes.append(node)
        }
        return nodes
    }

    /// A plain decimal, as ``decimalText(_:)`` writes it: an optional minus, digits, and an
    /// optional fraction. Foundation's own parser also takes leading spaces, exponents and
    /// trailing garbage ("12abc" is 12), which would let two peers read one plan differently.
    static func decimal(_ text: String, _ what: String) throws(QueryPlanRejection) -> Decimal {
        let scalars = Array(text.unicodeScalars)
        var index = scalars.first == "-" ? 1 : 0
        func digits() -> Int {
            let start = index
            while index < scalars.count, ("0"..."9").contains(scalars[index]) { index += 1 }
            return index - start
        }
        var wellFormed = scalars.count <= decimalTextMaxCharacters && digits() > 0
        if wellFormed, index < scalars.count, scalars[index] == "." {
            index += 1
            wellFormed = digits() > 0
        }
        guard wellFormed, index == scalars.count,
            let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")), !value.isNaN
        else {
            throw QueryPlanRejection(.malformed, "\(what) is '\(text)', not a decimal number such as -12.5")
        }
        return value
    }

    /// Plain digits with a '.' whatever the locale, never an exponent.
    static func decimalText(_ value: Decimal) -> String {
        value.description
    }
}
