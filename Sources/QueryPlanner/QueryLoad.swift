import MeshCore

/// How much query work a node takes on at once. Every limit is checked when the node
/// starts (``problem()``); past one, the node answers busy with a retry hint instead of
/// queueing work it cannot finish before the deadlines.
public struct QueryLoadLimits: Sendable, Equatable {
    /// Plans from other nodes this node runs at the same time (verifying, executing,
    /// waiting for its subtree).
    public var maxConcurrentPlans = 64
    /// Researchers' queries this node runs as their origin at the same time, in all.
    public var maxConcurrentSubmissions = 32
    /// The same, per researcher: one researcher cannot take every origin slot.
    public var maxConcurrentSubmissionsPerResearcher = 4
    /// Query ids held against replay per origin (``SeenQueries``); the node holds at most
    /// ``SeenQueries/capacity`` in all.
    public var seenQueriesPerOrigin = 10_000
    /// What a busy answer tells the sender to wait before trying again.
    public var busyRetryAfterMilliseconds: Int64 = 1_000

    public init() {}

    /// Why these limits cannot run, naming the setting; nil when they can.
    public func problem() -> String? {
        for (name, value) in [
            ("max_concurrent_plans", maxConcurrentPlans), ("max_concurrent_submissions", maxConcurrentSubmissions),
            ("max_concurrent_submissions_per_researcher", maxConcurrentSubmissionsPerResearcher),
            ("seen_queries_per_origin", seenQueriesPerOrigin),
        ] where value < 1 {
            return "\(name) must be at least 1; got \(value)"
        }
        if maxConcurrentSubmissionsPerResearcher > maxConcurrentSubmissions {
            return "max_concurrent_submissions_per_researcher (\(maxConcurrentSubmissionsPerResearcher)) cannot exceed max_concurrent_submissions (\(maxConcurrentSubmissions))"
        }
        if seenQueriesPerOrigin > SeenQueries.defaultCapacity {
            return "seen_queries_per_origin (\(seenQueriesPerOrigin)) cannot exceed the node's \(SeenQueries.defaultCapacity) ids in all"
        }
        if busyRetryAfterMilliseconds < 1 || busyRetryAfterMilliseconds > 60_000 {
            return "busy_retry_after_ms must be from 1 to 60000; got \(busyRetryAfterMilliseconds)"
        }
        return nil
    }
}

/// The query work a node is doing now, against its ``QueryLoadLimits``: a counter of
/// running plans and of running submissions per researcher. The shell takes a slot before
/// it starts the work and gives it back when the work ends, answered or not.
public struct QueryLoad: Sendable {
    public let limits: QueryLoadLimits
    public private(set) var runningPlans = 0
    public private(set) var runningSubmissions = 0
    private var submissionsPerResearcher: [ResearcherID: Int] = [:]
    /// Work refused as busy since the node started, by kind.
    public private(set) var refusedPlans = 0
    public private(set) var refusedSubmissions = 0

    public init(limits: QueryLoadLimits) {
        self.limits = limits
    }

    /// Takes a plan slot, or says why not.
    public mutating func startPlan() -> QueryPlanRejection? {
        guard runningPlans < limits.maxConcurrentPlans else {
            refusedPlans += 1
            return busy("this node is running \(runningPlans) plans, its limit (max_concurrent_plans)")
        }
        runningPlans += 1
        return nil
    }

    public mutating func finishPlan() {
        precondition(runningPlans > 0, "finishPlan without startPlan")
        runningPlans -= 1
    }

    /// Takes a submission slot for `researcher`, or says why not.
    public mutating func startSubmission(by researcher: ResearcherID) -> QueryPlanRejection? {
        let own = submissionsPerResearcher[researcher] ?? 0
        if own >= limits.maxConcurrentSubmissionsPerResearcher {
            refusedSubmissions += 1
            return busy("\(researcher) has \(own) queries running at this origin, the limit per researcher (max_concurrent_submissions_per_researcher)")
        }
        if runningSubmissions >= limits.maxConcurrentSubmissions {
            refusedSubmissions += 1
            return busy("this origin is running \(runningSubmissions) researchers' queries, its limit (max_concurrent_submissions)")
        }
        submissionsPerResearcher[researcher] = own + 1
        runningSubmissions += 1
        return nil
    }

    public mutating func finishSubmission(by researcher: ResearcherID) {
        guard let own = submissionsPerResearcher[researcher], own > 0 else {
            preconditionFailure("finishSubmission for \(researcher) without startSubmission")
        }
        submissionsPerResearcher[researcher] = own == 1 ? nil : own - 1
        runningSubmissions -= 1
    }

    private func busy(_ reason: String) -> QueryPlanRejection {
        QueryPlanRejection(.busy, "\(reason); retry after \(limits.busyRetryAfterMilliseconds) ms")
    }
}
