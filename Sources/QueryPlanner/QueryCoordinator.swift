import Aggregation
import MeshCore
import SecureAggregation

/// One node's part in one federated query (docs/ARCHITECTURE.md, "Planning and execution along a
/// tree", steps 3 and 4), as a state machine without I/O (docs/ARCHITECTURE.md, "Code structure: pure cores and thin shells"): the shell
/// feeds it events (the plan arrived, the local execution finished, a child answered or
/// could not be reached, the deadline passed) and carries out the actions it returns.
///
/// The node forwards the plan to its children in the tree, executes locally when it is a
/// target, merges its own partial with its children's, and answers its parent once every
/// child is accounted for or at its deadline, whichever comes first. A child that cannot be
/// reached does not take its subtree with it: the node forwards the plan to that child's
/// children instead, recursively. Children still pending at the deadline are reported as
/// timed out together with the part of their subtree nobody else accounted for, so the
/// coverage always names every target below this node.
///
/// Under secure aggregation a query runs two rounds (``Round``): first the plan goes down
/// the tree and masked vectors come up, then the origin sends its unmasking request
/// straight to every target and the sealed reveals come straight back
/// (``QueryPlan/unmaskTree``, a star; ``MaskedAggregation``).
public struct QueryCoordinator: Sendable {
    /// Which of a query's rounds this coordinator runs.
    public enum Round: Sendable, Equatable {
        /// The plan down, partials (or masked vectors) up.
        case aggregate
        /// Secure aggregation's unmasking request out, sealed reveals back, over the star
        /// ``QueryPlan/unmaskTree``.
        case unmask
    }

    public enum Action: Sendable, Equatable {
        /// Send the signed plan to `node` and wait for its subtree result until
        /// `waitUntilMilliseconds` (this node's own deadline).
        case forward(to: NodeID, waitUntilMilliseconds: Int64)
        /// Run the query on the local site and report with ``localExecutionFinished(_:)``.
        case executeLocally
        /// Call ``deadlinePassed()`` at this time (Unix milliseconds).
        case scheduleDeadline(atMilliseconds: Int64)
        /// The subtree's result: reply to the parent, or release it (at the origin).
        case answer(SubtreeResult)
    }

    /// How the local execution ended.
    public enum LocalOutcome: Sendable, Equatable {
        case partial(QueryPartial)
        /// Under secure aggregation: the partial masked, with the encrypted self-mask shares.
        case masked(RingVector, shares: [SubtreeResult.ShareRoute: [UInt8]])
        /// In the unmasking round: what this node reveals, sealed to the origin.
        case revealed([UInt8])
        /// The node's own policy refused the plan (with the reason).
        case refused(String)
        /// The execution failed (with the reason).
        case failed(String)
    }

    private enum State: Sendable {
        case idle
        case running(Running)
        case answered
    }

    private struct Running: Sendable {
        /// Children asked and not yet accounted for.
        var pending: Set<NodeID>
        var localPending: Bool
        var result: SubtreeResult
    }

    public let plan: QueryPlan
    public let localNode: NodeID
    public let tree: AggregationTree
    /// The local node's minimum cell size, which its partial brings to the threshold.
    public let localMinimumCellSize: Int
    /// When this node answers its parent at the latest.
    public let deadlineMilliseconds: Int64
    public let round: Round
    /// Under secure aggregation, the masking graph (who may hold whose shares) and the
    /// length of a masked vector.
    private let graph: MaskingGraph?
    private let maskedLength: Int
    /// At the origin of the unmasking round: how far the reveals merged so far are from
    /// unmasking the responders it fixed.
    private var reveals: SecureAggregationUnmasker.Progress?
    private var state: State = .idle

    /// - Parameter responders: at the origin of the unmasking round, the responders it fixed
    ///   and signed. The round then ends as soon as the reveals that arrived are enough to
    ///   unmask them (``SecureAggregationUnmasker/suffices(responders:revealedBy:)``), without
    ///   waiting for the slowest holders; the targets still unheard from are left out of
    ///   the round's coverage, which only names who revealed.
    public init(plan: QueryPlan, localNode: NodeID, localMinimumCellSize: Int, round: Round = .aggregate, responders: Set<NodeID>? = nil) {
        self.plan = plan
        self.localNode = localNode
        self.localMinimumCellSize = localMinimumCellSize
        self.round = round
        switch round {
        case .aggregate:
            tree = plan.tree
            deadlineMilliseconds = plan.deadline(of: localNode, in: tree)
        case .unmask:
            tree = plan.unmaskTree
            deadlineMilliseconds = plan.unmaskDeadline(of: localNode, in: tree)
        }
        if plan.secureAggregation {
            let masking = MaskedAggregation(plan: plan)
            graph = masking.graph
            maskedLength = masking.encoding.length
        } else {
            graph = nil
            maskedLength = 0
        }
        if round == .unmask, localNode == plan.origin, let responders, let graph {
            reveals = SecureAggregationUnmasker(graph: graph).progress(responders: responders)
        }
    }

    /// Whether the node has answered (later events are ignored).
    public var isFinished: Bool { if case .answered = state { true } else { false } }

    /// The plan has arrived (or, at the origin, has been made).
    ///
    /// - Parameter isReachable: false for nodes the membership holds dead or left; their
    ///   subtrees are asked directly.
    public mutating func start(nowMilliseconds: Int64, isReachable: (NodeID) -> Bool) -> [Action] {
        guard case .idle = state else {
            preconditionFailure("QueryCoordinator.start called in state \(state) for query \(plan.queryID)")
        }
        let executes = plan.targets.contains(localNode)
        var running = Running(pending: [], localPending: executes, result: SubtreeResult(partial: nil, coverage: Coverage(), strictestK: 0))
        var actions: [Action] = []
        var unreachable: [NodeID] = []
        var frontier = tree.children(of: localNode)
        while let child = frontier.popLast() {
            if isReachable(child) {
                running.pending.insert(child)
                actions.append(.forward(to: child, waitUntilMilliseconds: deadlineMilliseconds))
            } else {
                unreachable.append(child)
                frontier.append(contentsOf: tree.children(of: child))
            }
        }
        for node in unreachable {
            running.result.coverage.failed[node] = "unreachable: not alive in the membership"
        }
        if executes { actions.append(.executeLocally) }
        state = .running(running)
        if nowMilliseconds >= deadlineMilliseconds {
            // Too late to ask anyone: an answer now still tells the parent who is missing.
            return deadlinePassed()
        }
        actions.append(.scheduleDeadline(atMilliseconds: deadlineMilliseconds))
        return actions + answerIfComplete()
    }

    public mutating func localExecutionFinished(_ outcome: LocalOutcome) -> [Action] {
        guard case .running(var running) = state, running.localPending else { return [] }
        running.localPending = false
        switch outcome {
        case .partial(let partial):
            running.result.merge(SubtreeResult(partial: partial, coverage: Coverage(answered: [localNode]), strictestK: localMinimumCellSize))
        case .masked(let vector, let shares):
            running.result.merge(
                SubtreeResult(partial: nil, coverage: Coverage(answered: [localNode]), strictestK: localMinimumCellSize, maskedSum: vector, shares: shares)
            )
        case .revealed(let sealed):
            running.result.merge(SubtreeResult(partial: nil, coverage: Coverage(answered: [localNode]), strictestK: 0, reveals: [localNode: sealed]))
            reveals?.heard(from: localNode)
        case .refused(let reason):
            running.result.coverage.refused[localNode] = reason
        case .failed(let reason):
            running.result.coverage.failed[localNode] = reason
        }
        state = .running(running)
        return answerIfComplete()
    }

    /// A child's subtree result arrived. A result that does not fit the plan (a partial of
    /// other statistics, or coverage naming nodes outside the child's subtree) is refused
    /// whole and the child reported as failed: one bad node must not corrupt the result.
    public mutating func childAnswered(_ child: NodeID, _ result: SubtreeResult) -> [Action] {
        guard case .running(var running) = state, running.pending.remove(child) != nil else { return [] }
        var refusal: String?
        if let problem = problem(with: result, from: child) {
            refusal = "answered with an invalid result: \(problem)"
        } else if !running.result.mergeReportingOverflow(result) {
            refusal = "answered with an invalid result: its values overflow the sums of the others"
        }
        if refusal == nil {
            for holder in result.reveals.keys { reveals?.heard(from: holder) }
        }
        if let refusal {
            // The whole subtree's result is left out; every target in it is named.
            running.result.coverage.failed[child] = refusal
            for node in tree.descendants(of: child) where !running.result.coverage.accountedFor.contains(node) && !running.pending.contains(node) {
                running.result.coverage.failed[node] = "its result came through \(child), whose answer was refused"
            }
        }
        state = .running(running)
        return answerIfComplete()
    }

    /// A child refused the plan itself (not for policy: policy refusals come back as a
    /// result). A duplicate means the child already has the plan through another path and
    /// its subtree is accounted for there; any other rejection leaves its subtree unasked,
    /// so the plan goes to the child's children.
    public mutating func childRejected(_ child: NodeID, _ rejection: QueryPlanRejection, nowMilliseconds: Int64, isReachable: (NodeID) -> Bool) -> [Action] {
        guard case .running(var running) = state, running.pending.remove(child) != nil else { return [] }
        running.result.coverage.failed[child] = "rejected the plan: \(rejection.message)"
        state = .running(running)
        if rejection.code == .duplicate { return answerIfComplete() }
        return adoptChildren(of: child, nowMilliseconds: nowMilliseconds, isReachable: isReachable) + answerIfComplete()
    }

    /// A child could not be reached (refused connection, lost connection, or it went dead
    /// in the membership while this node waited).
    public mutating func childUnreachable(_ child: NodeID, reason: String, nowMilliseconds: Int64, isReachable: (NodeID) -> Bool) -> [Action] {
        guard case .running(var running) = state, running.pending.remove(child) != nil else { return [] }
        running.result.coverage.failed[child] = "unreachable: \(reason)"
        state = .running(running)
        return adoptChildren(of: child, nowMilliseconds: nowMilliseconds, isReachable: isReachable) + answerIfComplete()
    }

    /// The deadline passed: answer with what has arrived. Pending children, and the parts of
    /// their subtrees nobody else reported, are timed out; a local execution still running
    /// is reported as timed out too.
    public mutating func deadlinePassed() -> [Action] {
        guard case .running(var running) = state else { return [] }
        let accounted = running.result.coverage.accountedFor
        var late: Set<NodeID> = []
        for child in running.pending {
            late.insert(child)
            late.formUnion(tree.descendants(of: child))
        }
        if running.localPending { late.insert(localNode) }
        running.result.coverage.timedOut.formUnion(late.subtracting(accounted))
        running.result.coverage.normalise()
        state = .answered
        return [.answer(running.result)]
    }

    // MARK: Private

    private mutating func adoptChildren(of lost: NodeID, nowMilliseconds: Int64, isReachable: (NodeID) -> Bool) -> [Action] {
        guard case .running(var running) = state else { return [] }
        var actions: [Action] = []
        var frontier = tree.children(of: lost)
        while let node = frontier.popLast() {
            if running.result.coverage.accountedFor.contains(node) || running.pending.contains(node) { continue }
            if nowMilliseconds < deadlineMilliseconds, isReachable(node) {
                running.pending.insert(node)
                actions.append(.forward(to: node, waitUntilMilliseconds: deadlineMilliseconds))
            } else {
                running.result.coverage.failed[node] = "unreachable: not alive in the membership"
                frontier.append(contentsOf: tree.children(of: node))
            }
        }
        state = .running(running)
        return actions
    }

    private mutating func answerIfComplete() -> [Action] {
        guard case .running(var running) = state, !running.localPending, running.pending.isEmpty || reveals?.suffices == true else { return [] }
        running.result.coverage.normalise()
        state = .answered
        return [.answer(running.result)]
    }

    private func problem(with result: SubtreeResult, from child: NodeID) -> String? {
        if let problem = maskingProblem(with: result) { return problem }
        if let partial = result.partial, partial.statisticAttributes != plan.query.statisticAttributes {
            return "its partial carries statistics of \(partial.statisticAttributes), the query asks for \(plan.query.statisticAttributes)"
        }
        if let partial = result.partial {
            for key in partial.cells.keys where key.count != plan.query.groupBy.count {
                return "its partial has a cell with \(key.count) group values; the query groups by \(plan.query.groupBy.count)"
            }
            for (key, cell) in partial.cells {
                if cell.statistics.count != plan.query.statisticAttributes.count {
                    return "its partial has a cell with \(cell.statistics.count) statistics"
                }
                if !plan.cells.contains(key) {
                    return "its partial has the cell \(key), which the plan does not enumerate"
                }
                if let problem = PartialLimits.problem(with: cell, attributes: plan.query.statisticAttributes, bounds: plan.statisticBounds) {
                    return "its cell \(key) \(problem)"
                }
            }
        }
        let subtree = Set(tree.descendants(of: child)).union([child])
        let named = result.coverage.accountedFor
        if let stranger = named.subtracting(subtree).min() {
            return "its coverage names \(stranger), which is not in its subtree"
        }
        if result.partial != nil, result.coverage.answered.isEmpty {
            return "it carries a partial but names no node that answered"
        }
        return nil
    }

    /// What a result must carry in this round: plaintext partials only in the plaintext
    /// tree; under secure aggregation a masked sum of the plan's length exactly when someone
    /// answered, shares only from answered nodes to their neighbours in the masking graph,
    /// and reveals only in the unmasking round, from answered nodes.
    private func maskingProblem(with result: SubtreeResult) -> String? {
        let answered = result.coverage.answered
        switch (round, graph) {
        case (.aggregate, nil):
            if result.maskedSum != nil || !result.shares.isEmpty || !result.reveals.isEmpty {
                return "it carries masked values, but the plan is not masked"
            }
        case (.aggregate, let graph?):
            if result.partial != nil { return "it carries a plaintext partial, but the plan is masked" }
            if !result.reveals.isEmpty { return "it carries reveals before the unmasking round" }
            if answered.isEmpty, result.maskedSum != nil || !result.shares.isEmpty {
                return "it carries a masked sum or shares but names no node that answered"
            }
            if !answered.isEmpty, result.maskedSum?.count != maskedLength {
                return "its masked sum has \(result.maskedSum?.count ?? 0) elements; the plan's layout has \(maskedLength)"
            }
            for route in result.shares.keys {
                guard answered.contains(route.sender) else { return "it carries a share from \(route.sender), which it does not name as answered" }
                guard graph.areNeighbours(route.sender, route.holder) else {
                    return "it carries a share from \(route.sender) to \(route.holder), which are not neighbours in the masking graph"
                }
            }
        case (.unmask, _):
            if result.partial != nil || result.maskedSum != nil || !result.shares.isEmpty {
                return "it carries partials or shares in the unmasking round"
            }
            if let stranger = Set(result.reveals.keys).subtracting(answered).min() {
                return "it carries a reveal of \(stranger), which it does not name as answered"
            }
        }
        return nil
    }
}
