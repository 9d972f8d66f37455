import Aggregation
import MeshCore

/// How `meshnode query` shows a federated result: the released table, and the coverage that
/// says which nodes it speaks for (docs/ARCHITECTURE.md, "Queries": results carry coverage, with
/// reasons). Node lists are sorted by ID so that the same result always prints the same.
extension FederatedResult {
    /// `{"query_id": "...", "columns": [...], "rows": [[...]], "k": K, "perturbed": bool,
    /// "noise_sigma": σ, "coverage":
    /// {"answered": [...], "pruned": {"node": "reason"}, "refused": {...}, "timed_out": [...],
    /// "failed": {...}}}`; values as in ``ResultTable/json()``, suppressed ones as "<K".
    public func json() -> String {
        var out = "{\"query_id\": " + ResultTable.jsonString(queryID.description)
        out += ", \"columns\": [" + table.columns.map(ResultTable.jsonString).joined(separator: ", ") + "]"
        out += ", \"rows\": [" + table.rows.map { row in "[" + row.map(ResultTable.json).joined(separator: ", ") + "]" }.joined(separator: ", ") + "]"
        out += ", \"k\": \(table.k)"
        out += ", \"perturbed\": \(table.isPerturbed), \"noise_sigma\": \(table.noiseSigma)"
        out += ", \"coverage\": {"
        out += "\"answered\": " + Self.jsonList(coverage.answered)
        out += ", \"pruned\": " + Self.jsonObject(coverage.pruned)
        out += ", \"refused\": " + Self.jsonObject(coverage.refused)
        out += ", \"timed_out\": " + Self.jsonList(coverage.timedOut)
        out += ", \"failed\": " + Self.jsonObject(coverage.failed)
        return out + "}}"
    }

    /// The table alone, as ``ResultTable/csv()``: CSV has no place for coverage, and tools
    /// that read it expect one header and rows.
    public func csv() -> String {
        table.csv()
    }

    /// The table as ``ResultTable/table()``, then the coverage, one line per outcome:
    ///
    /// ```
    /// answered (3): hospital-a, hospital-b, registry-c
    /// pruned: paediatric-d (no attribute slice_thickness_mm)
    /// timed out: hospital-e
    /// ```
    ///
    /// The answered line is always there; the others only when they name a node. (Named
    /// `tableText()`, not `table()`, since ``table`` is the result's stored table.)
    public func tableText() -> String {
        var lines = [
            "answered (\(coverage.answered.count)): "
                + (coverage.answered.isEmpty ? "none" : coverage.answered.sorted().map(\.rawValue).joined(separator: ", "))
        ]
        let outcomes: [(String, [NodeID: String]?, Set<NodeID>)] = [
            ("pruned", coverage.pruned, []),
            ("refused", coverage.refused, []),
            ("timed out", nil, coverage.timedOut),
            ("failed", coverage.failed, []),
        ]
        for (name, reasons, nodes) in outcomes {
            let entries: [String]
            if let reasons {
                entries = reasons.keys.sorted().map { "\($0) (\(reasons[$0]!))" }
            } else {
                entries = nodes.sorted().map(\.rawValue)
            }
            if !entries.isEmpty {
                lines.append("\(name): " + entries.joined(separator: ", "))
            }
        }
        return table.table() + lines.joined(separator: "\n") + "\n"
    }

    private static func jsonList(_ nodes: Set<NodeID>) -> String {
        "[" + nodes.sorted().map { ResultTable.jsonString($0.rawValue) }.joined(separator: ", ") + "]"
    }

    private static func jsonObject(_ reasons: [NodeID: String]) -> String {
        "{" + reasons.keys.sorted().map { ResultTable.jsonString($0.rawValue) + ": " + ResultTable.jsonString(reasons[$0]!) }.joined(separator: ", ") + "}"
    }
}
