import MeshCore
import QueryPlanner
import Testing

/// The bounds on a node's query work: ids held against replay (in all and per origin),
/// concurrent plans and submissions, and the origin's parser limits.
@Suite struct QueryLoadTests {
    static let alpha = try! NodeID("alpha")
    static let beta = try! NodeID("beta")

    static func ids(_ count: Int, seed: UInt64) -> [QueryID] {
        var random = SeededRandom(seed: seed)
        return (0..<count).map { _ in QueryID(using: &random) }
    }

    @Test func seenQueriesAdmitOnceAndForgetAfterTheDeadline() {
        var seen = SeenQueries(capacity: 2)
        let (a, b, c) = { let ids = Self.ids(3, seed: 1); return (ids[0], ids[1], ids[2]) }()
        #expect(seen.admit(a, origin: Self.alpha, deadlineMilliseconds: 100, nowMilliseconds: 0) == nil)
        #expect(seen.admit(a, origin: Self.alpha, deadlineMilliseconds: 100, nowMilliseconds: 1)?.code == .duplicate)
        #expect(seen.admit(b, origin: Self.beta, deadlineMilliseconds: 200, nowMilliseconds: 1) == nil)
        let full = seen.admit(c, origin: Self.beta, deadlineMilliseconds: 300, nowMilliseconds: 50)
        #expect(full?.code == .busy, "full of live plans")
        #expect(full?.message.contains("retry after 50 ms") == true, "\(full?.message ?? "")")
        #expect(seen.admit(c, origin: Self.beta, deadlineMilliseconds: 300, nowMilliseconds: 150) == nil, "a's deadline passed, so its slot is free")
        #expect(seen.count == 2)
    }

    /// One origin flooding plans fills its own share, and the node still admits the others.
    @Test func oneOriginCannotFillTheSeenSetForTheOthers() {
        var seen = SeenQueries(capacity: 100, capacityPerOrigin: 10)
        let ids = Self.ids(30, seed: 2)
        var refused: [QueryPlanRejection] = []
        for id in ids.prefix(20) {
            if let rejection = seen.admit(id, origin: Self.alpha, deadlineMilliseconds: 10_000, nowMilliseconds: 0) { refused.append(rejection) }
        }
        #expect(seen.count(of: Self.alpha) == 10)
        #expect(refused.count == 10 && refused.allSatisfy { $0.code == .busy && $0.message.contains("alpha") })
        for id in ids.suffix(10) {
            #expect(seen.admit(id, origin: Self.beta, deadlineMilliseconds: 10_000, nowMilliseconds: 0) == nil, "beta is not crowded out by alpha")
        }
        // Once alpha's plans pass their deadline, alpha gets its share back.
        #expect(seen.admit(ids[10], origin: Self.alpha, deadlineMilliseconds: 20_000, nowMilliseconds: 10_001) == nil)
        #expect(seen.count(of: Self.alpha) == 1)
    }

    @Test func plansOverTheLimitAreBusyUntilOneFinishes() {
        var limits = QueryLoadLimits()
        limits.maxConcurrentPlans = 2
        limits.busyRetryAfterMilliseconds = 250
        var load = QueryLoad(limits: limits)
        #expect(load.startPlan() == nil)
        #expect(load.startPlan() == nil)
        let busy = load.startPlan()
        #expect(busy?.code == .busy)
        #expect(busy?.message == "this node is running 2 plans, its limit (max_concurrent_plans); retry after 250 ms")
        load.finishPlan()
        #expect(load.startPlan() == nil)
        #expect(load.runningPlans == 2 && load.refusedPlans == 1)
    }

    @Test func oneResearcherCannotTakeEveryOriginSlot() throws {
        var limits = QueryLoadLimits()
        limits.maxConcurrentSubmissions = 3
        limits.maxConcurrentSubmissionsPerResearcher = 2
        var load = QueryLoad(limits: limits)
        let alice = try ResearcherID("alice")
        let bob = try ResearcherID("bob")
        let carol = try ResearcherID("carol")
        #expect(load.startSubmission(by: alice) == nil)
        #expect(load.startSubmission(by: alice) == nil)
        let own = load.startSubmission(by: alice)
        #expect(own?.code == .busy && own?.message.contains("alice has 2 queries running") == true, "\(own?.message ?? "")")
        #expect(load.startSubmission(by: bob) == nil, "bob still gets a slot")
        let all = load.startSubmission(by: carol)
        #expect(all?.code == .busy && all?.message.contains("max_concurrent_submissions)") == true, "\(all?.message ?? "")")
        load.finishSubmission(by: alice)
        #expect(load.startSubmission(by: carol) == nil)
        #expect(load.runningSubmissions == 3 && load.refusedSubmissions == 2)
    }

    @Test func limitsAreCheckedNamingTheSetting() {
        var limits = QueryLoadLimits()
        #expect(limits.problem() == nil)
        limits.maxConcurrentPlans = 0
        #expect(limits.problem() == "max_concurrent_plans must be at least 1; got 0")
        limits = QueryLoadLimits()
        limits.maxConcurrentSubmissionsPerResearcher = 40
        #expect(limits.problem()?.contains("cannot exceed max_concurrent_submissions (32)") == true)
        limits = QueryLoadLimits()
        limits.busyRetryAfterMilliseconds = 0
        #expect(limits.problem()?.hasPrefix("busy_retry_after_ms") == true)
        #expect(QueryParser.Limits(textBytes: QueryParser.maximumTextBytes + 1).problem()?.hasPrefix("max_query_text_bytes") == true)
        #expect(QueryParser.Limits(nesting: 0).problem()?.hasPrefix("max_parse_depth") == true)
    }

    /// An origin's own parser limits, lower than the parser's, refuse with a position.
    @Test func anOriginsParserLimitsGivePositionedErrors() throws {
        let vocabulary = QueryVocabulary(schema: .reference)
        let limits = QueryParser.Limits(textBytes: 200, nesting: 3)
        let nested = "SELECT COUNT(*) FROM cases WHERE " + String(repeating: "NOT ", count: 4) + "modality = 'MR'"
        #expect(throws: Never.self) { try QueryParser.parse(nested, vocabulary: vocabulary) }
        do {
            _ = try QueryParser.parse(nested, vocabulary: vocabulary, limits: limits)
            Issue.record("four NOTs passed a nesting limit of 3")
        } catch {
            #expect(error.message.contains("more than 3 levels deep"), "\(error)")
            #expect(error.location.column > 1, "the error points into the condition: \(error.location)")
        }
        let long = "SELECT COUNT(*) FROM cases WHERE " + Array(repeating: "modality = 'MR'", count: 12).joined(separator: " OR ")
        do {
            _ = try QueryParser.parse(long, vocabulary: vocabulary, limits: limits)
            Issue.record("a text of \(long.utf8.count) bytes passed a limit of 200")
        } catch {
            #expect(error.message.contains("at most 200 are accepted"), "\(error)")
        }
    }
}
