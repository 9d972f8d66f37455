import Gossip
import MeshCore
import Simulation
import Testing

/// The 30-node scenarios with fixed seeds: safety invariants, convergence, and bounds.
@Suite struct ScenarioTests {
    static func check(_ result: ScenarioResult) {
        #expect(result.violations.isEmpty, "safety violated; replay with \(result.replayCommand): \(result.violations)")
        #expect(result.livenessFailures.isEmpty, "no convergence; replay with \(result.replayCommand): \(result.livenessFailures)")
    }

    @Test func joinConvergesAndRefusesForgeries() throws {
        let result = try Scenario.join.run(ScenarioOptions(nodes: 30, seed: 11))
        Self.check(result)
        #expect((result.metric("members 100%: probe periods") ?? .infinity) <= 30)
        #expect((result.metric("catalogues 100%: gossip rounds") ?? .infinity) <= 60)
        let offered = result.metric("forged catalogues offered") ?? 0
        #expect(offered >= 3)
        #expect(result.metric("forged catalogues refused") == offered)
    }

    @Test func updateSpreadsAtEachLossLevel() throws {
        var options = ScenarioOptions(nodes: 30, seed: 12)
        options.lossRates = [0, 0.2]
        let result = try Scenario.update.run(options)
        Self.check(result)
        // Gossiped news reaches everyone within a few gossip rounds without loss, and within
        // one digest anti-entropy interval (10 s) at 20% loss, lost pulls being retried from
        // other announcers.
        #expect((result.metric("loss 0%: 100% rounds") ?? .infinity) <= 10)
        #expect((result.metric("loss 20%: 100% seconds") ?? .infinity) <= 10)
    }

    @Test func crashIsDetectedEverywhereWithoutFalsePositives() throws {
        let result = try Scenario.crash.run(ScenarioOptions(nodes: 30, seed: 13))
        Self.check(result)
        let settings = SWIMSettings()
        let bound = settings.probeInterval * 59 + settings.suspicionTimeoutMax(memberCount: 30) + settings.probeInterval * 10
        #expect((result.metric("dead everywhere: seconds") ?? .infinity) <= bound.secondsValue)
        #expect(result.metric("false positive deaths") == 0)
    }

    @Test func lossyShortRunKeepsHealthyNodesAlive() throws {
        let result = try Scenario.lossy.run(ScenarioOptions(nodes: 30, seed: 14, duration: .seconds(120)))
        Self.check(result)
        #expect(result.metric("false positive deaths") == 0)
        #expect((result.metric("membership messages per node per second") ?? 0) > 1)
    }

    @Test func partitionHealsToOneView() throws {
        let result = try Scenario.partition.run(ScenarioOptions(nodes: 30, seed: 15, duration: .seconds(15)))
        Self.check(result)
    }

    @Test func queriesUnderChurnAreSafeAndExactWithoutFaults() throws {
        let result = try Scenario.query.run(ScenarioOptions(nodes: 30, seed: 16, duration: .seconds(30)))
        // Violations cover: forged plans accepted, cells of 0 < subjects < K released, and
        // results differing from the oracle (over the nodes that answered, or over all
        // targets when the coverage is complete). Liveness covers the WAN phase without
        // faults: every result complete and exact.
        Self.check(result)
        #expect((result.metric("churn, LAN: queries released") ?? 0) >= 25)
        #expect((result.metric("crashes and restarts") ?? 0) >= 1)
        let forged = result.metric("forged plans offered") ?? 0
        #expect(forged >= 4)
        #expect(result.metric("forged plans refused") == forged)
        #expect((result.metric("no faults, WAN: queries released") ?? 0) >= 5)
        #expect(result.metric("no faults, WAN: share complete") == 1)
        #expect(result.metric("no faults, WAN: share exact") == 1)
        #expect((result.metric("no faults, WAN: latency p50") ?? 0) > 2 * 10)
    }

    @Test func aSeedReplaysExactlyAndAnotherSeedDiffers() throws {
        let first = try Scenario.crash.run(ScenarioOptions(nodes: 30, seed: 21))
        let again = try Scenario.crash.run(ScenarioOptions(nodes: 30, seed: 21))
        let other = try Scenario.crash.run(ScenarioOptions(nodes: 30, seed: 22))
        #expect(first.eventCount > 100)
        #expect(first.eventLogDigest == again.eventLogDigest)
        #expect(first.eventCount == again.eventCount)
        #expect(first.eventLogDigest != other.eventLogDigest)
    }
}
