import Foundation

/// How every scenario starts: nodes 0, 1 and 2 are the seeds and start together; every
/// other node starts at a random time within `spread` and joins through the three seeds.
enum MeshFormation {
    static let seedCount = 3

    /// Starts all nodes (stepping the clock) and returns the time the last one started.
    static func startAll(_ simulator: Simulator, spread: Duration, progress: Progress?) throws -> Duration {
        let count = simulator.nodes.count
        let seeds = Array(0..<min(seedCount, count))
        var starts: [(Duration, Int)] = []
        for node in 0..<count {
            let time: Duration = node < seeds.count ? .zero : .nanoseconds(Int64(simulator.drawUnit() * Double(spread.nanosecondsCount)))
            starts.append((time, node))
        }
        starts.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
        var last = Duration.zero
        for (time, node) in starts {
            simulator.run(until: time)
            progress?.update(time, "starting nodes")
            try simulator.start(node, seeds: seeds)
            last = time
        }
        return last
    }

    /// Starts all nodes and runs until the mesh has converged; records a liveness failure
    /// in `result` when it does not within `bound`.
    static func form(_ simulator: Simulator, result: inout ScenarioResult, progress: Progress?, bound: Duration = .seconds(600)) throws -> Duration? {
        _ = try startAll(simulator, spread: .seconds(5), progress: progress)
        let took = simulator.runUntilConverged(bound: bound, progress: progress)
        if took == nil {
            result.livenessFailures.append("the mesh did not form within \(bound): \(simulator.convergenceProblems(limit: 3).joined(separator: "; "))")
        }
        return took
    }

    /// The liveness phase: faults have stopped; every live node must converge within `bound`.
    static func checkLiveness(_ simulator: Simulator, result: inout ScenarioResult, bound: Duration, progress: Progress?, label: String = "") -> Duration? {
        let took = simulator.runUntilConverged(bound: bound, progress: progress)
        let problems = simulator.convergenceProblems()
        let prefix = label.isEmpty ? "" : "[\(label)] "
        if took == nil || !problems.isEmpty {
            result.livenessFailures.append(prefix + "no convergence within \(bound) after faults stopped: " + problems.prefix(5).joined(separator: "; "))
        }
        return took
    }
}
