import Aggregation
import Crypto
import MeshCore
import QueryPlanner
import SecureAggregation
import Testing

/// Secure aggregation through whole trees of coordinators, in memory: the first round
/// brings masked vectors up (``MaskedAggregation/contribute``), the origin fixes the
/// responders (``MaskedAggregation/unmaskRequest(after:)``), the unmasking round, over the
/// star ``QueryPlan/unmaskTree``, brings sealed reveals back (``MaskedAggregation/reveal``)
/// and the origin unmasks (``MaskedAggregation/unmask``). The signed ``UnmaskRequest`` is
/// left out: each node gets the header's responders and its own shares, as the shell sends them.
@Suite struct MaskedTreeTests {
    static let nodes = (0..<40).map { try! NodeID(String(format: "site-%02d", $0)) }
    /// A federation whose masking graph is complete (degree 19, threshold 8): whole runs
    /// over it take a fraction of the key agreements.
    static let small = Array(nodes.prefix(20))

    /// Long-term X25519 keys, one per node, from a fixed seed.
    static let longTermKeys: [NodeID: Curve25519.KeyAgreement.PrivateKey] = {
        var random = SeededRandom(seed: 0x5EC_A66)
        var keys: [NodeID: Curve25519.KeyAgreement.PrivateKey] = [:]
        for node in nodes {
            keys[node] = try! Curve25519.KeyAgreement.PrivateKey(rawRepresentation: (0..<32).map { _ in UInt8.random(in: 0...255, using: &random) })
        }
        return keys
    }()

    static let publicKeys: [NodeID: [UInt8]] = longTermKeys.mapValues { Array($0.publicKey.rawRepresentation) }

    static let query = Query(
        aggregates: [.studyCount, .subjectCount, .mean("age"), .standardDeviation("dose")],
        groupBy: [.attribute("modality"), .attribute("sex")]
    )
    static let bounds: [String: ClosedRange<Int64>] = ["age": 0...1200, "dose": -500...5000]

    /// A masked plan over `targets` with the origin `targets[0]`; `seed` draws its query id.
    static func plan(targets: [NodeID], fanout: Int, seed: UInt64 = 7) -> QueryPlan {
        var random = SeededRandom(seed: seed)
        let queryID = QueryID(using: &random)
        let depth = AggregationTree(queryID: queryID.bytes, origin: targets[0], targets: targets, fanout: fanout).depth
        return QueryPlan(
            queryID: queryID,
            researcher: try! ResearcherID("alice"),
            origin: targets[0],
            normalisedQuery: "SELECT ...",
            query: query,
            cells: CellSpace(dimensions: [[.code("CT"), .code("MR"), .code("PT"), .null], [.code("F"), .code("M"), .null]]),
            targets: targets,
            fanout: fanout,
            issuedAtMilliseconds: 1_000_000,
            deadlineMilliseconds: 1_010_000,
            levelMarginMilliseconds: QueryPlan.levelMargin(budgetMilliseconds: 10_000, depth: depth),
            statisticBounds: bounds,
            secureAggregation: true
        )
    }

    /// One honest partial per node: random cells of the plan, with values within the bounds.
    static func partials(for plan: QueryPlan, seed: UInt64) -> [NodeID: QueryPartial] {
        var random = SeededRandom(seed: seed)
        let attributes = plan.query.statisticAttributes
        var result: [NodeID: QueryPartial] = [:]
        for node in plan.targets {
            var cells: [[GroupValue]: CellPartial] = [:]
            for key in plan.cells.allCells where Bool.random(using: &random) {
                let studies = Int64.random(in: 1...30, using: &random)
                var statistics: [NumericPartial] = []
                for attribute in attributes {
                    var statistic = NumericPartial()
                    statistic.count = Int64.random(in: 0...studies, using: &random)
                    for _ in 0..<statistic.count {
                        let value = Int128(Int64.random(in: bounds[attribute]!, using: &random))
                        statistic.sum += value
                        statistic.sumOfSquares += value * value
                    }
                    statistic.key = random.next()
                    statistics.append(statistic)
                }
                cells[key] = CellPartial(
                    studies: studies, subjects: Int64.random(in: 1...studies, using: &random), statistics: statistics, studyKey: random.next(),
                    subjectKey: random.next()
                )
            }
            result[node] = QueryPartial(statisticAttributes: attributes, cells: cells)
        }
        return result
    }

    // MARK: In-memory tree

    /// One delivery of a subtree result to the node that asked for it.
    struct Delivery {
        let child: NodeID
        let parent: NodeID
        let result: SubtreeResult
    }

    /// Runs one round of `plan` over the whole tree, every node's coordinator driven by an
    /// in-memory network. Nodes in `dead` refuse connections; with a stale membership their
    /// parents learn it only when forwarding (``QueryCoordinator/childUnreachable``),
    /// otherwise they skip them from the start. Each round runs over its own tree (the plan's,
    /// or the star ``QueryPlan/unmaskTree``); in the unmasking round each node receives the
    /// shares addressed to its subtree, as ``UnmaskRequest/routing(in:)`` sends them.
    ///
    /// - Parameters:
    ///   - local: a target's local work, given the shares it received.
    ///   - tamper: what a node sends its parent instead of its honest result.
    static func runRound(
        plan: QueryPlan, round: QueryCoordinator.Round, dead: Set<NodeID>, staleMembership: Bool = false,
        rootShares: [SubtreeResult.ShareRoute: [UInt8]] = [:],
        local: (NodeID, [SubtreeResult.ShareRoute: [UInt8]]) -> QueryCoordinator.LocalOutcome,
        tamper: (NodeID, SubtreeResult) -> SubtreeResult = { $1 }
    ) -> (result: SubtreeResult, deliveries: [Delivery]) {
        precondition(!dead.contains(plan.origin), "the origin runs the query")
        struct Running {
            let parent: NodeID?
            var coordinator: QueryCoordinator
            let shares: [SubtreeResult.ShareRoute: [UInt8]]
        }
        let tree = round == .aggregate ? plan.tree : plan.unmaskTree
        let now = round == .aggregate ? plan.issuedAtMilliseconds : plan.deadlineMilliseconds
        let reachable: (NodeID) -> Bool = { staleMembership || !dead.contains($0) }
        var running: [NodeID: Running] = [:]
        var queue: [(NodeID, QueryCoordinator.Action)] = []
        var deadlines: [(Int64, NodeID)] = []
        var deliveries: [Delivery] = []
        var originResult: SubtreeResult?
        var executed: [NodeID: Int] = [:]

        func startNode(_ node: NodeID, parent: NodeID?, shares: [SubtreeResult.ShareRoute: [UInt8]]) {
            var coordinator = QueryCoordinator(plan: plan, localNode: node, localMinimumCellSize: 5 + Self.nodes.firstIndex(of: node)! % 3, round: round)
            let actions = coordinator.start(nowMilliseconds: now, isReachable: reachable)
            running[node] = Running(parent: parent, coordinator: coordinator, shares: shares)
            queue += actions.map { (node, $0) }
        }
        startNode(plan.origin, parent: nil, shares: rootShares)
        var steps = 0
        while true {
            steps += 1
            precondition(steps < 100_000, "runaway")
            if queue.isEmpty {
                deadlines.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
                guard let index = deadlines.firstIndex(where: { !(running[$0.1]?.coordinator.isFinished ?? true) }) else { break }
                let (_, node) = deadlines.remove(at: index)
                queue += running[node]!.coordinator.deadlinePassed().map { (node, $0) }
                continue
            }
            let (node, action) = queue.removeFirst()
            switch action {
            case .forward(let child, _):
                if dead.contains(child) {
                    let actions = running[node]!.coordinator.childUnreachable(child, reason: "connection refused", nowMilliseconds: now + 1, isReachable: reachable)
                    queue += actions.map { (node, $0) }
                } else if running[child] != nil {
                    let actions = running[node]!.coordinator.childRejected(
                        child, QueryPlanRejection(.duplicate, "seen"), nowMilliseconds: now + 1, isReachable: reachable
                    )
                    queue += actions.map { (node, $0) }
                } else {
                    let subtree = Set(tree.descendants(of: child)).union([child])
                    startNode(child, parent: node, shares: running[node]!.shares.filter { subtree.contains($0.key.holder) })
                }
            case .executeLocally:
                executed[node, default: 0] += 1
                let outcome = local(node, running[node]!.shares)
                queue += running[node]!.coordinator.localExecutionFinished(outcome).map { (node, $0) }
            case .scheduleDeadline(let at):
                deadlines.append((at, node))
            case .answer(let result):
                guard let parent = running[node]!.parent else {
                    originResult = result
                    continue
                }
                let sent = tamper(node, result)
                deliveries.append(Delivery(child: node, parent: parent, result: sent))
                queue += running[parent]!.coordinator.childAnswered(node, sent).map { (parent, $0) }
            }
        }
        #expect(executed.values.allSatisfy { $0 == 1 }, "a node works on a round at most once")
        return (originResult!, deliveries)
    }

    /// Both rounds of one masked query and the origin's unmasking.
    struct Run {
        let plan: QueryPlan
        let first: SubtreeResult
        let firstDeliveries: [Delivery]
        let responders: Set<NodeID>
        let second: SubtreeResult?
        let outcome: Result<SubtreeResult, SecureAggregationError>
        /// The central merge of the responders' partials; nil when it overflows.
        let expected: QueryPartial?
    }

    static func runQuery(
        plan: QueryPlan, partials: [NodeID: QueryPartial], deadInFirst: Set<NodeID> = [], deadInSecond: Set<NodeID> = [], staleMembership: Bool = false,
        seed: UInt64 = 1, tamper: (NodeID, SubtreeResult) -> SubtreeResult = { $1 }
    ) -> Run {
        let masking = MaskedAggregation(plan: plan)
        let origin = plan.origin
        let (first, deliveries) = runRound(
            plan: plan, round: .aggregate, dead: deadInFirst, staleMembership: staleMembership,
            local: { node, _ in
                var random = SeededRandom(seed: seed &* 1_000 &+ UInt64(Self.nodes.firstIndex(of: node)!))
                return masking.contribute(partials[node]!, node: node, longTermKey: Self.longTermKeys[node]!, publicKeys: Self.publicKeys, random: &random)
            },
            tamper: tamper
        )
        var expected: QueryPartial? = QueryPartial(statisticAttributes: plan.query.statisticAttributes)
        guard let (header, shares) = masking.unmaskRequest(after: first) else {
            let outcome = Result { () throws(SecureAggregationError) in
                try masking.unmask(first: first, second: first, origin: origin, longTermKey: Self.longTermKeys[origin]!, publicKeys: Self.publicKeys)
            }
            return Run(plan: plan, first: first, firstDeliveries: deliveries, responders: [], second: nil, outcome: outcome, expected: expected)
        }
        #expect(header.queryID == plan.queryID)
        #expect(shares.keys.allSatisfy { header.responders.contains($0.sender) })
        for node in header.responders where expected?.mergeReportingOverflow(partials[node]!) == false { expected = nil }
        let (second, _) = runRound(
            plan: plan, round: .unmask, dead: deadInSecond, staleMembership: staleMembership, rootShares: shares,
            local: { node, received in
                // The unmasking round is a star: each target hears from the origin alone.
                #expect(node == origin || received.keys.allSatisfy { $0.holder == node }, "\(node) received only its own shares")
                var random = SeededRandom(seed: seed &* 1_000 &+ 500 &+ UInt64(Self.nodes.firstIndex(of: node)!))
                return masking.reveal(
                    responders: header.responders, shares: received, node: node, longTermKey: Self.longTermKeys[node]!, publicKeys: Self.publicKeys,
                    random: &random
                )
            }
        )
        let outcome = Result { () throws(SecureAggregationError) in
            try masking.unmask(first: first, second: second, origin: origin, longTermKey: Self.longTermKeys[origin]!, publicKeys: Self.publicKeys)
        }
        return Run(plan: plan, first: first, firstDeliveries: deliveries, responders: header.responders, second: second, outcome: outcome, expected: expected)
    }

    /// The run ended with the exact merge of the responders, with the first round's coverage.
    static func expectExact(_ run: Run, _ comment: Comment, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        switch run.outcome {
        case .success(let result):
            #expect(run.expected != nil && result.partial == run.expected, comment, sourceLocation: sourceLocation)
            #expect(result.coverage == run.first.coverage, comment, sourceLocation: sourceLocation)
            #expect(result.maskedSum == nil && result.shares.isEmpty, comment, sourceLocation: sourceLocation)
        case .failure(let error):
            Issue.record("\(comment): unmasking failed: \(error.message)", sourceLocation: sourceLocation)
        }
    }

    static func leaves(of plan: QueryPlan) -> [NodeID] {
        let tree = plan.tree
        return plan.targets.filter { $0 != plan.origin && tree.children(of: $0).isEmpty }
    }

    static func interiors(of plan: QueryPlan) -> [NodeID] {
        let tree = plan.tree
        return plan.targets.filter { $0 != plan.origin && !tree.children(of: $0).isEmpty }
    }

    // MARK: 1. Exact through trees of every shape

    @Test(arguments: [1, 2, 8, 30])
    func theUnmaskedSumIsTheExactMergeOfTheResponders(fanout: Int) {
        // 32 targets: degree 30, so every node has one target it does not mask with.
        let targets = Array(Self.nodes.prefix(32))
        let plan = Self.plan(targets: targets, fanout: fanout, seed: UInt64(fanout))
        let partials = Self.partials(for: plan, seed: UInt64(100 + fanout))
        #expect(MaskedAggregation(plan: plan).graph.degree == 30)
        let run = Self.runQuery(plan: plan, partials: partials, seed: UInt64(fanout))
        #expect(run.first.coverage.answered == Set(targets), "fanout \(fanout): every target answers")
        #expect(run.responders == Set(targets))
        #expect(run.second?.coverage.answered == Set(targets), "fanout \(fanout): every holder reveals")
        #expect(run.second?.reveals.count == targets.count)
        Self.expectExact(run, "fanout \(fanout)")
        // The merge is not trivially empty: the sum has real cells.
        #expect(run.expected?.cells.count == plan.cells.count)
    }

    // MARK: 2. Faults

    @Test func aCrashedLeafInTheFirstRoundIsLeftOutExactly() {
        let plan = Self.plan(targets: Self.small, fanout: 3, seed: 21)
        let partials = Self.partials(for: plan, seed: 21)
        let crashed = Self.leaves(of: plan)[0]
        for stale in [false, true] {
            let run = Self.runQuery(plan: plan, partials: partials, deadInFirst: [crashed], deadInSecond: [crashed], staleMembership: stale, seed: 21)
            #expect(run.first.coverage.failed[crashed] != nil)
            #expect(run.responders == Set(Self.small).subtracting([crashed]))
            Self.expectExact(run, "a crashed leaf, stale membership \(stale)")
        }
    }

    @Test func aCrashedInteriorNodesChildrenAreAdoptedAndCounted() {
        let plan = Self.plan(targets: Self.small, fanout: 3, seed: 22)
        let partials = Self.partials(for: plan, seed: 22)
        let crashed = Self.interiors(of: plan)[0]
        let orphans = plan.tree.children(of: crashed)
        #expect(!orphans.isEmpty)
        for stale in [false, true] {
            let run = Self.runQuery(plan: plan, partials: partials, deadInFirst: [crashed], deadInSecond: [crashed], staleMembership: stale, seed: 22)
            #expect(run.first.coverage.failed[crashed] != nil)
            #expect(run.first.coverage.answered == Set(Self.small).subtracting([crashed]), "the crashed node's subtree answers around it")
            #expect(Set(orphans).isSubset(of: run.responders))
            Self.expectExact(run, "a crashed interior node, stale membership \(stale)")
        }
    }

    @Test func aResponderDeadInTheUnmaskingRoundIsStillCounted() {
        let plan = Self.plan(targets: Self.small, fanout: 3, seed: 23)
        let partials = Self.partials(for: plan, seed: 23)
        // One interior node (its subtree is asked around it) and one leaf.
        let interior = Self.interiors(of: plan)[1]
        let gone: Set<NodeID> = [interior, Self.leaves(of: plan)[2]]
        let run = Self.runQuery(plan: plan, partials: partials, deadInSecond: gone, seed: 23)
        #expect(run.responders == Set(Self.small), "both answered the first round")
        #expect(gone.isSubset(of: run.second?.coverage.failed.keys.map { $0 } ?? []))
        let revealed = Set(run.second?.reveals.keys.map { $0 } ?? [])
        #expect(revealed == Set(Self.small).subtracting(gone), "the dead interior node's children reveal around it")
        Self.expectExact(run, "two responders dead in the unmasking round")
    }

    /// A responder that dies after its neighbour dropped in the first round holds the only
    /// copy of their pairwise seed (it comes from their long-term keys, not from shares):
    /// the query then ends with an error naming that responder, never a wrong number.
    @Test func dropsInBothRoundsEndExactOrNamed() {
        let plan = Self.plan(targets: Self.small, fanout: 3, seed: 24)
        let partials = Self.partials(for: plan, seed: 24)
        let graph = MaskedAggregation(plan: plan).graph
        let dropped = Self.leaves(of: plan)[0]
        let late = graph.neighbours(of: dropped).first { $0 != plan.origin }!
        let run = Self.runQuery(plan: plan, partials: partials, deadInFirst: [dropped], deadInSecond: [dropped, late], seed: 24)
        #expect(run.responders.contains(late) && !run.responders.contains(dropped))
        switch run.outcome {
        case .success(let result):
            #expect(result.partial == run.expected)
        case .failure(let error):
            #expect(error.nodes.contains(late), "\(error.message)")
            #expect(error.message.contains("no seed of the masks between \(late) with \(dropped)"), "\(error.message)")
            // The price of masking without an announcement round (docs/PRIVACY.md, "Why
            // long-term pairwise keys"): an error that names the nodes, never a number.
        }
    }

    @Test func tooManyDeadHoldersEndTheQueryWithTheirRespondersNamed() {
        let plan = Self.plan(targets: Self.small, fanout: 4, seed: 25)
        let partials = Self.partials(for: plan, seed: 25)
        let graph = MaskedAggregation(plan: plan).graph
        let victim = Self.leaves(of: plan)[0]
        // All the victim's holders but threshold − 1 die (the origin among the living).
        var neighbours = graph.neighbours(of: victim).filter { $0 != plan.origin }
        neighbours.removeLast(graph.threshold - 2)
        let dead = Set(neighbours)
        let run = Self.runQuery(plan: plan, partials: partials, deadInSecond: dead, seed: 25)
        #expect(run.responders == Set(Self.small))
        let revealing = Set(graph.neighbours(of: victim)).intersection(run.second?.reveals.keys.map { $0 } ?? [])
        #expect(revealing.count == graph.threshold - 1)
        switch run.outcome {
        case .success(let result):
            Issue.record("unmasked with \(revealing.count) of the \(graph.threshold) shares needed: \(String(describing: result.partial))")
        case .failure(let error):
            #expect(error.nodes.contains(victim), "\(error.message)")
            #expect(error.message.contains("too few neighbours revealed"), "\(error.message)")
            #expect(error.message.contains(victim.rawValue))
        }
        // All holders of everyone dead but the origin: no number either.
        let everyone = Set(Self.small).subtracting([plan.origin])
        let wiped = Self.runQuery(plan: plan, partials: partials, deadInSecond: everyone, seed: 25)
        guard case .failure(let error) = wiped.outcome else {
            Issue.record("unmasked with only the origin revealing")
            return
        }
        #expect(Set(error.nodes) == Set(Self.small), "every responder is short of shares: \(error.nodes)")
        #expect(error.message.contains("no reveal from"))
    }

    // MARK: 3. Nobody sees a provider's plaintext

    @Test(arguments: [2, 8])
    func noInteriorNodeOrTheOriginSeesAPartial(fanout: Int) {
        let plan = Self.plan(targets: Self.small, fanout: fanout, seed: 31)
        let partials = Self.partials(for: plan, seed: 31)
        let encoding = MaskedAggregation(plan: plan).encoding
        let run = Self.runQuery(plan: plan, partials: partials, seed: 31)
        Self.expectExact(run, "fanout \(fanout)")
        #expect(run.first.partial == nil, "the origin's first-round result carries no partial")
        #expect(run.firstDeliveries.count == Self.small.count - 1)
        var leavesSeen = 0
        for delivery in run.firstDeliveries {
            #expect(delivery.result.partial == nil, "\(delivery.child) sent \(delivery.parent) a plaintext partial")
            guard let masked = delivery.result.maskedSum else {
                Issue.record("\(delivery.child) sent no masked sum")
                continue
            }
            // What the subtree's plaintexts sum to: never what the parent sees.
            var plain = RingVector(zeros: encoding.length)
            for node in delivery.result.coverage.answered { plain.add(encoding.encode(partials[node]!)) }
            let equal = zip(masked.elements, plain.elements).filter { $0 == $1 }.count
            #expect(equal == 0, "\(delivery.child) → \(delivery.parent): \(equal) of \(encoding.length) elements in the clear")
            if delivery.result.coverage.answered == [delivery.child] { leavesSeen += 1 }
            // Shares are ciphertexts, never the 33 plaintext bytes of a share.
            #expect(delivery.result.shares.values.allSatisfy { $0.count > 33 })
        }
        #expect(leavesSeen >= Self.leaves(of: plan).count)
        // At the origin the pairwise masks cancel; the self masks remain.
        var plainTotal = RingVector(zeros: encoding.length)
        for node in Self.small { plainTotal.add(encoding.encode(partials[node]!)) }
        let equal = zip(run.first.maskedSum!.elements, plainTotal.elements).filter { $0 == $1 }.count
        #expect(equal == 0, "the origin's masked sum shows \(equal) elements in the clear")
    }

    // MARK: 4. Hostile members

    /// A masked vector of the plan's length, of random elements.
    static func vector(_ plan: QueryPlan, _ random: inout SeededRandom) -> RingVector {
        RingVector(elements: (0..<MaskedAggregation(plan: plan).encoding.length).map { _ in UInt128(random.next()) << 64 | UInt128(random.next()) })
    }

    @Test func hostileFirstRoundResultsAreRefusedWholeByName() {
        let plan = Self.plan(targets: Self.nodes, fanout: 8, seed: 41)
        let graph = MaskedAggregation(plan: plan).graph
        var random = SeededRandom(seed: 41)
        var root = QueryCoordinator(plan: plan, localNode: plan.origin, localMinimumCellSize: 5)
        _ = root.start(nowMilliseconds: plan.issuedAtMilliseconds, isReachable: { _ in true })
        let children = plan.tree.children(of: plan.origin)
        #expect(children.count == 8)
        func honest(_ child: NodeID) -> SubtreeResult {
            let shares = Dictionary(uniqueKeysWithValues: graph.neighbours(of: child).map { (SubtreeResult.ShareRoute(sender: child, holder: $0), [UInt8](repeating: 7, count: 61)) })
            return SubtreeResult(partial: nil, coverage: Coverage(answered: [child]), strictestK: 6, maskedSum: Self.vector(plan, &random), shares: shares)
        }
        let own = Self.vector(plan, &random)
        _ = root.localExecutionFinished(.masked(own, shares: [:]))
        var results = children.map(honest)
        let plaintext = Self.partials(for: plan, seed: 41)[children[0]]!
        results[0].partial = plaintext
        results[1].maskedSum!.elements.removeLast()
        let outsider = plan.tree.descendants(of: children[2]).first!
        results[2].shares[SubtreeResult.ShareRoute(sender: outsider, holder: graph.neighbours(of: outsider)[0])] = [1, 2, 3]
        let stranger = Self.nodes.first { $0 != children[3] && !graph.neighbours(of: children[3]).contains($0) }!
        results[3].shares[SubtreeResult.ShareRoute(sender: children[3], holder: stranger)] = [1, 2, 3]
        results[4].reveals = [children[4]: [9, 9, 9]]
        results[5].maskedSum = nil
        var answer: [QueryCoordinator.Action] = []
        for (child, result) in zip(children, results) { answer = root.childAnswered(child, result) }
        guard case .answer(let result)? = answer.first else {
            Issue.record("the root did not answer: \(answer)")
            return
        }
        let failed = result.coverage.failed
        #expect(failed[children[0]]?.contains("plaintext partial") == true, "\(failed)")
        #expect(failed[children[1]]?.contains("masked sum has \(MaskedAggregation(plan: plan).encoding.length - 1) elements") == true, "\(failed)")
        #expect(failed[children[2]]?.contains("a share from \(outsider), which it does not name as answered") == true, "\(failed)")
        #expect(failed[children[3]]?.contains("not neighbours in the masking graph") == true, "\(failed)")
        #expect(failed[children[4]]?.contains("reveals before the unmasking round") == true, "\(failed)")
        #expect(failed[children[5]]?.contains("masked sum has 0 elements") == true, "\(failed)")
        #expect(result.coverage.answered == [plan.origin, children[6], children[7]])
        #expect(result.partial == nil)
        // Nothing of the refused results is in the sum or the shares.
        var sum = own
        sum.add(results[6].maskedSum!)
        sum.add(results[7].maskedSum!)
        #expect(result.maskedSum == sum)
        #expect(result.shares == results[6].shares.merging(results[7].shares) { a, _ in a })
    }

    @Test func hostileUnmaskingRoundResultsAreRefusedWholeByName() {
        let plan = Self.plan(targets: Self.nodes, fanout: 8, seed: 42)
        var random = SeededRandom(seed: 42)
        var root = QueryCoordinator(plan: plan, localNode: plan.origin, localMinimumCellSize: 5, round: .unmask)
        _ = root.start(nowMilliseconds: plan.deadlineMilliseconds, isReachable: { _ in true })
        _ = root.localExecutionFinished(.revealed([1]))
        let children = plan.unmaskTree.children(of: plan.origin)
        #expect(Set(children) == Set(plan.targets).subtracting([plan.origin]), "the origin asks every other target directly")
        func honest(_ child: NodeID) -> SubtreeResult {
            SubtreeResult(partial: nil, coverage: Coverage(answered: [child]), strictestK: 0, reveals: [child: [UInt8](repeating: 3, count: 40)])
        }
        var results = children.map(honest)
        results[0].partial = QueryPartial(statisticAttributes: plan.query.statisticAttributes)
        results[1].maskedSum = Self.vector(plan, &random)
        results[2].shares = [SubtreeResult.ShareRoute(sender: children[2], holder: plan.origin): [1]]
        let other = children.last!
        results[3].reveals[other] = [4]
        results[4].coverage.answered.insert(other)
        var answer: [QueryCoordinator.Action] = []
        for (child, result) in zip(children, results) { answer = root.childAnswered(child, result) }
        guard case .answer(let result)? = answer.first else {
            Issue.record("the root did not answer: \(answer)")
            return
        }
        let failed = result.coverage.failed
        for index in 0..<3 { #expect(failed[children[index]]?.contains("partials or shares in the unmasking round") == true, "\(failed)") }
        #expect(failed[children[3]]?.contains("a reveal of \(other), which it does not name as answered") == true, "\(failed)")
        #expect(failed[children[4]]?.contains("its coverage names \(other), which is not in its subtree") == true, "\(failed)")
        #expect(result.coverage.answered == Set([plan.origin] + children[5...]))
        #expect(Set(result.reveals.keys) == Set([plan.origin] + children[5...]))
    }

    /// The origin ends the unmasking round as soon as the reveals that arrived unmask the
    /// sum, not when the slowest target answers; a target's coordinator, or the origin's
    /// without the responders, waits for everyone.
    @Test func theOriginStopsWaitingOnceTheRevealsSuffice() {
        let plan = Self.plan(targets: Self.nodes, fanout: 8, seed: 44)
        let responders = Set(plan.targets)
        let unmasker = SecureAggregationUnmasker(graph: MaskedAggregation(plan: plan).graph)
        let children = plan.unmaskTree.children(of: plan.origin)
        func reveal(_ child: NodeID) -> SubtreeResult {
            SubtreeResult(partial: nil, coverage: Coverage(answered: [child]), strictestK: 0, reveals: [child: [5]])
        }
        /// How many children had answered when the coordinator answered.
        func answeredAfter(_ coordinator: inout QueryCoordinator) -> Int? {
            _ = coordinator.start(nowMilliseconds: plan.deadlineMilliseconds, isReachable: { _ in true })
            _ = coordinator.localExecutionFinished(.revealed([1]))
            var revealed: Set<NodeID> = [plan.origin]
            for (index, child) in children.enumerated() {
                let actions = coordinator.childAnswered(child, reveal(child))
                revealed.insert(child)
                if case .answer(let result)? = actions.first {
                    #expect(Set(result.reveals.keys) == revealed)
                    return index + 1
                }
            }
            return nil
        }
        var origin = QueryCoordinator(plan: plan, localNode: plan.origin, localMinimumCellSize: 5, round: .unmask, responders: responders)
        let early = answeredAfter(&origin)
        #expect(early != nil && early! < children.count, "the origin waited for all \(children.count) targets")
        if let early {
            let heard = Set([plan.origin] + children.prefix(early))
            #expect(unmasker.suffices(responders: responders, revealedBy: heard))
            #expect(!unmasker.suffices(responders: responders, revealedBy: heard.subtracting([children[early - 1]])), "it answered later than needed")
        }
        var patient = QueryCoordinator(plan: plan, localNode: plan.origin, localMinimumCellSize: 5, round: .unmask)
        #expect(answeredAfter(&patient) == children.count)
        // A dropped target's responding neighbours must all reveal their seeds with it.
        let dropped = children[0]
        var partial = QueryCoordinator(
            plan: plan, localNode: plan.origin, localMinimumCellSize: 5, round: .unmask, responders: responders.subtracting([dropped]))
        _ = partial.start(nowMilliseconds: plan.deadlineMilliseconds, isReachable: { _ in true })
        _ = partial.localExecutionFinished(.revealed([1]))
        let graph = MaskedAggregation(plan: plan).graph
        let lastNeighbour = children.last { graph.areNeighbours($0, dropped) }!
        for child in children where child != lastNeighbour {
            #expect(partial.childAnswered(child, reveal(child)).isEmpty, "answered before \(lastNeighbour), a neighbour of the dropped \(dropped), revealed")
        }
        guard case .answer? = partial.childAnswered(lastNeighbour, reveal(lastNeighbour)).first else {
            Issue.record("the origin did not answer once every reveal was in")
            return
        }
    }

    @Test func aPlaintextPlanRefusesMaskedValues() {
        var plan = Self.plan(targets: Array(Self.nodes.prefix(5)), fanout: 4, seed: 43)
        plan.secureAggregation = false
        var root = QueryCoordinator(plan: plan, localNode: plan.origin, localMinimumCellSize: 5)
        _ = root.start(nowMilliseconds: plan.issuedAtMilliseconds, isReachable: { _ in true })
        _ = root.localExecutionFinished(.partial(QueryPartial(statisticAttributes: plan.query.statisticAttributes)))
        let children = plan.tree.children(of: plan.origin)
        var answer: [QueryCoordinator.Action] = []
        for child in children {
            answer = root.childAnswered(child, SubtreeResult(partial: nil, coverage: Coverage(answered: [child]), strictestK: 5, maskedSum: RingVector(zeros: 3)))
        }
        guard case .answer(let result)? = answer.first else {
            Issue.record("the root did not answer")
            return
        }
        #expect(Set(result.coverage.failed.keys) == Set(children))
        #expect(result.coverage.failed.values.allSatisfy { $0.contains("the plan is not masked") })
    }

    /// A member that swaps its masked answer for its plaintext partial is refused at its
    /// parent, and the query is still exact over the others.
    @Test func aLeakingMemberIsRefusedAndTheRestStillUnmasksExactly() {
        let plan = Self.plan(targets: Self.small, fanout: 3, seed: 44)
        let partials = Self.partials(for: plan, seed: 44)
        let leaker = Self.leaves(of: plan)[1]
        let run = Self.runQuery(plan: plan, partials: partials, seed: 44) { node, result in
            guard node == leaker else { return result }
            var leaked = result
            leaked.partial = partials[node]
            return leaked
        }
        #expect(run.first.coverage.failed[leaker]?.contains("plaintext partial") == true, "\(run.first.coverage.failed)")
        #expect(run.responders == Set(Self.small).subtracting([leaker]))
        Self.expectExact(run, "a leaking member")
    }

    /// An interior member's refused result takes its subtree's vectors with it; the sum is
    /// still exact over the others, who are the responders.
    @Test func aLeakingInteriorMemberIsRefusedWithItsSubtree() {
        let plan = Self.plan(targets: Self.small, fanout: 3, seed: 48)
        let partials = Self.partials(for: plan, seed: 48)
        let leaker = Self.interiors(of: plan)[0]
        let subtree = Set(plan.tree.descendants(of: leaker)).union([leaker])
        let run = Self.runQuery(plan: plan, partials: partials, seed: 48) { node, result in
            guard node == leaker else { return result }
            var leaked = result
            leaked.partial = partials[node]
            return leaked
        }
        #expect(run.first.coverage.failed[leaker]?.contains("plaintext partial") == true, "\(run.first.coverage.failed)")
        #expect(run.responders == Set(Self.small).subtracting(subtree))
        Self.expectExact(run, "a leaking interior member")
        #expect(run.first.coverage.accountedFor == Set(Self.small), "every target is named in the coverage")
    }

    /// Under masking no parent can check a member's counts; the origin's decoding does: a
    /// member claiming Int64.max persons ends the query with an error, and the next honest
    /// query through the same code is exact.
    @Test func aMemberEncodingInt64MaxPersonsEndsTheQueryNotTheNode() {
        let plan = Self.plan(targets: Self.small, fanout: 4, seed: 45)
        var partials = Self.partials(for: plan, seed: 45)
        let honest = partials
        let liar = Self.small[17]
        var lie = QueryPartial(statisticAttributes: plan.query.statisticAttributes)
        for key in plan.cells.allCells {
            lie.cells[key] = CellPartial(studies: 1, subjects: .max, statistics: Array(repeating: NumericPartial(), count: plan.query.statisticAttributes.count))
        }
        partials[liar] = lie
        let run = Self.runQuery(plan: plan, partials: partials, seed: 45)
        #expect(run.first.coverage.answered == Set(Self.small), "the lie is masked: nobody on the way can see it")
        switch run.outcome {
        case .success(let result):
            Issue.record("released a sum with a member's Int64.max persons: \(String(describing: result.partial))")
        case .failure(let error):
            #expect(error.message.contains("not a sum of honest partials"), "\(error.message)")
            #expect(error.message.contains("persons"), "\(error.message)")
        }
        let next = Self.runQuery(plan: Self.plan(targets: Self.small, fanout: 4, seed: 46), partials: honest, seed: 46)
        Self.expectExact(next, "the honest query after the lie")
    }

    /// A member shifting a statistic far outside count × bounds, which a parent refuses in
    /// the plaintext tree (``PartialLimits``), is caught after unmasking: the query ends with
    /// an error, never a released impossible value.
    @Test func aMemberEncodingAnImpossibleSumIsNotReleased() {
        let plan = Self.plan(targets: Array(Self.nodes.prefix(12)), fanout: 4, seed: 47)
        var partials = Self.partials(for: plan, seed: 47)
        let liar = plan.targets[5]
        var lie = QueryPartial(statisticAttributes: plan.query.statisticAttributes)
        lie.cells[plan.cells.allCells[0]] = CellPartial(
            studies: 1, subjects: 1, statistics: [NumericPartial(count: 1, sum: Int128(1) << 100, sumOfSquares: 0), NumericPartial()]
        )
        partials[liar] = lie
        let run = Self.runQuery(plan: plan, partials: partials, seed: 47)
        switch run.outcome {
        case .success(let result):
            Issue.record("released an impossible sum: \(String(describing: result.partial))")
        case .failure(let error):
            #expect(error.message.contains("not a sum of honest partials"), "\(error.message)")
            #expect(error.message.contains("sums"), "\(error.message)")
        }
    }

    // MARK: 5. Held plans

    static func rejectionCode(_ body: () throws(QueryPlanRejection) -> QueryPlan) -> QueryPlanRejection.Code? {
        do {
            _ = try body()
            return nil
        } catch {
            return error.code
        }
    }

    @Test func heldPlansAdmitOneUnmaskingPerQueryBeforeItsDeadline() throws {
        let plan = Self.plan(targets: Array(Self.nodes.prefix(6)), fanout: 2, seed: 51)
        var held = HeldPlans()
        held.hold(plan, nowMilliseconds: plan.issuedAtMilliseconds)
        held.hold(plan, nowMilliseconds: plan.issuedAtMilliseconds + 1)
        #expect(held.count == 1, "a plan held twice is held once")
        let during = plan.deadlineMilliseconds + 10
        #expect(try held.admitUnmasking(plan.queryID, nowMilliseconds: during) == plan)
        #expect(Self.rejectionCode { () throws(QueryPlanRejection) in try held.admitUnmasking(plan.queryID, nowMilliseconds: during + 1) } == .duplicate)

        var unknown = SeededRandom(seed: 999)
        #expect(Self.rejectionCode { () throws(QueryPlanRejection) in try held.admitUnmasking(QueryID(using: &unknown), nowMilliseconds: during) } == .notATarget)

        let late = Self.plan(targets: Array(Self.nodes.prefix(6)), fanout: 2, seed: 52)
        held.hold(late, nowMilliseconds: late.issuedAtMilliseconds)
        #expect(Self.rejectionCode { () throws(QueryPlanRejection) in try held.admitUnmasking(late.queryID, nowMilliseconds: late.unmaskDeadlineMilliseconds) } == .deadline)
        #expect(
            Self.rejectionCode { () throws(QueryPlanRejection) in try held.admitUnmasking(late.queryID, nowMilliseconds: late.unmaskDeadlineMilliseconds - 1) } == .notATarget,
            "a plan refused past its deadline is forgotten"
        )

        var plaintext = Self.plan(targets: Array(Self.nodes.prefix(6)), fanout: 2, seed: 53)
        plaintext.secureAggregation = false
        var fresh = HeldPlans()
        fresh.hold(plaintext, nowMilliseconds: plaintext.issuedAtMilliseconds)
        #expect(fresh.count == 0, "only masked plans are held")
        #expect(Self.rejectionCode { () throws(QueryPlanRejection) in try fresh.admitUnmasking(plaintext.queryID, nowMilliseconds: plaintext.deadlineMilliseconds) } == .notATarget)
    }

    @Test func heldPlansAreBounded() throws {
        let base = Self.plan(targets: Array(Self.nodes.prefix(3)), fanout: 2, seed: 54)
        var held = HeldPlans()
        var random = SeededRandom(seed: 54)
        var plans: [QueryPlan] = []
        for index in 0...HeldPlans.capacity {
            var plan = base
            plan.queryID = QueryID(using: &random)
            // Later plans end later; the first ends first.
            plan.deadlineMilliseconds = base.deadlineMilliseconds + Int64(index) * 2
            plans.append(plan)
            held.hold(plan, nowMilliseconds: base.issuedAtMilliseconds)
        }
        #expect(held.count == HeldPlans.capacity)
        let now = base.deadlineMilliseconds
        #expect(Self.rejectionCode { () throws(QueryPlanRejection) in try held.admitUnmasking(plans[0].queryID, nowMilliseconds: now) } == .notATarget, "the earliest made room")
        #expect(try held.admitUnmasking(plans[1].queryID, nowMilliseconds: now) == plans[1])
        #expect(try held.admitUnmasking(plans.last!.queryID, nowMilliseconds: now) == plans.last!)
        // Expired plans are forgotten when the next one comes.
        var next = base
        next.queryID = QueryID(using: &random)
        next.issuedAtMilliseconds = plans.last!.unmaskDeadlineMilliseconds
        next.deadlineMilliseconds = next.issuedAtMilliseconds + 10_000
        held.hold(next, nowMilliseconds: next.issuedAtMilliseconds)
        #expect(held.count == 1)
    }
}
