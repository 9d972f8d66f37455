import Aggregation
import Foundation
import MeshCore
import QueryPlanner
import Testing

/// What `meshnode query` prints: the table and, except in CSV, the coverage.
@Suite struct FederatedResultOutputTests {
    let result = FederatedResult(
        queryID: try! QueryID(hex: "00112233445566778899aabbccddeeff"),
        table: ResultTable(
            columns: ["sex", "count_distinct_subject"],
            rows: [[.text("F"), .integer(120)], [.text("M \"x\""), .suppressed("<10")]],
            k: 10
        ),
        coverage: Coverage(
            answered: [try! NodeID("hospital-b"), try! NodeID("hospital-a")],
            pruned: [try! NodeID("paediatric-d"): "lacks code C61", try! NodeID("centre-c"): "no attribute slice_thickness_mm"],
            timedOut: [try! NodeID("slow-e")],
            failed: [try! NodeID("gone-f"): "unreachable"]
        )
    )

    @Test func jsonCarriesTheQueryTheTableAndTheCoverage() throws {
        let json = result.json()
        #expect(
            json
                == #"{"query_id": "00112233445566778899aabbccddeeff", "columns": ["sex", "count_distinct_subject"], "rows": [["F", 120], ["M \"x\"", "<10"]], "k": 10, "#
                + #""perturbed": false, "noise_sigma": 0.0, "#
                + #""coverage": {"answered": ["hospital-a", "hospital-b"], "pruned": {"centre-c": "no attribute slice_thickness_mm", "paediatric-d": "lacks code C61"}, "#
                + #""refused": {}, "timed_out": ["slow-e"], "failed": {"gone-f": "unreachable"}}}"#
        )
        // It is JSON.
        let parsed = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        #expect((parsed?["coverage"] as? [String: Any])?["timed_out"] as? [String] == ["slow-e"])
    }

    @Test func csvIsTheTableAlone() {
        #expect(result.csv() == result.table.csv())
        #expect(!result.csv().contains("hospital-a"))
    }

    @Test func tableTextEndsWithTheCoverage() {
        let text = result.tableText()
        #expect(text.hasPrefix(result.table.table()))
        #expect(
            text.dropFirst(result.table.table().count)
                == """
                answered (2): hospital-a, hospital-b
                pruned: centre-c (no attribute slice_thickness_mm), paediatric-d (lacks code C61)
                timed out: slow-e
                failed: gone-f (unreachable)

                """
        )
        let nobody = FederatedResult(queryID: result.queryID, table: result.table, coverage: Coverage())
        #expect(nobody.tableText().hasSuffix("answered (0): none\n"))
    }
}
