import MeshCore

/// A running suspicion of one member at one incarnation, with Lifeguard's dynamic timeout.
///
/// Lifeguard §IV.B ("Dynamic Suspicion Timeouts"): a suspicion starts with a long timeout,
/// which gives a slow but live member time to hear of it and refute, and shrinks as distinct
/// nodes independently suspect the same member, because independent evidence makes a false
/// positive unlikely:
///
///     timeout(c) = max(min, max - (max - min) · log(c + 1) / log(k + 1))
///
/// where c counts confirmations from nodes other than the one that raised the suspicion and
/// k is the number of confirmations expected. The node that raised it is remembered so that
/// it cannot confirm itself; at most k confirmers are kept, so the set is bounded.
struct Suspicion: Sendable, Equatable {
    let incarnation: UInt64
    let startedAt: Duration
    let minTimeout: Duration
    let maxTimeout: Duration
    let expectedConfirmations: Int
    private(set) var confirmers: Set<NodeID>
    private(set) var confirmations: Int = 0

    init(incarnation: UInt64, raisedBy source: NodeID, startedAt: Duration, minTimeout: Duration, maxTimeout: Duration, expectedConfirmations: Int) {
        precondition(minTimeout <= maxTimeout, "suspicion timeouts out of order: min \(minTimeout) > max \(maxTimeout)")
        self.incarnation = incarnation
        self.startedAt = startedAt
        self.minTimeout = minTimeout
        self.maxTimeout = maxTimeout
        self.expectedConfirmations = expectedConfirmations
        self.confirmers = [source]
    }

    /// Counts a confirmation from `node`. Returns whether it was new, i.e. whether the
    /// deadline moved and the confirmation is worth gossiping on.
    mutating func confirm(from node: NodeID) -> Bool {
        guard confirmations < expectedConfirmations, !confirmers.contains(node) else { return false }
        confirmers.insert(node)
        confirmations += 1
        return true
    }

    var timeout: Duration {
        guard expectedConfirmations > 0 else { return minTimeout }
        let fraction = naturalLog(Double(confirmations + 1)) / naturalLog(Double(expectedConfirmations + 1))
        let shrunk = maxTimeout - (maxTimeout - minTimeout) * fraction
        return max(minTimeout, shrunk)
    }

    var deadline: Duration { startedAt + timeout }
}
