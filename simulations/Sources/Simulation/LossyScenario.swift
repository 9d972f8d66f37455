import Foundation
import Gossip

/// A formed mesh runs for a long while (one simulated hour by default) at 5% loss with 5%
/// of the nodes slow: healthy nodes declared dead or suspected, and what each node sends per
/// second, with probes, gossip rounds and anti-entropy counted apart. Once the faults stop
/// and the mesh has converged, the traffic is measured again at a fixed mesh-wide event
/// rate (``FixedRateTraffic``), the fair comparison across mesh sizes.
enum LossyScenario {
    static let lossRate = 0.05
    static let slowShare = 0.05
    static let slowDelayMax: Duration = .milliseconds(400)

    static func run(_ options: ScenarioOptions) throws -> ScenarioResult {
        var result = ScenarioResult(scenario: "lossy", nodes: options.nodes, seed: options.seed)
        let progress = Progress(label: "lossy N=\(options.nodes)", enabled: options.showProgress)
        defer { progress.finish() }
        let simulator = try Simulator(nodeCount: options.nodes, seed: options.seed, settings: options.settings)
        guard try MeshFormation.form(simulator, result: &result, progress: progress) != nil else {
            result.absorb(simulator)
            return result
        }
        // Every observer reports each suspicion it hears of; one suspicion of a member at
        // one incarnation is one false suspicion, however far it spreads.
        var suspicionsOfHealthy = 0
        var distinctSuspicions: Set<SuspicionKey> = []
        simulator.onMembershipEvent = { _, _, event in
            if case .suspected(let member) = event, let index = simulator.index(of: member.nodeID), simulator.nodes[index].isUp {
                suspicionsOfHealthy += 1
                distinctSuspicions.insert(SuspicionKey(node: index, generation: simulator.nodes[index].generation, incarnation: member.status.incarnation))
            }
        }
        let slowCount = max(1, Int((Double(options.nodes) * slowShare).rounded()))
        var slow: [Int: Duration] = [:]
        while slow.count < slowCount { slow[simulator.draw(below: options.nodes)] = slowDelayMax }
        let falseBefore = simulator.falsePositiveDeaths.count
        simulator.apply(.setLossRate(lossRate))
        simulator.apply(.setSlowNodes(slow))
        simulator.traffic.reset()
        let start = simulator.now
        let wallStart = Date()
        let duration = options.duration ?? .seconds(3600)
        while simulator.now - start < duration {
            simulator.run(until: min(start + duration, simulator.now + .seconds(1)))
            progress.update(simulator.now, "false positives \(simulator.falsePositiveDeaths.count - falseBefore)")
        }
        let seconds = duration.secondsValue
        let wallPerHour = Date().timeIntervalSince(wallStart) / seconds * 3600
        let traffic = simulator.traffic
        let count = Double(options.nodes)
        result.add("measured duration", seconds, "s")
        result.add("wall seconds per simulated hour", wallPerHour, "s")
        result.add("false positive deaths", Double(simulator.falsePositiveDeaths.count - falseBefore), "events")
        result.add("suspicions of healthy nodes", Double(suspicionsOfHealthy), "events")
        result.add("distinct suspicions of healthy nodes", Double(distinctSuspicions.count), "suspicions")
        result.add("suspicions of healthy nodes per node-hour", Double(distinctSuspicions.count) / count / (seconds / 3600), "per node-hour")
        for kind in [TrafficCounter.Kind.membership, .gossip, .antiEntropy] {
            result.add("\(kind.name) messages per node per second", Double(traffic.totalMessages(kind)) / count / seconds, "msg/s")
            result.add("\(kind.name) bytes per node per second", Double(traffic.totalBytes(kind)) / count / seconds, "B/s")
        }
        let everyMessage = traffic.totalMessages(.membership) + traffic.totalMessages(.gossip)
        let everyByte = traffic.totalBytes(.membership) + traffic.totalBytes(.gossip)
        result.add("membership and gossip messages per node per second", Double(everyMessage) / count / seconds, "msg/s")
        result.add("membership and gossip bytes per node per second", Double(everyByte) / count / seconds, "B/s")
        let perNode = traffic.bytes[TrafficCounter.Kind.membership.rawValue].map { Double($0) / seconds }.sorted()
        result.add("membership bytes per second, busiest node", perNode.last, "B/s")
        simulator.onMembershipEvent = nil
        simulator.apply(.healAll)
        if MeshFormation.checkLiveness(simulator, result: &result, bound: .seconds(180), progress: progress) != nil {
            try FixedRateTraffic.measure(simulator, result: &result, progress: progress)
        }
        result.add("slow nodes", Double(slowCount), "nodes")
        result.add("forged catalogues offered", Double(simulator.injectedOffers), "offers")
        result.absorb(simulator)
        return result
    }

    /// One suspicion: of which process of which node, at which incarnation.
    struct SuspicionKey: Hashable {
        var node: Int
        var generation: Int
        var incarnation: UInt64
    }
}
