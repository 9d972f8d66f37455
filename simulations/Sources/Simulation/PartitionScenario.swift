import Foundation

/// A formed mesh splits into two halves (a symmetric cut) for a while, then the cut heals:
/// time until all live nodes hold a single agreeing view again (members and catalogues).
enum PartitionScenario {
    static func run(_ options: ScenarioOptions) throws -> ScenarioResult {
        var result = ScenarioResult(scenario: "partition", nodes: options.nodes, seed: options.seed)
        let progress = Progress(label: "partition N=\(options.nodes)", enabled: options.showProgress)
        defer { progress.finish() }
        let simulator = try Simulator(nodeCount: options.nodes, seed: options.seed, settings: options.settings)
        guard try MeshFormation.form(simulator, result: &result, progress: progress) != nil else {
            result.absorb(simulator)
            return result
        }
        let half = Set((0..<options.nodes).filter { $0 % 2 == 0 })
        let duration = options.duration ?? .seconds(20)
        simulator.apply(.partition(id: 1, Partition(side: half, symmetric: true)))
        // One side publishes during the cut, so catalogue views diverge too.
        try simulator.publish(0)
        let cutAt = simulator.now
        while simulator.now - cutAt < duration {
            simulator.run(until: simulator.now + .seconds(1))
            progress.update(simulator.now, "cut")
        }
        let deaths = simulator.falsePositiveDeaths.count
        simulator.apply(.heal(id: 1))
        let bound = Duration.seconds(300)
        let took = MeshFormation.checkLiveness(simulator, result: &result, bound: bound, progress: progress)
        result.add("cut duration", duration.secondsValue, "s")
        result.add("live nodes declared dead during the cut", Double(deaths), "events")
        result.add("time to a single agreeing view after healing", took?.secondsValue, "s")
        result.add("forged catalogues offered", Double(simulator.injectedOffers), "offers")
        result.absorb(simulator)
        return result
    }
}
