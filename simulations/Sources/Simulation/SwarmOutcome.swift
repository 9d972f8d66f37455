import Foundation

/// What one swarm run found: its drawn fault mix, broken safety rules, liveness failures,
/// and the digest of its event log (equal digests: the run replayed exactly).
public struct SwarmOutcome: Sendable {
    public var seed: UInt64
    public var nodeCount: Int
    public var mix: SwarmFaultMix
    public var violations: [String] = []
    public var livenessFailures: [String] = []
    public var eventLogDigest = ""
    /// Virtual time from the end of the fault phase to convergence; nil when not reached.
    public var convergedAfter: Duration?
    public var livenessBound: Duration
    public var queriesReleased = 0
    public var wallSeconds = 0.0

    public var passed: Bool { violations.isEmpty && livenessFailures.isEmpty }

    /// The command that replays this run alone.
    public var replayCommand: String { "meshsim swarm --seed \(seed) --runs 1 --nodes \(nodeCount)" }

    /// One line: seed, mesh size, the mix in short form, the verdict, and the digest.
    public var line: String {
        let verdict = passed ? "ok" : "FAILED"
        let converged = convergedAfter.map { "converged in \(SVGChart.format(($0.secondsValue * 10).rounded() / 10)) s" } ?? "not converged"
        return "swarm seed=\(seed) N=\(nodeCount) \(verdict) [\(mix.shortForm)] \(converged) queries=\(queriesReleased) digest=\(eventLogDigest.prefix(16)) (wall \(String(format: "%.1f", wallSeconds)) s)"
    }

    /// The line, then on failure every finding and the replay command.
    public var report: String {
        guard !passed else { return line }
        return ([line] + violations.map { "  safety: \($0)" } + livenessFailures.map { "  liveness: \($0)" } + ["  replay: \(replayCommand)"]).joined(separator: "\n")
    }
}
