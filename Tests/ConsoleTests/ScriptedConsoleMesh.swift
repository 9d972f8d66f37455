import Aggregation
import Foundation
import Gossip
import MeshCore
import QueryPlanner

@testable import MeshNode

/// A mesh of three providers for the console's API tests: fixed catalogues, and one
/// released result per query whatever it asks, with a withheld cell and a timed-out node.
struct ScriptedConsoleMesh: ConsoleMesh {
    let researcher = try! ResearcherID("alice")
    let nodeAddress = "127.0.0.1:7400"
    /// Seconds `ask` takes, so that tests can see a query while it runs.
    var askDelaySeconds = 0.0

    static func catalogue(_ node: String, codes: [String: Set<String>], policy: CataloguePolicy = CataloguePolicy(minimumCellSize: 5, maximumCellsPerQuery: 500)) -> Catalogue {
        try! CatalogueBuilder(schema: .reference).build(
            nodeID: try! NodeID(node), siteName: node + " hospital", country: "NL", endpoints: ["127.0.0.1:1"],
            summary: SiteSummary(subjectCount: 500, categoricalCodes: codes, numericRanges: ["age_at_diagnosis": 200...900, "study_year": 2000...2024]),
            policy: policy, aggregationPublicKey: Array(repeating: 1, count: 32), version: 1, now: Date()
        )
    }

    func view() async throws -> ConsoleMeshSnapshot {
        let nodes = ["origin", "prostate", "children"]
        return ConsoleMeshSnapshot(
            origin: try NodeID("origin"),
            members: nodes.map { MeshView.MemberEntry(nodeID: $0, address: "127.0.0.1:1", status: "alive", incarnation: 0) },
            catalogues: [
                Self.catalogue("origin", codes: ["modality": ["CT", "MR"], "diagnosis": ["C50", "C61"], "sex": ["F", "M"]]),
                Self.catalogue("prostate", codes: ["modality": ["MR", "PT"], "diagnosis": ["C61"], "sex": ["M"]]),
                Self.catalogue(
                    "children", codes: ["modality": ["MR"], "diagnosis": ["C71"], "sex": ["F", "M"]],
                    policy: CataloguePolicy(minimumCellSize: 5, maximumCellsPerQuery: 500, allowedResearchers: [try ResearcherID("bob")])
                ),
            ],
            rejected: [],
            fetchedAt: Date()
        )
    }

    func ask(_ submission: QuerySubmission) async throws -> FederatedResult {
        if askDelaySeconds > 0 { try await Task.sleep(for: .seconds(askDelaySeconds)) }
        return FederatedResult(
            queryID: try QueryID(hex: "00112233445566778899aabbccddeeff"),
            table: ResultTable(columns: ["modality", "count_distinct_subject"], rows: [[.text("CT"), .integer(42)], [.text("MR"), .suppressed("<5")]], k: 5, noiseSigma: 2),
            coverage: Coverage(answered: [try NodeID("origin")], refused: [try NodeID("children"): "policy: researcher alice is not among the researchers this provider answers"], timedOut: [try NodeID("prostate")])
        )
    }
}
