import Aggregation
import MeshCore
import QueryPlanner
import Testing

/// The coordinator one event at a time, then whole trees of coordinators driven by a small
/// in-memory network with dead, unreachable, hung and misbehaving nodes.
@Suite struct QueryCoordinatorTests {
    static let nodes = (0..<40).map { try! NodeID(String(format: "node-%02d", $0)) }

    static func plan(targets: [NodeID], origin: NodeID = nodes[0], fanout: Int = 3, query: Query = Query(aggregates: [.studyCount, .subjectCount], groupBy: [.attribute("modality")])) -> QueryPlan {
        var random = SeededRandom(seed: 42)
        let queryID = QueryID(using: &random)
        let depth = AggregationTree(queryID: queryID.bytes, origin: origin, targets: targets, fanout: fanout).depth
        return QueryPlan(
            queryID: queryID,
            researcher: try! ResearcherID("alice"),
            origin: origin,
            normalisedQuery: "SELECT ...",
            query: query,
            cells: CellSpace(dimensions: [[.code("CT"), .code("MR")]]),
            targets: targets,
            fanout: fanout,
            issuedAtMilliseconds: 1_000_000,
            deadlineMilliseconds: 1_010_000,
            levelMarginMilliseconds: QueryPlan.levelMargin(budgetMilliseconds: 10_000, depth: depth)
        )
    }

    /// Node i's partial: i + 1 CT studies of i + 1 subjects.
    static func partial(of node: NodeID) -> QueryPartial {
        let weight = Int64(nodes.firstIndex(of: node)! + 1)
        return QueryPartial(statisticAttributes: [], cells: [[.code("CT")]: CellPartial(studies: weight, subjects: weight, statistics: [])])
    }

    @Test func aLeafExecutesAndAnswersWithItsPartial() {
        let plan = Self.plan(targets: Array(Self.nodes[0..<2]))
        var leaf = QueryCoordinator(plan: plan, localNode: Self.nodes[1], localMinimumCellSize: 7)
        let start = leaf.start(nowMilliseconds: 1_000_010, isReachable: { _ in true })
        #expect(start == [.executeLocally, .scheduleDeadline(atMilliseconds: 1_010_000 - plan.levelMarginMilliseconds)])
        let answer = leaf.localExecutionFinished(.partial(Self.partial(of: Self.nodes[1])))
        #expect(answer == [.answer(SubtreeResult(partial: Self.partial(of: Self.nodes[1]), coverage: Coverage(answered: [Self.nodes[1]]), strictestK: 7))])
        #expect(leaf.isFinished)
        #expect(leaf.deadlinePassed().isEmpty, "a finished coordinator ignores later events")
    }

    /// Members that send cells the plan never enumerated, counts no federation holds, or
    /// values that would overflow the sum are refused by name; the others still count and
    /// nothing traps (docs/PRIVACY.md, "Partials from members").
    @Test func hostilePartialsAreRefusedWithTheirSenderNamed() throws {
        let statistics = Query(aggregates: [.subjectCount, .mean("age")], groupBy: [.attribute("modality")])
        var plan = Self.plan(targets: Array(Self.nodes[0..<5]), fanout: 4, query: statistics)
        plan.statisticBounds = ["age": 0...1200]
        var root = QueryCoordinator(plan: plan, localNode: Self.nodes[0], localMinimumCellSize: 5)
        _ = root.start(nowMilliseconds: 1_000_000, isReachable: { _ in true })
        func cell(_ studies: Int64, _ subjects: Int64, values: Int64 = 1, sum: Int128 = 600) -> CellPartial {
            CellPartial(studies: studies, subjects: subjects, statistics: [NumericPartial(count: values, sum: sum, sumOfSquares: sum * sum / Int128(max(1, values)))])
        }
        let honest = QueryPartial(statisticAttributes: ["age"], cells: [[.code("CT")]: cell(3, 2)])
        _ = root.localExecutionFinished(.partial(honest))
        let children = plan.tree.children(of: Self.nodes[0])
        #expect(children.count == 4)
        let hostile: [QueryPartial] = [
            QueryPartial(statisticAttributes: ["age"], cells: [[.code("PT")]: cell(3, 3)]),
            QueryPartial(statisticAttributes: ["age"], cells: [[.code("CT")]: cell(.max, .max)]),
            QueryPartial(statisticAttributes: ["age"], cells: [[.code("MR")]: cell(10, 10, values: 2, sum: 1_000_000)]),
        ]
        for (child, partial) in zip(children, hostile) {
            _ = root.childAnswered(child, SubtreeResult(partial: partial, coverage: Coverage(answered: [child]), strictestK: 1))
        }
        let answer = root.childAnswered(children[3], SubtreeResult(partial: honest, coverage: Coverage(answered: [children[3]]), strictestK: 5))
        guard case .answer(let result)? = answer.first else {
            Issue.record("the root did not answer: \(answer)")
            return
        }
        #expect(result.coverage.answered == [Self.nodes[0], children[3]])
        #expect(result.coverage.failed[children[0]]?.contains("which the plan does not enumerate") == true, "\(result.coverage.failed)")
        #expect(result.coverage.failed[children[1]]?.contains("counts are from 0 to") == true, "\(result.coverage.failed)")
        #expect(result.coverage.failed[children[2]]?.contains("sums age to 1000000") == true, "\(result.coverage.failed)")
        #expect(result.partial == QueryPartial(statisticAttributes: ["age"], cells: [[.code("CT")]: cell(6, 4, values: 2, sum: 1200)]))
    }

    /// Sums that fit one by one but overflow together are refused, not trapped on.
    @Test func aMergeThatWouldOverflowIsRefused() {
        var total = QueryPartial(statisticAttributes: [], cells: [[.code("CT")]: CellPartial(studies: .max - 1, subjects: 1, statistics: [])])
        let before = total
        let overflowing = total.mergeReportingOverflow(QueryPartial(statisticAttributes: [], cells: [[.code("CT")]: CellPartial(studies: 2, subjects: 1, statistics: [])]))
        #expect(!overflowing)
        #expect(total == before)
        let fitting = total.mergeReportingOverflow(QueryPartial(statisticAttributes: [], cells: [[.code("MR")]: CellPartial(studies: 2, subjects: 1, statistics: [])]))
        #expect(fitting)
        #expect(total.cells.count == 2)
    }

    @Test func theRootForwardsToItsChildrenAndWaitsForAll() {
        let plan = Self.plan(targets: Array(Self.nodes[0..<4]))
        var root = QueryCoordinator(plan: plan, localNode: Self.nodes[0], localMinimumCellSize: 5)
        let actions = root.start(nowMilliseconds: 1_000_000, isReachable: { _ in true })
        let forwarded = actions.compactMap { if case .forward(let node, let until) = $0 { (node, until) } else { nil } }
        #expect(Set(forwarded.map(\.0)) == Set(plan.tree.children(of: Self.nodes[0])))
        #expect(forwarded.allSatisfy { $0.1 == 1_010_000 })
        #expect(actions.contains(.executeLocally))
        #expect(root.localExecutionFinished(.partial(Self.partial(of: Self.nodes[0]))).isEmpty)
        let children = plan.tree.children(of: Self.nodes[0])
        for child in children.dropLast() {
            #expect(root.childAnswered(child, SubtreeResult(partial: Self.partial(of: child), coverage: Coverage(answered: [child]), strictestK: 11)).isEmpty)
        }
        let last = root.childAnswered(children.last!, SubtreeResult(partial: nil, coverage: Coverage(refused: [children.last!: "policy: no"]), strictestK: 0))
        guard case .answer(let result)? = last.first else {
            Issue.record("expected an answer, got \(last)")
            return
        }
        #expect(result.coverage.answered == Set([Self.nodes[0]] + children.dropLast()))
        #expect(result.coverage.refused == [children.last!: "policy: no"])
        #expect(result.strictestK == 11)
        #expect(result.partial?.cells[[.code("CT")]]?.subjects == Int64(1 + children.dropLast().map { Self.nodes.firstIndex(of: $0)! + 1 }.reduce(0, +)))
    }

    @Test func anUnreachableChildsChildrenAreAskedDirectly() {
        let plan = Self.plan(targets: Array(Self.nodes[0..<13]), fanout: 3)
        let tree = plan.tree
        let lost = tree.children(of: Self.nodes[0])[0]
        var root = QueryCoordinator(plan: plan, localNode: Self.nodes[0], localMinimumCellSize: 5)
        _ = root.start(nowMilliseconds: 1_000_000, isReachable: { _ in true })
        let adopted = root.childUnreachable(lost, reason: "connection refused", nowMilliseconds: 1_000_100, isReachable: { _ in true })
        #expect(Set(adopted.compactMap { if case .forward(let node, _) = $0 { node } else { nil } }) == Set(tree.children(of: lost)))
    }

    @Test func deadChildrenInTheMembershipAreSkippedAtStart() {
        let plan = Self.plan(targets: Array(Self.nodes[0..<13]), fanout: 3)
        let tree = plan.tree
        let dead = tree.children(of: Self.nodes[0])[1]
        var root = QueryCoordinator(plan: plan, localNode: Self.nodes[0], localMinimumCellSize: 5)
        let actions = root.start(nowMilliseconds: 1_000_000, isReachable: { $0 != dead })
        let forwarded = Set(actions.compactMap { if case .forward(let node, _) = $0 { node } else { nil } })
        #expect(!forwarded.contains(dead))
        #expect(forwarded.isSuperset(of: tree.children(of: dead)))
    }

    @Test func theDeadlineTimesOutPendingSubtreesAndAStillRunningLocalExecution() {
        let plan = Self.plan(targets: Array(Self.nodes[0..<13]), fanout: 3)
        let tree = plan.tree
        var root = QueryCoordinator(plan: plan, localNode: Self.nodes[0], localMinimumCellSize: 5)
        _ = root.start(nowMilliseconds: 1_000_000, isReachable: { _ in true })
        let children = tree.children(of: Self.nodes[0])
        // The first child answered for itself and one of its children; the rest is silent.
        let grandchild = tree.children(of: children[0])[0]
        _ = root.childAnswered(
            children[0],
            SubtreeResult(partial: Self.partial(of: children[0]), coverage: Coverage(answered: [children[0]], timedOut: [grandchild]), strictestK: 5)
        )
        guard case .answer(let result)? = root.deadlinePassed().first else {
            Issue.record("expected an answer at the deadline")
            return
        }
        let expectedLate = Set(children.dropFirst() + children.dropFirst().flatMap { tree.descendants(of: $0) } + [Self.nodes[0], grandchild])
        #expect(result.coverage.timedOut == expectedLate)
        #expect(result.coverage.accountedFor == Set(plan.targets).subtracting(tree.children(of: children[0]).dropFirst()))
    }

    @Test func aDuplicateRejectionDoesNotAskTheSubtreeAgain() {
        let plan = Self.plan(targets: Array(Self.nodes[0..<13]), fanout: 3)
        var root = QueryCoordinator(plan: plan, localNode: Self.nodes[0], localMinimumCellSize: 5)
        _ = root.start(nowMilliseconds: 1_000_000, isReachable: { _ in true })
        let child = plan.tree.children(of: Self.nodes[0])[0]
        let duplicate = root.childRejected(child, QueryPlanRejection(.duplicate, "seen"), nowMilliseconds: 1_000_001, isReachable: { _ in true })
        #expect(duplicate.isEmpty)
        let other = plan.tree.children(of: Self.nodes[0])[1]
        let bad = root.childRejected(other, QueryPlanRejection(.badSignature, "bad"), nowMilliseconds: 1_000_001, isReachable: { _ in true })
        #expect(Set(bad.compactMap { if case .forward(let node, _) = $0 { node } else { nil } }) == Set(plan.tree.children(of: other)))
    }

    @Test func invalidChildResultsAreRefusedWholeNotMerged() {
        let plan = Self.plan(targets: Array(Self.nodes[0..<4]), fanout: 3)
        var root = QueryCoordinator(plan: plan, localNode: Self.nodes[0], localMinimumCellSize: 5)
        _ = root.start(nowMilliseconds: 1_000_000, isReachable: { _ in true })
        _ = root.localExecutionFinished(.failed("disk"))
        let children = plan.tree.children(of: Self.nodes[0])
        // Statistics of another query: merging would trap, so it must be caught first.
        _ = root.childAnswered(children[0], SubtreeResult(partial: QueryPartial(statisticAttributes: ["age"]), coverage: Coverage(answered: [children[0]]), strictestK: 5))
        // Claims to speak for a node outside its subtree.
        _ = root.childAnswered(children[1], SubtreeResult(partial: Self.partial(of: children[1]), coverage: Coverage(answered: [children[1], Self.nodes[30]]), strictestK: 5))
        let last = root.childAnswered(children[2], SubtreeResult(partial: Self.partial(of: children[2]), coverage: Coverage(answered: [children[2]]), strictestK: 5))
        guard case .answer(let result)? = last.first else {
            Issue.record("expected an answer")
            return
        }
        #expect(result.coverage.answered == [children[2]])
        #expect(Set(result.coverage.failed.keys) == Set([Self.nodes[0], children[0], children[1]]))
        #expect(result.partial == Self.partial(of: children[2]))
    }

    // MARK: Whole trees

    enum Fault: CaseIterable { case none, crashed, hung, refusesPolicy, failsExecution }

    /// Runs one query over `targets` with the given faults, every node's coordinator driven
    /// by an in-memory network; returns the origin's result.
    static func runTree(plan: QueryPlan, faults: [NodeID: Fault], staleMembership: Bool) -> SubtreeResult {
        struct Pending { let parent: NodeID?; var coordinator: QueryCoordinator }
        var nodesState: [NodeID: Pending] = [:]
        var deadlines: [(Int64, NodeID)] = []
        var queue: [(NodeID, QueryCoordinator.Action)] = []
        var originResult: SubtreeResult?
        var executed: [NodeID: Int] = [:]
        // Crashed nodes are dead in the membership unless the view is stale.
        let reachable: (NodeID) -> Bool = { node in staleMembership || faults[node] != .crashed }

        func startNode(_ node: NodeID, parent: NodeID?) {
            var coordinator = QueryCoordinator(plan: plan, localNode: node, localMinimumCellSize: 5 + (Self.nodes.firstIndex(of: node)! % 3))
            let actions = coordinator.start(nowMilliseconds: plan.issuedAtMilliseconds, isReachable: reachable)
            nodesState[node] = Pending(parent: parent, coordinator: coordinator)
            queue += actions.map { (node, $0) }
        }
        startNode(plan.origin, parent: nil)
        var steps = 0
        while true {
            steps += 1
            precondition(steps < 100_000, "runaway")
            if queue.isEmpty {
                // Fire the earliest deadline of a node still running.
                deadlines.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
                guard let index = deadlines.firstIndex(where: { !(nodesState[$0.1]?.coordinator.isFinished ?? true) }) else { break }
                let (_, node) = deadlines.remove(at: index)
                let actions = nodesState[node]!.coordinator.deadlinePassed()
                queue += actions.map { (node, $0) }
                continue
            }
            let (node, action) = queue.removeFirst()
            switch action {
            case .forward(let child, _):
                switch faults[child] ?? .none {
                case .crashed:
                    let actions = nodesState[node]!.coordinator.childUnreachable(child, reason: "connection refused", nowMilliseconds: plan.issuedAtMilliseconds + 1, isReachable: reachable)
                    queue += actions.map { (node, $0) }
                case .hung:
                    break
                default:
                    if nodesState[child] != nil {
                        let actions = nodesState[node]!.coordinator.childRejected(child, QueryPlanRejection(.duplicate, "seen"), nowMilliseconds: plan.issuedAtMilliseconds + 1, isReachable: reachable)
                        queue += actions.map { (node, $0) }
                    } else {
                        startNode(child, parent: node)
                    }
                }
            case .executeLocally:
                executed[node, default: 0] += 1
                let outcome: QueryCoordinator.LocalOutcome
                switch faults[node] ?? .none {
                case .refusesPolicy: outcome = .refused("policy: no")
                case .failsExecution: outcome = .failed("disk full")
                default: outcome = .partial(partial(of: node))
                }
                let actions = nodesState[node]!.coordinator.localExecutionFinished(outcome)
                queue += actions.map { (node, $0) }
            case .scheduleDeadline(let at):
                deadlines.append((at, node))
            case .answer(let result):
                guard let parent = nodesState[node]!.parent else {
                    originResult = result
                    continue
                }
                let actions = nodesState[parent]!.coordinator.childAnswered(node, result)
                queue += actions.map { (parent, $0) }
            }
        }
        #expect(executed.values.allSatisfy { $0 <= 1 }, "a node executes a query at most once")
        return originResult!
    }

    @Test(arguments: [1, 2, 3, 8, 40])
    func everyTargetIsAccountedForAndTheSumIsExactForTheAnswered(fanout: Int) {
        var random = SeededRandom(seed: UInt64(fanout))
        for round in 0..<60 {
            let count = Int.random(in: 1...Self.nodes.count, using: &random)
            let targets = Array(Self.nodes.prefix(count))
            var faults: [NodeID: Fault] = [:]
            for node in targets.dropFirst() where Int.random(in: 0..<4, using: &random) == 0 {
                faults[node] = Fault.allCases.randomElement(using: &random)!
            }
            let plan = Self.plan(targets: targets, fanout: fanout)
            let result = Self.runTree(plan: plan, faults: faults, staleMembership: round % 2 == 0)
            let coverage = result.coverage
            #expect(coverage.accountedFor == Set(targets), "fanout \(fanout), round \(round): every target is named")
            let outcomes = coverage.answered.count + coverage.refused.count + coverage.timedOut.count + coverage.failed.count
            #expect(outcomes == targets.count, "each target is named once")
            // A node below a hung node is timed out with it; any other node's outcome is its
            // own: crashed ancestors are bypassed.
            let tree = plan.tree
            for node in targets {
                var ancestor = tree.parent(of: node)
                var blocked = false
                while let current = ancestor {
                    if faults[current] == .hung { blocked = true }
                    ancestor = tree.parent(of: current)
                }
                if blocked {
                    #expect(coverage.timedOut.contains(node), "\(node) sits below a hung node")
                    continue
                }
                switch faults[node] ?? .none {
                case .none: #expect(coverage.answered.contains(node), "\(node) answers around crashed ancestors")
                case .crashed, .failsExecution: #expect(coverage.failed[node] != nil)
                case .hung: #expect(coverage.timedOut.contains(node))
                case .refusesPolicy: #expect(coverage.refused[node] == "policy: no")
                }
            }
            let expected = coverage.answered.map { Int64(Self.nodes.firstIndex(of: $0)! + 1) }.reduce(0, +)
            #expect((result.partial?.cells[[.code("CT")]]?.subjects ?? 0) == expected, "the merged partial is exactly the answered nodes'")
        }
    }
}
