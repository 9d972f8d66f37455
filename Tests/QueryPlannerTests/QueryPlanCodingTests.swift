import Aggregation
import Foundation
import MeshCore
import QueryPlanner
import Testing

/// Protobuf coding of plans, subtree results, coverage, submissions and results: round
/// trips, a clear `.malformed` for everything a peer could get wrong, and deterministic
/// bytes (a plan is signed over them).
@Suite struct QueryPlanCodingTests {
    typealias F = QueryPlanFixtures

    /// The rejection `decode` throws, or nil when it decodes.
    func rejection(_ decode: () throws -> Any) -> QueryPlanRejection? {
        do {
            _ = try decode()
            return nil
        } catch let error as QueryPlanRejection {
            return error
        } catch {
            Issue.record("not a QueryPlanRejection: \(error)")
            return nil
        }
    }

    func expectMalformed(
        _ decode: () throws -> Any,
        saying phrase: String,
        sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) {
        let refused = rejection(decode)
        #expect(refused?.code == .malformed, "\(String(describing: refused))", sourceLocation: sourceLocation)
        #expect(refused?.message.contains(phrase) == true, "'\(refused?.message ?? "accepted")' does not say '\(phrase)'", sourceLocation: sourceLocation)
    }

    /// A valid plan's wire form, changed.
    func plan(_ change: (inout WireQueryPlan) -> Void) throws -> [UInt8] {
        var wire = try WireQueryPlan(serializedBytes: F.plan().encoded())
        change(&wire)
        return try wire.serializedBytes()
    }

    // MARK: Round trips

    @Test func queriesRoundTrip() throws {
        let texts = [
            "SELECT COUNT(*) FROM cases",
            "SELECT VARIANCE(image_count), COUNT(DISTINCT subject) FROM cases WHERE modality NOT IN ('CT') OR NOT study_year BETWEEN -1.25 AND 3",
            "SELECT HISTOGRAM(slice_thickness_mm, 0.25, 5, 1000) FROM cases WHERE slice_thickness_mm IS NOT NULL AND (sex = 'M' OR sex <> 'F') GROUP BY sex, modality, diagnosis",
            "SELECT COUNT(*) FROM cases WHERE sex = 'M' AND (modality = 'CT' AND (diagnosis = 'C50' OR diagnosis = 'C61' OR (sex = 'F' OR sex = 'O')))",
        ]
        for text in texts {
            let query = try QueryParser.parse(text, vocabulary: F.vocabulary)
            #expect(try Query(decoding: query.encoded()) == query, "\(text)")
        }
        #expect(try Query(decoding: F.query.encoded()) == F.query)
    }

    /// A long chain of ANDs is one message level on the wire, not one per operand, so it
    /// stays within protobuf's nesting limit; a chain past the parser's limit on tests is
    /// refused before anything recurses over it.
    @Test func longConditionChainsRoundTripUpToTheLimit() throws {
        func query(tests: Int) -> Query {
            let conditions = (0..<tests / 2).map { Condition.comparison("age_at_diagnosis", .notEqual, .number(Decimal($0))) }
            let chain = conditions.dropFirst().reduce(conditions[0]) { Condition.and($0, $1) }
            return Query(aggregates: [.studyCount], filter: .or(chain, .not(chain)))
        }
        let longest = query(tests: QueryParser.maximumConditions)
        #expect(try Query(decoding: longest.encoded()) == longest)
        let tooLong = query(tests: 8000)
        #expect { try Query(decoding: tooLong.encoded()) } throws: { error in
            (error as? QueryPlanRejection)?.message.contains("more than \(QueryParser.maximumConditions) tests") == true
        }
    }

    @Test func planRoundTrips() throws {
        let plan = F.plan()
        #expect(try QueryPlan(decoding: plan.encoded()) == plan)
        let ungrouped = QueryPlan(
            queryID: try QueryID(hex: "00112233445566778899aabbccddeeff"),
            researcher: F.researcher,
            origin: F.registryC,
            normalisedQuery: "SELECT COUNT(*) FROM cases",
            query: Query(aggregates: [.studyCount]),
            cells: CellSpace(dimensions: []),
            targets: [],
            fanout: 1,
            issuedAtMilliseconds: -5,
            deadlineMilliseconds: 1,
            levelMarginMilliseconds: 0
        )
        #expect(try QueryPlan(decoding: ungrouped.encoded()) == ungrouped)
    }

    @Test func subtreeResultsRoundTrip() throws {
        var partial = QueryPartial(statisticAttributes: ["age_at_diagnosis"])
        partial.cells[[.code("F"), .bin(2)]] = CellPartial(
            studies: 12,
            subjects: 7,
            statistics: [NumericPartial(count: 11, sum: Int128(Int64.max) * 3, sumOfSquares: -1)]
        )
        partial.cells[[.null, .bin(-1)]] = CellPartial(studies: 1, subjects: 1, statistics: [NumericPartial()])
        let coverage = Coverage(answered: [F.hospitalA, F.hospitalB], failed: [F.registryC: "unreachable: connection refused"])
        for result in [
            SubtreeResult(partial: partial, coverage: coverage, strictestK: 10),
            SubtreeResult(partial: nil, coverage: Coverage(refused: [F.hospitalA: "policy: researcher not allowed"]), strictestK: 0),
            // An empty partial is not the same as none.
            SubtreeResult(partial: QueryPartial(statisticAttributes: []), coverage: Coverage(answered: [F.hospitalA]), strictestK: 5),
        ] {
            #expect(try SubtreeResult(decoding: result.encoded()) == result)
        }
    }

    @Test func coverageRoundTrips() throws {
        let coverage = Coverage(
            answered: [F.hospitalA],
            pruned: [F.registryC: "lacks slice_thickness_mm", try NodeID("paediatric-d"): "no code C61"],
            refused: [F.hospitalB: "policy: histograms not allowed"],
            timedOut: [try NodeID("slow-e")],
            failed: [try NodeID("gone-f"): "unreachable"]
        )
        #expect(try Coverage(decoding: coverage.encoded()) == coverage)
        #expect(try Coverage(decoding: Coverage().encoded()) == Coverage())
    }

    @Test func submissionsRoundTrip() throws {
        for submission in [
            QuerySubmission(sql: "SELECT COUNT(*) FROM cases"),
            QuerySubmission(sql: "SELECT COUNT(*) FROM cases WHERE sex = 'F'", timeoutMilliseconds: QuerySubmission.timeoutMaxMilliseconds, fanout: 3),
            QuerySubmission(sql: "x", timeoutMilliseconds: 1, fanout: 1),
        ] {
            #expect(try QuerySubmission(decoding: submission.encoded()) == submission)
        }
    }

    @Test func federatedResultsRoundTrip() throws {
        let result = FederatedResult(
            queryID: try QueryID(bytes: Array(repeating: 0xab, count: 16)),
            table: ResultTable(
                columns: ["sex", "count", "avg_age_at_diagnosis"],
                rows: [
                    [.text("F"), .integer(1234), .real(61.25)],
                    [.null, .suppressed("<10"), .suppressed("<10")],
                    [.text("M"), .integer(-1), .null],
                ],
                k: 10
            ),
            coverage: Coverage(answered: [F.hospitalA, F.hospitalB], timedOut: [F.registryC])
        )
        #expect(try FederatedResult(decoding: result.encoded()) == result)
    }

    @Test func signedPlansRoundTrip() throws {
        let signed = SignedQueryPlan(payload: F.plan().encoded(), signature: [1, 2, 3], certificateChain: [[4, 5], [], [6]])
        #expect(try SignedQueryPlan(decoding: signed.encoded()) == signed)
    }

    // MARK: Malformed input

    @Test func garbageIsMalformedNotACrash() {
        let garbage: [UInt8] = [0xff, 0xff, 0xff, 0x01]
        expectMalformed({ try Query(decoding: garbage) }, saying: "the query is not a protobuf")
        expectMalformed({ try QueryPlan(decoding: garbage) }, saying: "the plan is not a protobuf")
        expectMalformed({ try SubtreeResult(decoding: garbage) }, saying: "the subtree result is not a protobuf")
        expectMalformed({ try Coverage(decoding: garbage) }, saying: "the coverage is not a protobuf")
        expectMalformed({ try QuerySubmission(decoding: garbage) }, saying: "the query submission is not a protobuf")
        expectMalformed({ try FederatedResult(decoding: garbage) }, saying: "the federated result is not a protobuf")
        expectMalformed({ try SignedQueryPlan(decoding: garbage) }, saying: "the signed plan is not a protobuf")
        // The empty message is valid protobuf, but not a plan.
        expectMalformed({ try QueryPlan(decoding: []) }, saying: "a query id has 16 bytes, not 0")
        expectMalformed({ try Query(decoding: []) }, saying: "selects no aggregate")
    }

    @Test func planFieldsAreChecked() throws {
        expectMalformed({ try QueryPlan(decoding: try plan { $0.queryID = Data(repeating: 1, count: 15) }) }, saying: "a query id has 16 bytes, not 15")
        expectMalformed({ try QueryPlan(decoding: try plan { $0.origin = "Hospital A" }) }, saying: "the origin of plan 000102030405060708090a0b0c0d0e0f: node ID 'Hospital A'")
        expectMalformed({ try QueryPlan(decoding: try plan { $0.researcher = "" }) }, saying: "the researcher of plan")
        expectMalformed({ try QueryPlan(decoding: try plan { $0.targets.append("bad/id") }) }, saying: "the targets of plan")
        expectMalformed({ try QueryPlan(decoding: try plan { $0.targets.append("hospital-b") }) }, saying: "names node hospital-b twice")
        expectMalformed({ try QueryPlan(decoding: try plan { $0.fanout = 0 }) }, saying: "fanout 0")
        expectMalformed({ try QueryPlan(decoding: F.plan(fanout: 0).encoded()) }, saying: "fanout 0")
        expectMalformed({ try QueryPlan(decoding: try plan { $0.deadlineMs = $0.issuedAtMs }) }, saying: "at or before its issue time")
        expectMalformed({ try QueryPlan(decoding: try plan { $0.levelMarginMs = -1 }) }, saying: "negative level margin")
        expectMalformed({ try QueryPlan(decoding: try plan { $0.normalisedQuery = "" }) }, saying: "carries no query text")
        expectMalformed({ try QueryPlan(decoding: try plan { $0.clearQuery() }) }, saying: "carries no query")
        expectMalformed({ try QueryPlan(decoding: try plan { $0.query.aggregates = [] }) }, saying: "plan 000102030405060708090a0b0c0d0e0f from hospital-a: the query selects no aggregate")
    }

    @Test func cellSpaceIsChecked() throws {
        expectMalformed({ try QueryPlan(decoding: try plan { $0.dimensions.removeLast() }) }, saying: "1 cell dimension(s) but its query groups by 2")
        expectMalformed({ try QueryPlan(decoding: try plan { $0.dimensions[1].levels.append(WirePlanGroupValue()) }) }, saying: "empty level")
        expectMalformed({ try QueryPlan(decoding: try plan { $0.dimensions[0].levels.append($0.dimensions[0].levels[0]) }) }, saying: "lists the level code(\"F\") of sex twice")
        expectMalformed(
            { try QueryPlan(decoding: try plan { var level = WirePlanGroupValue(); level.bin = 5; $0.dimensions[1].levels.append(level) }) },
            saying: "a level that age_at_diagnosis_bin cannot take: bin(5)"
        )
        expectMalformed(
            { try QueryPlan(decoding: try plan { var level = WirePlanGroupValue(); level.code = "C50"; $0.dimensions[1].levels.append(level) }) },
            saying: "cannot take: code(\"C50\")"
        )
    }

    @Test func queryFieldsAreChecked() throws {
        func query(_ change: (inout WireQueryIR) -> Void) throws -> [UInt8] {
            var wire = try WireQueryPlan(serializedBytes: F.plan().encoded()).query
            change(&wire)
            return try wire.serializedBytes()
        }
        expectMalformed({ try Query(decoding: try query { $0.groupBy[1].bin.lower = "12abc" }) }, saying: "the lower bound of BIN(age_at_diagnosis, ...) is '12abc', not a decimal number")
        expectMalformed({ try Query(decoding: try query { $0.groupBy[1].bin.upper = "1e5" }) }, saying: "is '1e5', not a decimal")
        expectMalformed({ try Query(decoding: try query { $0.groupBy[1].bin.upper = " 100" }) }, saying: "not a decimal")
        expectMalformed({ try Query(decoding: try query { $0.groupBy[1].bin.upper = "" }) }, saying: "not a decimal")
        expectMalformed({ try Query(decoding: try query { $0.groupBy[1].bin.upper = "5." }) }, saying: "not a decimal")
        expectMalformed({ try Query(decoding: try query { $0.groupBy[1].bin.upper = "-0.5" }) }, saying: "lower bound -0.5 not below upper bound -0.5")
        expectMalformed({ try Query(decoding: try query { $0.groupBy[1].bin.count = 0 }) }, saying: "has 0 bins; from 1 to 1000")
        expectMalformed({ try Query(decoding: try query { $0.groupBy[1].bin.count = 1001 }) }, saying: "has 1001 bins")
        expectMalformed({ try Query(decoding: try query { $0.groupBy.append($0.groupBy[0]) }) }, saying: "groups by sex twice")
        expectMalformed(
            { try Query(decoding: try query { $0.groupBy += ["modality", "diagnosis", "body_part"].map { var g = WireQueryIRGrouping(); g.attribute = $0; return g } }) },
            saying: "4 categorical attributes; at most 3"
        )
        expectMalformed({ try Query(decoding: try query { $0.aggregates.append($0.aggregates[0]) }) }, saying: "selects count twice")
        expectMalformed({ try Query(decoding: try query { $0.aggregates[0].kind = .UNRECOGNIZED(42) }) }, saying: "no known kind (42)")
        expectMalformed({ try Query(decoding: try query { $0.aggregates[2].attribute = "" }) }, saying: "names no attribute")
        expectMalformed({ try Query(decoding: try query { $0.aggregates[0].attribute = "sex" }) }, saying: "counts take none")
        // The filter is diagnosis IN (...) AND NOT (... OR ...).
        expectMalformed({ try Query(decoding: try query { $0.filter.conjunction.operands[0].membership.literals = [] }) }, saying: "IN test of diagnosis lists no value")
        expectMalformed(
            { try Query(decoding: try query { $0.filter.conjunction.operands[0].membership.literals[0] = WireQueryIRLiteral() }) },
            saying: "a value compared with diagnosis is empty"
        )
        expectMalformed({ try Query(decoding: try query { $0.filter.conjunction.operands.removeLast() }) }, saying: "an AND of the query has 1 operand(s)")
        expectMalformed(
            { try Query(decoding: try query { $0.filter.conjunction.operands[1].negation.disjunction.operands[1].range.lower.number = "2000,5" }) },
            saying: "a value compared with study_year is '2000,5', not a decimal"
        )
        expectMalformed({ try Query(decoding: try query { $0.filter.conjunction.operands[1] = WireQueryIRCondition() }) }, saying: "a condition of the query is empty")
        expectMalformed(
            { try Query(decoding: try query { var c = WireQueryIRComparison(); c.attribute = "sex"; c.literal.text = "F"; $0.filter.comparison = c }) },
            saying: "the comparison of sex has no known operator (0)"
        )
    }

    @Test func otherMessagesAreChecked() throws {
        // Coverage.
        func coverage(_ change: (inout WireCoverage) -> Void) throws -> [UInt8] {
            var wire = try WireCoverage(serializedBytes: Coverage(answered: [F.hospitalA], failed: [F.hospitalB: "down"]).encoded())
            change(&wire)
            return try wire.serializedBytes()
        }
        expectMalformed({ try Coverage(decoding: try coverage { $0.answered.append("UPPER") }) }, saying: "the answered nodes of the coverage: node ID 'UPPER'")
        expectMalformed({ try Coverage(decoding: try coverage { $0.answered.append("hospital-a") }) }, saying: "names node hospital-a twice")
        expectMalformed({ try Coverage(decoding: try coverage { $0.failed.append($0.failed[0]) }) }, saying: "lists node hospital-b as failed twice")
        expectMalformed({ try Coverage(decoding: try coverage { $0.timedOut.append("hospital-b") }) }, saying: "node hospital-b as both failed and timed out")
        expectMalformed({ try Coverage(decoding: try coverage { $0.failed[0].node = "hospital-a" }) }, saying: "node hospital-a as both answered and failed")
        expectMalformed({ try Coverage(decoding: try coverage { var e = WireCoverageEntry(); e.node = "hospital-a"; $0.pruned = [e] }) }, saying: "both answered and pruned")

        // Subtree results.
        func subtree(_ change: (inout WireSubtreeResult) -> Void) throws -> [UInt8] {
            var wire = try WireSubtreeResult(serializedBytes: SubtreeResult(partial: nil, coverage: Coverage(), strictestK: 5).encoded())
            change(&wire)
            return try wire.serializedBytes()
        }
        expectMalformed({ try SubtreeResult(decoding: try subtree { $0.strictestK = -1 }) }, saying: "strictest k -1")
        expectMalformed({ try SubtreeResult(decoding: try subtree { $0.partial = Data([0xff, 0xff]) }) }, saying: "the partial of the subtree result: partial is not valid protobuf")
        expectMalformed({ try SubtreeResult(decoding: try subtree { $0.coverage.answered = ["-bad-?"] }) }, saying: "node ID '-bad-?'")

        // Submissions.
        func submission(_ change: (inout WireQuerySubmission) -> Void) throws -> [UInt8] {
            var wire = try WireQuerySubmission(serializedBytes: QuerySubmission(sql: "SELECT COUNT(*) FROM cases").encoded())
            change(&wire)
            return try wire.serializedBytes()
        }
        expectMalformed({ try QuerySubmission(decoding: try submission { $0.sql = " \n" }) }, saying: "holds no SQL")
        expectMalformed({ try QuerySubmission(decoding: try submission { $0.timeoutMs = 0 }) }, saying: "a timeout of 0 ms; choose 1 to 300000 ms")
        expectMalformed({ try QuerySubmission(decoding: try submission { $0.timeoutMs = 300_001 }) }, saying: "a timeout of 300001 ms")
        #expect(try QuerySubmission(decoding: try submission { $0.fanout = 0 }).fanout == nil, "0 is the default fanout")

        // Results.
        func result(_ change: (inout WireFederatedResult) -> Void) throws -> [UInt8] {
            let table = ResultTable(columns: ["count"], rows: [[.integer(3)]], k: 5)
            var wire = try WireFederatedResult(
                serializedBytes: FederatedResult(queryID: try QueryID(bytes: Array(repeating: 0, count: 16)), table: table, coverage: Coverage()).encoded()
            )
            change(&wire)
            return try wire.serializedBytes()
        }
        expectMalformed({ try FederatedResult(decoding: try result { $0.queryID = Data([1, 2]) }) }, saying: "a query id has 16 bytes, not 2")
        expectMalformed({ try FederatedResult(decoding: try result { $0.columns.append("extra") }) }, saying: "row 1 of the result of query 00000000000000000000000000000000 has 1 values for 2 columns")
        expectMalformed({ try FederatedResult(decoding: try result { $0.rows[0].values = [WireResultValue()] }) }, saying: "row 1 of the result of query 00000000000000000000000000000000 has an empty value")
        expectMalformed({ try FederatedResult(decoding: try result { $0.k = -5 }) }, saying: "has k -5")
        expectMalformed({ try FederatedResult(decoding: try result { $0.coverage.timedOut = ["x", "x"] }) }, saying: "names node x twice")
    }

    // MARK: Determinism

    @Test func encodingIsDeterministic() throws {
        let plan = F.plan()
        #expect(plan.encoded() == plan.encoded())
        #expect(plan.encoded() == F.plan().encoded())
        #expect(try QueryPlan(decoding: plan.encoded()).encoded() == plan.encoded())

        // The same coverage built in different orders, with dictionaries and sets of
        // different capacities (so they iterate in different orders), encodes identically.
        let nodes = try (0..<200).map { try NodeID("site-\($0)") }
        var prunedForward: [NodeID: String] = [:]
        var prunedBackward = [NodeID: String](minimumCapacity: 4096)
        var answeredForward: Set<NodeID> = []
        var answeredBackward = Set<NodeID>(minimumCapacity: 4096)
        for node in nodes[0..<100] { prunedForward[node] = "lacks \(node)" }
        for node in nodes[0..<100].reversed() { prunedBackward[node] = "lacks \(node)" }
        for node in nodes[100...] { answeredForward.insert(node) }
        for node in nodes[100...].reversed() { answeredBackward.insert(node) }
        #expect(Array(prunedForward.keys) != Array(prunedBackward.keys) || Array(answeredForward) != Array(answeredBackward), "the test needs different orders")
        let forward = Coverage(answered: answeredForward, pruned: prunedForward)
        let backward = Coverage(answered: answeredBackward, pruned: prunedBackward)
        #expect(forward == backward)
        #expect(forward.encoded() == backward.encoded())
        let wire = try WireCoverage(serializedBytes: forward.encoded())
        #expect(wire.answered == wire.answered.sorted())
        #expect(wire.pruned.map(\.node) == wire.pruned.map(\.node).sorted())

        let result = SubtreeResult(partial: nil, coverage: forward, strictestK: 3)
        #expect(result.encoded() == SubtreeResult(partial: nil, coverage: backward, strictestK: 3).encoded())
    }
}
