import Foundation
import Gossip

/// A node of a formed mesh crashes: time until the first node suspects it and until every
/// live node has marked it dead, and healthy nodes wrongly declared dead.
enum CrashScenario {
    static func run(_ options: ScenarioOptions) throws -> ScenarioResult {
        var result = ScenarioResult(scenario: "crash", nodes: options.nodes, seed: options.seed)
        let progress = Progress(label: "crash N=\(options.nodes)", enabled: options.showProgress)
        defer { progress.finish() }
        let simulator = try Simulator(nodeCount: options.nodes, seed: options.seed, settings: options.settings)
        guard try MeshFormation.form(simulator, result: &result, progress: progress) != nil else {
            result.absorb(simulator)
            return result
        }
        let victim = simulator.draw(below: options.nodes)
        let victimID = simulator.nodes[victim].id
        let crashedAt = simulator.now
        var firstSuspicion: Duration?
        var deadAt: Set<Int> = []
        var allDead: Duration?
        let observers = options.nodes - 1
        simulator.onMembershipEvent = { time, observer, event in
            switch event {
            case .suspected(let member) where member.nodeID == victimID:
                if firstSuspicion == nil { firstSuspicion = time - crashedAt }
            case .died(let member) where member.nodeID == victimID:
                deadAt.insert(observer)
                if deadAt.count == observers, allDead == nil { allDead = time - crashedAt }
            default:
                break
            }
        }
        simulator.apply(.crash(node: victim))
        let settings = options.settings.swim
        // Round-robin probing reaches the victim within 2N - 1 periods in the worst case
        // (SWIM §4.3); on average within about one. The suspicion then lasts at most the
        // maximum timeout, and the rumour spreads in O(log N) periods.
        let suspicionMax = settings.suspicionTimeoutMax(memberCount: options.nodes)
        let bound = options.duration ?? (settings.probeInterval * (2 * options.nodes) + suspicionMax + settings.probeInterval * 20)
        while simulator.now - crashedAt <= bound, allDead == nil {
            simulator.run(until: simulator.now + .milliseconds(100))
            progress.update(simulator.now, "\(deadAt.count)/\(observers) see it dead")
        }
        simulator.onMembershipEvent = nil
        let probe = settings.probeInterval.secondsValue
        result.add("first suspicion: seconds", firstSuspicion?.secondsValue, "s")
        result.add("first suspicion: probe periods", firstSuspicion.map { $0.secondsValue / probe }, "periods")
        result.add("dead everywhere: seconds", allDead?.secondsValue, "s")
        result.add("dead everywhere: probe periods", allDead.map { $0.secondsValue / probe }, "periods")
        result.add("suspicion timeout minimum", settings.suspicionTimeoutMin(memberCount: options.nodes).secondsValue, "s")
        result.add("suspicion timeout maximum", suspicionMax.secondsValue, "s")
        if allDead == nil {
            result.livenessFailures.append("only \(deadAt.count) of \(observers) nodes marked the crashed node \(victim) dead within \(bound)")
        }
        _ = MeshFormation.checkLiveness(simulator, result: &result, bound: .seconds(120), progress: progress)
        JoinScenario.addSafetyFigures(simulator, to: &result)
        result.absorb(simulator)
        return result
    }
}
