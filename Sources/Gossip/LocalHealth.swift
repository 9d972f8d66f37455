/// Lifeguard's local health multiplier ("awareness" in memberlist), Lifeguard §IV.A.
///
/// A node that misses acks may be the slow one (CPU starved, lossy link) rather than its
/// targets. Instead of declaring others failed, it raises its score and stretches its own
/// probe interval and ping timeout by `score + 1`, so a slow node produces fewer false
/// suspicions. Evidence, from §IV.A:
/// - a probe answered by an ack: -1 (the node is healthy);
/// - a failed probe: +1 per nack that should have come back but did not (intermediaries
///   answer with a nack when they too cannot reach the target, so a missing nack points at
///   us); +1 when no intermediary was asked;
/// - having to refute a suspicion about ourselves: +1 (others could not hear from us in time).
struct LocalHealth: Sendable, Equatable {
    /// The multiplier ranges over `1 ... maximumMultiplier`.
    let maximumMultiplier: Int
    /// 0 is healthy; at most `maximumMultiplier - 1`.
    private(set) var score: Int = 0

    init(maximumMultiplier: Int) {
        precondition(maximumMultiplier >= 1, "awarenessMax must be at least 1, got \(maximumMultiplier)")
        self.maximumMultiplier = maximumMultiplier
    }

    mutating func apply(delta: Int) {
        score = min(max(0, score + delta), maximumMultiplier - 1)
    }

    var multiplier: Int { score + 1 }

    func scale(_ duration: Duration) -> Duration { duration * multiplier }
}
