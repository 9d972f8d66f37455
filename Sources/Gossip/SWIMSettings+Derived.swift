#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Quantities derived from the settings and the cluster size N (live members, self included).
/// Public so that a simulator can assert the bounds the settings imply.
extension SWIMSettings {
    /// How many times each update is piggybacked: `λ · ⌈log10(N + 1)⌉` (SWIM §4.1: an update
    /// piggybacked λ log N times reaches every member with high probability; memberlist
    /// `retransmitLimit`).
    public func retransmitLimit(memberCount: Int) -> Int {
        let scale = Int(ceil(log10(Double(max(0, memberCount) + 1))))
        return retransmitMultiplier * max(1, scale)
    }

    /// The suspicion timeout once enough independent confirmations arrived:
    /// `suspicionMultiplier · max(1, log10 N) · probeInterval` (Lifeguard §IV.B; SWIM §4.2
    /// scales the timeout with log N because dissemination takes O(log N) periods).
    public func suspicionTimeoutMin(memberCount: Int) -> Duration {
        let nodeScale = max(1.0, log10(Double(max(1, memberCount))))
        return probeInterval * (Double(suspicionMultiplier) * nodeScale)
    }

    /// The suspicion timeout with no confirmation: `suspicionMaxMultiplier` times the minimum
    /// (Lifeguard §IV.B).
    public func suspicionTimeoutMax(memberCount: Int) -> Duration {
        suspicionTimeoutMin(memberCount: memberCount) * suspicionMaxMultiplier
    }

    /// How many independent confirmations shrink a suspicion to its minimum timeout:
    /// `suspicionMultiplier - 2`, or none when the cluster is too small to provide them
    /// (memberlist `suspectNode`), so that small clusters do not wait for the maximum.
    public func expectedSuspicionConfirmations(memberCount: Int) -> Int {
        let k = suspicionMultiplier - 2
        return memberCount - 2 < k ? 0 : max(0, k)
    }

    /// How long an intermediary waits for the target of a ping-req before it sends a nack.
    /// Four fifths of the ping timeout, so the nack reaches the origin before its protocol
    /// period (ping timeout plus this wait plus two hops) ends (Lifeguard §IV.A).
    public var relayNackTimeout: Duration { pingTimeout * 4 / 5 }

    /// Wait before join retry `attempt` (1-based): `joinRetryInitial · 2^(attempt-1)`,
    /// capped at `joinRetryMax`.
    public func joinRetryDelay(attempt: Int) -> Duration {
        let exponent = min(max(0, attempt - 1), 30)
        return min(joinRetryInitial * (1 << exponent), joinRetryMax)
    }
}

/// log(x) for the suspicion shrink formula, kept here with the other libm use.
func naturalLog(_ x: Double) -> Double { log(x) }
