import Foundation
import Gossip
import MeshCore

/// What a swarm run takes besides its seed.
public struct SwarmOptions {
    public var nodeCount: Int
    public var settings = SimulationSettings()
    /// Masked queries submitted once the mesh has converged after the faults, one a second.
    public var queriesAfterFaults = 3
    /// Masked queries spread over the fault phase when no node crashes in it (the query
    /// shell's state of a node is dropped only by the query scenario's own crashes).
    public var queriesDuringFaults = 3
    /// Replaces the derived ``SwarmLivenessBound`` (tests that show a failure is reported).
    public var livenessBoundOverride: Duration?
    /// Called once the mesh has formed, before the first fault (tests that plant a fault of
    /// their own).
    public var afterFormation: ((Simulator) -> Void)?

    public init(nodeCount: Int) {
        self.nodeCount = nodeCount
    }
}

/// One swarm run: a mesh forms, the faults drawn from the seed strike (several kinds at
/// once, each in its own window), then all stop and the run continues until every live node
/// agrees on the live members and holds every live node's newest catalogue, or the liveness
/// bound passes. Safety is checked throughout: by the simulator on every catalogue accepted,
/// by ``SwarmSafetyWatch`` every step, and by the query shell on every released table.
/// Queries run on a few occasions: during the fault phase when no node crashes, and after
/// convergence, when every result must be exact over its responders and its coverage must
/// name exactly the nodes that stayed down.
public enum SwarmRun {
    /// How often the run checks the watch while faults are in force, and convergence after.
    static let checkInterval: Duration = .seconds(1)
    static let convergenceStep: Duration = .milliseconds(250)
    static let queryTimeoutMilliseconds: Int64 = 5_000
    /// Quiet time after convergence before the queries, so that queries of the fault phase
    /// (each at most its timeout and an unmasking round) are over.
    static let settleBeforeQueries: Duration = .seconds(10)

    public static func run(seed: UInt64, options: SwarmOptions, mix drawn: SwarmFaultMix? = nil) throws -> SwarmOutcome {
        let started = Date()
        let mix = drawn ?? SwarmFaultMix.draw(seed: seed, nodeCount: options.nodeCount)
        let bound = options.livenessBoundOverride ?? SwarmLivenessBound(settings: options.settings, nodeCount: options.nodeCount).total
        var outcome = SwarmOutcome(seed: seed, nodeCount: options.nodeCount, mix: mix, livenessBound: bound)
        var result = ScenarioResult(scenario: "swarm", nodes: options.nodeCount, seed: seed)

        let federation = try SimulatedFederation(nodeCount: options.nodeCount)
        let simulator = try Simulator(nodeCount: options.nodeCount, seed: seed, settings: options.settings, federation: federation)
        let queries = QueryMesh(simulator, federation: federation)
        let watch = SwarmSafetyWatch(simulator)
        func finish() -> SwarmOutcome {
            result.absorb(simulator)
            outcome.violations = result.violations + watch.violations
            if watch.unlistedViolations > 0 { outcome.violations.append("and \(watch.unlistedViolations) more broken rules") }
            outcome.livenessFailures = result.livenessFailures
            outcome.eventLogDigest = result.eventLogDigest
            outcome.queriesReleased = queries.records.count
            outcome.wallSeconds = Date().timeIntervalSince(started)
            return outcome
        }

        guard try MeshFormation.form(simulator, result: &result, progress: nil) != nil else { return finish() }
        options.afterFormation?(simulator)
        let start = simulator.now
        simulator.log.append(start, "swarm mix \(mix.shortForm)")
        simulator.schedule(mix.faultSchedule(startingAt: start))
        let seeds = Array(0..<MeshFormation.seedCount)
        for crash in mix.crashes {
            guard let restartAt = crash.restartAt else { continue }
            simulator.after(restartAt) { [unowned simulator] in
                do {
                    try simulator.restart(crash.node, seeds: seeds)
                } catch {
                    simulator.recordViolation("node \(crash.node) could not restart: \(error)")
                }
            }
        }
        for publication in mix.publications {
            simulator.after(publication.at) { [unowned simulator] in
                guard simulator.nodes[publication.node].isUp else { return }
                do {
                    try simulator.publish(publication.node)
                } catch {
                    simulator.recordViolation("node \(publication.node) could not publish: \(error)")
                }
            }
        }
        if mix.crashes.isEmpty, options.queriesDuringFaults > 0 {
            queries.scheduleQueries(
                every: mix.faultPhase / options.queriesDuringFaults, over: mix.faultPhase - .milliseconds(1), timeoutMilliseconds: queryTimeoutMilliseconds)
        }

        // The fault phase, then the faults have stopped.
        let end = start + mix.faultPhase
        while simulator.now < end {
            simulator.run(until: min(end, simulator.now + checkInterval))
            watch.check()
        }
        let quiet = simulator.now
        while simulator.now - quiet <= bound {
            if simulator.seemsConverged(), simulator.convergenceProblems(limit: 1).isEmpty {
                outcome.convergedAfter = simulator.now - quiet
                break
            }
            simulator.run(until: simulator.now + convergenceStep)
            watch.check()
        }
        guard outcome.convergedAfter != nil else {
            result.livenessFailures.append(
                "no convergence within \(SVGChart.format(bound.secondsValue)) s after the faults stopped: "
                    + simulator.convergenceProblems(limit: 8).joined(separator: "; "))
            return finish()
        }
        checkQueriesAfterConvergence(queries, simulator: simulator, mix: mix, count: options.queriesAfterFaults, result: &result)
        watch.check()
        return finish()
    }

    /// Queries on the converged mesh: each must be released, complete when no node stayed
    /// down, and otherwise name exactly the nodes that stayed down as not answered (the
    /// query shell itself checks every table against the oracle over its responders).
    private static func checkQueriesAfterConvergence(_ queries: QueryMesh, simulator: Simulator, mix: SwarmFaultMix, count: Int, result: inout ScenarioResult) {
        guard count > 0 else { return }
        simulator.run(until: simulator.now + settleBeforeQueries)
        let recordsBefore = queries.records.count
        let planningBefore = queries.planningFailures.count
        let unmaskBefore = queries.unmaskFailures.count
        queries.scheduleQueries(every: .seconds(1), over: .seconds(Int64(count)), timeoutMilliseconds: queryTimeoutMilliseconds)
        simulator.run(until: simulator.now + .seconds(Int64(count)) + .milliseconds(queryTimeoutMilliseconds) * 2)
        let down = mix.crashedForGood.count
        let released = queries.records.dropFirst(recordsBefore)
        for failure in queries.planningFailures.dropFirst(planningBefore) { result.livenessFailures.append("after convergence: \(failure.text)") }
        for failure in queries.unmaskFailures.dropFirst(unmaskBefore) { result.livenessFailures.append("after convergence: \(failure)") }
        if released.count != count {
            result.livenessFailures.append("after convergence: \(released.count) of \(count) queries released")
        }
        let expectedMissing = "\(down) nodes not answered (timed out 0, failed \(down), refused 0)"
        for record in released where record.complete != (down == 0) || record.missing != expectedMissing {
            result.livenessFailures.append(
                "after convergence: query \(record.queryID) from node \(record.origin) was \(record.complete ? "complete" : "incomplete"), \(record.missing); expected \(down == 0 ? "complete" : expectedMissing) with nodes \(mix.crashedForGood.sorted()) down"
            )
        }
    }
}
