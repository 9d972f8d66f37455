import Foundation

/// `meshsim swarm`: runs seeds `first`, `first + 1`, ... one swarm run each, printing each
/// run's line as it ends (and, for a failure, what broke and the command that replays it),
/// then a total. Every run is independent, so a failing seed replays alone.
public enum SwarmSeries {
    public struct Totals: Sendable {
        public var runs = 0
        public var failedSeeds: [UInt64] = []
        public var wallSeconds = 0.0
        /// The slowest run to converge after its faults, in virtual seconds.
        public var slowestConvergence = 0.0

        public var line: String {
            let failures = failedSeeds.isEmpty ? "no failure" : "\(failedSeeds.count) failed (seeds \(failedSeeds.map(String.init).joined(separator: " ")))"
            return String(format: "swarm: %d runs, %@; slowest convergence after the faults %.1f s; wall %.1f s", runs, failures, slowestConvergence, wallSeconds)
        }
    }

    public static func run(first: UInt64, runs: Int, options: SwarmOptions, print emit: (String) -> Void = { Swift.print($0) }) throws -> Totals {
        let started = Date()
        var totals = Totals()
        for offset in 0..<UInt64(max(1, runs)) {
            let outcome = try SwarmRun.run(seed: first &+ offset, options: options)
            totals.runs += 1
            if !outcome.passed { totals.failedSeeds.append(outcome.seed) }
            totals.slowestConvergence = max(totals.slowestConvergence, outcome.convergedAfter?.secondsValue ?? 0)
            emit(outcome.report)
        }
        totals.wallSeconds = Date().timeIntervalSince(started)
        emit(totals.line)
        return totals
    }
}
