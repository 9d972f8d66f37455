import Foundation

/// N nodes join through three seeds: probe periods and virtual seconds until 99%, 99.9% and
/// 100% of the nodes know every member alive and hold every catalogue. Forged catalogues
/// are offered along the way and must all be refused.
enum JoinScenario {
    static func run(_ options: ScenarioOptions) throws -> ScenarioResult {
        var result = ScenarioResult(scenario: "join", nodes: options.nodes, seed: options.seed)
        let progress = Progress(label: "join N=\(options.nodes)", enabled: options.showProgress)
        defer { progress.finish() }
        let simulator = try Simulator(nodeCount: options.nodes, seed: options.seed, settings: options.settings)
        let lastStart = try MeshFormation.startAll(simulator, spread: .seconds(5), progress: progress)
        var members = ConvergenceCurve()
        var catalogues = ConvergenceCurve()
        let bound = options.duration ?? .seconds(600)
        var nextForgery = lastStart + .seconds(2)
        while simulator.now - lastStart <= bound {
            let membersShare = simulator.shareKnowingAllLiveMembers()
            let cataloguesShare = simulator.shareHoldingAllCatalogues()
            members.sample(simulator.now - lastStart, membersShare)
            catalogues.sample(simulator.now - lastStart, cataloguesShare)
            if membersShare == 1, cataloguesShare == 1 { break }
            if simulator.now >= nextForgery {
                try simulator.injectForgeries()
                nextForgery = simulator.now + .seconds(5)
            }
            simulator.run(until: simulator.now + .milliseconds(100))
            progress.update(simulator.now, String(format: "members %.1f%% catalogues %.1f%%", membersShare * 100, cataloguesShare * 100))
        }
        try simulator.injectForgeries()
        let probe = options.settings.swim.probeInterval
        let round = options.settings.swim.gossipInterval
        for (label, level) in convergenceLevels {
            let time = members.time(toReach: level)
            result.add("members \(label): seconds", time?.secondsValue, "s")
            result.add("members \(label): probe periods", time.map { $0.secondsValue / probe.secondsValue }, "periods")
        }
        for (label, level) in convergenceLevels {
            let time = catalogues.time(toReach: level)
            result.add("catalogues \(label): seconds", time?.secondsValue, "s")
            result.add("catalogues \(label): gossip rounds", time.map { $0.secondsValue / round.secondsValue }, "rounds")
        }
        result.series.append(members.series(name: "members known, N=\(options.nodes)", unit: probe, xLabel: "probe periods after the last node started"))
        result.series.append(catalogues.series(name: "catalogues held, N=\(options.nodes)", unit: round, xLabel: "gossip rounds after the last node started"))
        _ = MeshFormation.checkLiveness(simulator, result: &result, bound: .seconds(60), progress: progress)
        addSafetyFigures(simulator, to: &result)
        result.absorb(simulator)
        return result
    }

    static func addSafetyFigures(_ simulator: Simulator, to result: inout ScenarioResult) {
        result.add("forged catalogues offered", Double(simulator.injectedOffers), "offers")
        result.add("forged catalogues refused", Double(simulator.injectedRejections.values.reduce(0, +)), "offers")
        result.add("false positive deaths", Double(simulator.falsePositiveDeaths.count), "events")
    }
}
