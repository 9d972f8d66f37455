import Aggregation
import Foundation
import MeshCore
import QueryPlanner
import X509

/// An in-memory federation and a plan for the plan coding and signature tests.
struct QueryPlanFixtures {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let nowMilliseconds = UnixMilliseconds.from(now)
    static let vocabulary = QueryVocabulary(schema: .reference)

    static let hospitalA = try! NodeID("hospital-a")
    static let hospitalB = try! NodeID("hospital-b")
    static let registryC = try! NodeID("registry-c")
    static let researcher = try! ResearcherID("dr-jones")

    static let query = try! QueryParser.parse(
        """
        SELECT COUNT(*), COUNT(DISTINCT subject), AVG(age_at_diagnosis), STDDEV(slice_thickness_mm) FROM cases
        WHERE diagnosis IN ('C50', 'C61') AND NOT (slice_thickness_mm IS NULL OR study_year NOT BETWEEN 2000.5 AND 2020)
        GROUP BY sex, BIN(age_at_diagnosis, -0.5, 100, 4)
        """,
        vocabulary: vocabulary
    )

    static func plan(
        origin: NodeID = hospitalA,
        targets: [NodeID] = [hospitalA, hospitalB, registryC],
        fanout: Int = 8,
        deadlineMilliseconds: Int64 = nowMilliseconds + 10_000
    ) -> QueryPlan {
        QueryPlan(
            queryID: try! QueryID(bytes: Array(0..<16)),
            researcher: researcher,
            origin: origin,
            normalisedQuery: query.normalisedText,
            query: query,
            cells: CellSpace(dimensions: [
                [.code("F"), .code("M"), .code("O"), .null],
                [.bin(-1), .bin(0), .bin(1), .bin(2), .bin(3), .bin(4)],
            ]),
            targets: targets,
            fanout: fanout,
            issuedAtMilliseconds: nowMilliseconds,
            deadlineMilliseconds: deadlineMilliseconds,
            levelMarginMilliseconds: 500
        )
    }

    let ca: FederationCA
    let nodeA: Credential
    let nodeB: Credential
    let researcherCredential: Credential

    init() throws {
        ca = try FederationCA.create(now: Self.now)
        nodeA = try ca.issue(.node(Self.hospitalA), now: Self.now)
        nodeB = try ca.issue(.node(Self.hospitalB), now: Self.now)
        researcherCredential = try ca.issue(.researcher(Self.researcher), now: Self.now)
    }

    func verifier(revocations: RevocationList = .empty) -> QueryPlanVerifier {
        QueryPlanVerifier(caCertificate: ca.certificate, revocations: revocations)
    }
}
