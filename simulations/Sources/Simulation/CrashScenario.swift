import Foundation
import Gossip

/// Nodes of a formed mesh crash one after another (`crashCount`, each once the previous one
/// is dead everywhere): time until the first node suspects each and until every live node
/// has marked it dead, averaged and at worst, and healthy nodes wrongly declared dead.
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
        let settings = options.settings.swim
        let probe = settings.probeInterval.secondsValue
        // Round-robin probing reaches a victim within 2N - 1 periods in the worst case
        // (SWIM §4.3); on average within about one. The suspicion then lasts at most the
        // maximum timeout, and the rumour spreads in O(log N) periods.
        let suspicionMax = settings.suspicionTimeoutMax(memberCount: options.nodes)
        let bound = options.duration ?? (settings.probeInterval * (2 * options.nodes) + suspicionMax + settings.probeInterval * 20)
        var suspicions: [Double] = []
        var deaths: [Double] = []
        var crashed: Set<Int> = []
        for crash in 0..<options.crashCount {
            var victim = simulator.draw(below: options.nodes)
            while crashed.contains(victim) { victim = simulator.draw(below: options.nodes) }
            crashed.insert(victim)
            let victimID = simulator.nodes[victim].id
            let crashedAt = simulator.now
            var firstSuspicion: Duration?
            var deadAt: Set<Int> = []
            var allDead: Duration?
            let observers = options.nodes - crashed.count
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
            while simulator.now - crashedAt <= bound, allDead == nil {
                simulator.run(until: simulator.now + .milliseconds(100))
                progress.update(simulator.now, "crash \(crash + 1)/\(options.crashCount): \(deadAt.count)/\(observers) see it dead")
            }
            simulator.onMembershipEvent = nil
            if let firstSuspicion { suspicions.append(firstSuspicion.secondsValue) }
            if let allDead {
                deaths.append(allDead.secondsValue)
            } else {
                result.livenessFailures.append("only \(deadAt.count) of \(observers) nodes marked the crashed node \(victim) dead within \(bound)")
                break
            }
            // The next crash starts from a quiet mesh: the rumours of this one are spent.
            simulator.run(until: simulator.now + settings.probeInterval * 5)
        }
        func mean(_ values: [Double]) -> Double? { values.isEmpty ? nil : values.reduce(0, +) / Double(values.count) }
        result.add("crashes", Double(crashed.count), "nodes")
        result.add("first suspicion: probe periods", mean(suspicions).map { $0 / probe }, "periods")
        result.add("first suspicion: probe periods, largest", suspicions.max().map { $0 / probe }, "periods")
        result.add("dead everywhere: seconds", deaths.max(), "s")
        result.add("dead everywhere: seconds, mean", mean(deaths), "s")
        result.add("suspicion timeout minimum", settings.suspicionTimeoutMin(memberCount: options.nodes).secondsValue, "s")
        result.add("suspicion timeout maximum", suspicionMax.secondsValue, "s")
        _ = MeshFormation.checkLiveness(simulator, result: &result, bound: .seconds(120), progress: progress)
        JoinScenario.addSafetyFigures(simulator, to: &result)
        result.absorb(simulator)
        return result
    }
}
