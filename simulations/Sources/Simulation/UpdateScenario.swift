import Foundation

/// One node publishes a new catalogue version into a formed mesh: gossip rounds until
/// 99%, 99.9% and 100% of the nodes hold it, once per loss level, with the share of nodes
/// holding it after each round. The version spreads as gossiped news that each node pulls
/// from its announcer; digest anti-entropy repairs what the gossip misses. Replays of the old version are offered and must be refused.
enum UpdateScenario {
    static func run(_ options: ScenarioOptions) throws -> ScenarioResult {
        var result = ScenarioResult(scenario: "update", nodes: options.nodes, seed: options.seed)
        let round = options.settings.swim.gossipInterval
        for lossRate in options.lossRates {
            let label = "loss \(Int((lossRate * 100).rounded()))%"
            let progress = Progress(label: "update N=\(options.nodes) \(label)", enabled: options.showProgress)
            defer { progress.finish() }
            let simulator = try Simulator(nodeCount: options.nodes, seed: options.seed, settings: options.settings)
            guard try MeshFormation.form(simulator, result: &result, progress: progress) != nil else {
                result.absorb(simulator, label: label)
                continue
            }
            simulator.apply(.setLossRate(lossRate))
            let publisher = simulator.draw(below: options.nodes)
            try simulator.publish(publisher)
            let version = simulator.nodes[publisher].ownCatalogue!.version
            let published = simulator.now
            var curve = ConvergenceCurve()
            let bound = options.duration ?? .seconds(300)
            while simulator.now - published <= bound {
                let share = simulator.shareHolding(owner: publisher, version: version)
                curve.sample(simulator.now - published, share)
                if share == 1 { break }
                simulator.run(until: simulator.now + round)
                progress.update(simulator.now, String(format: "holding %.1f%%", share * 100))
            }
            try simulator.injectForgeries()
            for (levelLabel, level) in convergenceLevels {
                let time = curve.time(toReach: level)
                result.add("\(label): \(levelLabel) rounds", time.map { $0.secondsValue / round.secondsValue }, "rounds")
            }
            result.add("\(label): 100% seconds", curve.time(toReach: 1).map(\.secondsValue), "s")
            result.series.append(curve.series(name: "\(label), N=\(options.nodes)", unit: round, xLabel: "gossip rounds since publication"))
            simulator.apply(.healAll)
            _ = MeshFormation.checkLiveness(simulator, result: &result, bound: .seconds(120), progress: progress, label: label)
            result.add("\(label): stale offers refused", Double(simulator.staleRejections), "offers")
            JoinScenario.addSafetyFigures(simulator, to: &result)
            result.absorb(simulator, label: label)
        }
        return result
    }
}
