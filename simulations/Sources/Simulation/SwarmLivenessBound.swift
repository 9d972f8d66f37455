import Gossip

/// How long after the faults stop a swarm run may take to converge: every live node sees
/// exactly the live nodes alive (at the incarnation each holds), and holds the newest
/// catalogue of every live node. Derived from the settings and the mesh size N, as the sum
/// of the worst cases of what may still be pending when the last fault stops:
///
/// 1. A restarted node whose join requests all fell into a cut or were lost retries
///    `joinRetryMax` later at worst (the backoff's cap), plus a round trip.
/// 2. A live node suspected when the network heals is either refuted (its suspecter pings
///    it with the suspicion first) or declared dead: within `suspicionTimeoutMax(N)`.
/// 3. Live nodes that others hold dead (a cut outlasted the suspicion timeout, or the
///    suspicion of point 2 ran out) are found again when a node sends its periodic
///    push-pull to a member it holds dead, which refutes and answers with its whole view:
///    every node does so once per `pushPullInterval`, so allow two intervals for the
///    first contact and one more for the answer to reach the side that made no attempt.
/// 4. The changes of points 1 to 3 reach every node by gossip, piggybacked on probes:
///    ⌈log2 N⌉ protocol periods, each stretched up to `awarenessMax` times by the local
///    health multiplier of a node that lost many probes, taken twice (a refutation, then
///    the news it causes).
/// 5. Catalogues follow membership: a version announced to a node is pulled at once and
///    retried every `pulls.retryAfter`; one that every announcement missed arrives by the
///    digest anti-entropy, each node to one random live peer every `antiEntropyInterval`,
///    which reaches everyone within ⌈log2 N⌉ + 1 intervals.
///
/// The bound costs nothing in a passing run (the run stops stepping once converged); it
/// only decides when a run that does not converge is reported.
public struct SwarmLivenessBound: Sendable, Equatable {
    public var joinRetry: Duration
    public var suspicion: Duration
    public var deadMemberContact: Duration
    public var membershipDissemination: Duration
    public var catalogueDissemination: Duration

    public init(settings: SimulationSettings, nodeCount: Int) {
        let swim = settings.swim
        let rounds = max(1, ceilLog2(nodeCount))
        let roundTrip = settings.profile.maximumDelay * 2
        joinRetry = swim.joinRetryMax + roundTrip
        suspicion = swim.suspicionTimeoutMax(memberCount: nodeCount)
        deadMemberContact = swim.pushPullInterval * 3
        membershipDissemination = swim.probeInterval * (swim.awarenessMax * rounds * 2)
        catalogueDissemination = settings.catalogues.antiEntropyInterval * (rounds + 1) + settings.catalogues.pulls.retryAfter * settings.catalogues.pulls.maxAttempts
    }

    public var total: Duration { joinRetry + suspicion + deadMemberContact + membershipDissemination + catalogueDissemination }

    /// The terms, for the report: `joinRetry 60 s + suspicion 35 s + ...`.
    public var terms: String {
        [("join retry", joinRetry), ("suspicion", suspicion), ("dead-member contact", deadMemberContact), ("membership gossip", membershipDissemination),
         ("catalogue anti-entropy", catalogueDissemination)]
            .map { "\($0.0) \(SVGChart.format(($0.1.secondsValue * 10).rounded() / 10)) s" }.joined(separator: " + ")
    }
}

/// ⌈log2 n⌉ for n ≥ 1.
func ceilLog2(_ n: Int) -> Int {
    var rounds = 0
    while (1 << rounds) < n { rounds += 1 }
    return rounds
}
