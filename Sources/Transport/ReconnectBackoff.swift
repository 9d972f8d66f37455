import MeshCore

/// Exponential backoff with jitter for redialing a peer: `initial * 2^attempt`, capped at
/// the maximum, times a random factor in `[1 - jitter, 1 + jitter]`. Randomness is an input,
/// so a seeded generator replays the same delays.
public struct ReconnectBackoff: Sendable {
    public let initial: Duration
    public let maximum: Duration
    public let jitterFraction: Double

    public init(initial: Duration, maximum: Duration, jitterFraction: Double) {
        precondition(initial > .zero && maximum >= initial, "backoff needs 0 < initial <= maximum")
        precondition((0.0..<1.0).contains(jitterFraction), "jitter must be in [0, 1)")
        self.initial = initial
        self.maximum = maximum
        self.jitterFraction = jitterFraction
    }

    /// The delay before attempt `attempt + 1`, where `attempt` counts failures so far (from 0).
    public func delay(afterFailures attempt: Int, random: inout some RandomNumberGenerator) -> Duration {
        let base = initial * Double(1 << min(max(attempt, 0), 30))
        let capped = min(base, maximum)
        let factor = jitterFraction == 0 ? 1.0 : Double.random(in: (1 - jitterFraction)...(1 + jitterFraction), using: &random)
        return capped * factor
    }
}
