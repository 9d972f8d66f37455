import Aggregation
import Foundation
import Gossip
import MeshCore
import QueryPlanner
import Testing

/// Planning at the origin against catalogues: the union vocabulary, pruning with reasons,
/// policy refusals, cell enumeration, the global cell bound, and release at K.
@Suite struct FederatedPlannerTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    /// A catalogue built the way a node builds its own, from a summary of its data.
    static func catalogue(
        _ node: String,
        codes: [String: Set<String>],
        ages: ClosedRange<Int64>? = 0...1000,
        policy: CataloguePolicy = CataloguePolicy(minimumCellSize: 5, maximumCellsPerQuery: 500)
    ) throws -> Catalogue {
        var ranges: [String: ClosedRange<Int64>] = ["study_year": 2000...2024, "image_count": 1...900]
        if let ages { ranges["age_at_diagnosis"] = ages }
        return try CatalogueBuilder(schema: .reference).build(
            nodeID: try NodeID(node),
            siteName: node,
            country: "NL",
            endpoints: ["127.0.0.1:1"],
            summary: SiteSummary(subjectCount: 500, categoricalCodes: codes, numericRanges: ranges),
            policy: policy,
            aggregationPublicKey: Array(repeating: 1, count: 32),
            version: 1,
            now: now
        )
    }

    static func plan(_ sql: String, _ catalogues: [Catalogue], researcher: String = "alice", fanout: Int? = nil) throws(PlanningError) -> FederatedPlanner.Outcome {
        var random = SeededRandom(seed: 7)
        return try FederatedPlanner.plan(
            QuerySubmission(sql: sql, fanout: fanout),
            researcher: try! ResearcherID(researcher),
            origin: try! NodeID("origin"),
            catalogues: catalogues,
            nowMilliseconds: 1_800_000_000_000,
            random: &random
        )
    }

    func mesh() throws -> [Catalogue] {
        [
            try Self.catalogue("origin", codes: ["modality": ["CT", "MR"], "diagnosis": ["C50", "C61"], "sex": ["F", "M"]]),
            try Self.catalogue("prostate", codes: ["modality": ["MR", "PT"], "diagnosis": ["C61"], "sex": ["M"]], ages: 450...900),
            try Self.catalogue("children", codes: ["modality": ["MR", "US"], "diagnosis": ["C71", "C74"], "sex": ["F", "M"]], ages: 0...180),
        ]
    }

    @Test func codesAndNamesComeFromTheUnionOfTheCatalogues() throws {
        let vocabulary = FederatedPlanner.vocabulary(of: try mesh())
        guard case .categorical(let codes)? = vocabulary.entries["modality"]?.kind else {
            Issue.record("modality is categorical")
            return
        }
        #expect(codes == ["CT", "MR", "PT", "US"])
        #expect(throws: PlanningError.self) { try Self.plan("SELECT COUNT(*) FROM cases WHERE modality = 'NM'", try mesh()) }
        do {
            _ = try Self.plan("SELECT COUNT(*) FROM cases GROUP BY modaliti", try mesh())
            Issue.record("an unknown attribute is an error")
        } catch let error as PlanningError {
            #expect(error.queryError?.location == SourceLocation(line: 1, column: 37))
            #expect(error.message.contains("did you mean 'modality'?"))
        }
        do {
            _ = try Self.plan("SELECT COUNT(*) FROM cases WHERE age_at_diagnosis = 'old'", try mesh())
            Issue.record("a string compared with a numeric is an error")
        } catch let error as PlanningError {
            #expect(error.message.contains("numeric"))
        }
    }

    @Test func nodesThatCannotMatchArePrunedWithTheReason() throws {
        let outcome = try Self.plan("SELECT COUNT(DISTINCT subject) FROM cases WHERE diagnosis IN ('C61', 'C50')", try mesh())
        #expect(outcome.plan.targets.map(\.rawValue) == ["origin", "prostate"])
        #expect(outcome.pruned.mapKeys(\.rawValue) == ["children": "holds no diagnosis 'C61', 'C50'"])

        let adults = try Self.plan("SELECT COUNT(*) FROM cases WHERE age_at_diagnosis BETWEEN 50 AND 80 AND sex = 'F'", try mesh())
        #expect(Set(adults.plan.targets.map(\.rawValue)) == ["origin"])
        #expect(adults.pruned[try NodeID("children")]?.contains("age_at_diagnosis") == true)
        #expect(adults.pruned[try NodeID("prostate")] == "holds no sex 'F'")

        // Negations and OR with one satisfiable side never prune.
        let either = try Self.plan("SELECT COUNT(*) FROM cases WHERE diagnosis = 'C71' OR NOT modality = 'CT'", try mesh())
        #expect(either.pruned.isEmpty)
    }

    @Test func publishedPoliciesRefuseOnTheProvidersBehalf() throws {
        var catalogues = try mesh()
        catalogues.append(try Self.catalogue("strict", codes: ["modality": ["MR"]], policy: CataloguePolicy(minimumCellSize: 20, allowedQueryKinds: [.count], maximumCellsPerQuery: 3, allowedResearchers: [try ResearcherID("bob")])))
        catalogues.append(try Self.catalogue("counts-only", codes: ["modality": ["MR"]], policy: CataloguePolicy(minimumCellSize: 5, allowedQueryKinds: [.count], maximumCellsPerQuery: 500)))
        let outcome = try Self.plan("SELECT HISTOGRAM(age_at_diagnosis, 0, 100, 10) FROM cases", catalogues)
        #expect(outcome.refused[try NodeID("strict")]?.contains("researcher alice") == true)
        #expect(outcome.refused[try NodeID("counts-only")]?.contains("histogram queries are not allowed") == true)
        #expect(!outcome.plan.targets.contains(try NodeID("strict")))
        let bob = try Self.plan("SELECT COUNT(*) FROM cases GROUP BY modality", catalogues, researcher: "bob")
        #expect(bob.refused[try NodeID("strict")] == "policy: the query has 4 cells; this provider allows at most 3")
    }

    @Test func cellsAreTheProductOfDeclaredLevelsAndBins() throws {
        let outcome = try Self.plan("SELECT COUNT(*) FROM cases GROUP BY modality, BIN(age_at_diagnosis, 0, 100, 4)", try mesh())
        #expect(outcome.plan.cells.dimensions[0] == [.code("CT"), .code("MR"), .code("PT"), .code("US")])
        #expect(outcome.plan.cells.dimensions[1] == (-1...4).map(GroupValue.bin))
        #expect(outcome.plan.cells.count == 24)
        // Only the catalogues that can contribute declare the levels.
        let prostate = try Self.plan("SELECT COUNT(*) FROM cases WHERE diagnosis = 'C61' GROUP BY modality", try mesh())
        #expect(prostate.plan.cells.dimensions[0] == [.code("CT"), .code("MR"), .code("PT")])
    }

    @Test func aQueryLargerThanEveryProviderAllowsIsAnError() throws {
        let small = try mesh().map { catalogue -> Catalogue in
            var copy = catalogue
            copy.policy.maximumCellsPerQuery = 10
            return copy
        }
        #expect {
            try Self.plan("SELECT COUNT(*) FROM cases GROUP BY modality, diagnosis", small)
        } throws: { error in
            (error as? PlanningError)?.message.contains("no provider allows more than 10") == true
        }
    }

    @Test func thePlanCarriesWhatEveryNodeNeeds() throws {
        let outcome = try Self.plan("select count(*) from cases where sex = 'F' group by modality", try mesh(), fanout: 2)
        let plan = outcome.plan
        #expect(plan.normalisedQuery == "SELECT COUNT(*) FROM cases WHERE sex = 'F' GROUP BY modality")
        #expect(plan.fanout == 2)
        // Masked by default: the first round gets two thirds of the timeout, the unmasking
        // round the rest, ending exactly at the timeout.
        #expect(plan.secureAggregation)
        #expect(plan.deadlineMilliseconds == plan.issuedAtMilliseconds + QuerySubmission.defaultTimeoutMilliseconds * 2 / 3)
        #expect(plan.unmaskDeadlineMilliseconds <= plan.issuedAtMilliseconds + QuerySubmission.defaultTimeoutMilliseconds)
        #expect(plan.unmaskDeadlineMilliseconds > plan.deadlineMilliseconds)
        #expect(plan.tree.root == (try NodeID("origin")))
        #expect(plan.levelMarginMilliseconds * Int64(plan.tree.depth + 1) < QuerySubmission.defaultTimeoutMilliseconds)
        #expect(throws: PlanningError.self) { try Self.plan("SELECT COUNT(*) FROM cases", try mesh(), fanout: 0) }
    }

    /// K is the largest k of every catalogue planned against, never a claim in a partial
    /// (here 1); every enumerated cell is listed, an empty one (PT) as "<K" like a small one.
    @Test func releaseAppliesTheStrictestKOfThePlannedCataloguesAndReportsEveryone() throws {
        var catalogues = try mesh()
        catalogues.append(try Self.catalogue("strict", codes: ["modality": ["MR"]], policy: CataloguePolicy(minimumCellSize: 10, maximumCellsPerQuery: 500)))
        let outcome = try Self.plan("SELECT COUNT(DISTINCT subject) FROM cases GROUP BY modality", catalogues)
        let partial = QueryPartial(statisticAttributes: [], cells: [
            [.code("CT")]: CellPartial(studies: 30, subjects: 12, statistics: []),
            [.code("MR")]: CellPartial(studies: 9, subjects: 9, statistics: []),
            [.code("US")]: CellPartial(studies: 2, subjects: 2, statistics: []),
        ])
        let result = outcome.release(SubtreeResult(partial: partial, coverage: Coverage(answered: [try NodeID("origin"), try NodeID("children")], timedOut: [try NodeID("prostate")]), strictestK: 1))
        #expect(result.table.k == 10)
        #expect(result.table.rows == [[.text("CT"), .integer(12)], [.text("MR"), .suppressed("<10")], [.text("PT"), .suppressed("<10")], [.text("US"), .suppressed("<10")]])
        #expect(result.coverage.timedOut == [try NodeID("prostate")])
        #expect(result.queryID == outcome.plan.queryID)
    }
}

extension Dictionary {
    func mapKeys<T: Hashable>(_ transform: (Key) -> T) -> [T: Value] {
        Dictionary<T, Value>(uniqueKeysWithValues: map { (transform($0.key), $0.value) })
    }
}
