import Aggregation
import Foundation
import SwiftProtobuf

/// Protobuf coding of ``FederatedResult`` (`FederatedResult` in QueryPlan.proto): the answer
/// the origin returns to `meshnode query` (docs/ARCHITECTURE.md, "Planning and execution along a tree",
/// step 5). Values keep their type, so a suppressed cell ("<K") stays distinguishable from a
/// text that happens to read "<5", and a count from a mean.
///
/// Decoding checks that every row has one value per column, that every value is set, that k
/// is not negative, and the coverage (``Coverage/init(decoding:)``).
extension FederatedResult {
    public func encoded() -> [UInt8] {
        var message = WireFederatedResult()
        message.queryID = Data(queryID.bytes)
        message.columns = table.columns
        message.rows = table.rows.map { row in
            var wireRow = WireResultRow()
            wireRow.values = row.map(WireResultValue.init)
            return wireRow
        }
        message.k = Int64(table.k)
        message.noiseSigma = table.noiseSigma
        message.coverage = coverage.wire
        // Encoding scalars, strings and submessages cannot fail.
        return try! message.serializedBytes()
    }

    public init(decoding bytes: [UInt8]) throws(QueryPlanRejection) {
        let message = try WireDecoding.message(WireFederatedResult.self, from: bytes, what: "the federated result")
        let queryID = try QueryID(bytes: Array(message.queryID))
        let what = "the result of query \(queryID)"
        var rows: [[ResultTable.Value]] = []
        for (index, wireRow) in message.rows.enumerated() {
            guard wireRow.values.count == message.columns.count else {
                throw QueryPlanRejection(
                    .malformed,
                    "row \(index + 1) of \(what) has \(wireRow.values.count) values for \(message.columns.count) columns"
                )
            }
            var row: [ResultTable.Value] = []
            for wireValue in wireRow.values {
                switch wireValue.value {
                case .text(let text)?: row.append(.text(text))
                case .integer(let integer)?: row.append(.integer(integer))
                case .real(let real)?: row.append(.real(real))
                case .null?: row.append(.null)
                case .suppressed(let marker)?: row.append(.suppressed(marker))
                case nil: throw QueryPlanRejection(.malformed, "row \(index + 1) of \(what) has an empty value")
                }
            }
            rows.append(row)
        }
        guard message.k >= 0, message.k <= Int64(Int32.max) else {
            throw QueryPlanRejection(.malformed, "\(what) has k \(message.k); a minimum cell size is from 0 up")
        }
        guard message.noiseSigma.isFinite, message.noiseSigma >= 0 else {
            throw QueryPlanRejection(.malformed, "\(what) has noise sigma \(message.noiseSigma)")
        }
        self.init(
            queryID: queryID,
            table: ResultTable(columns: message.columns, rows: rows, k: Int(message.k), noiseSigma: message.noiseSigma),
            coverage: try Coverage(wire: message.coverage)
        )
    }
}

extension WireResultValue {
    init(_ value: ResultTable.Value) {
        self.init()
        switch value {
        case .text(let text): self.text = text
        case .integer(let integer): self.integer = integer
        case .real(let real): self.real = real
        case .null: self.null = true
        case .suppressed(let marker): self.suppressed = marker
        }
    }
}
