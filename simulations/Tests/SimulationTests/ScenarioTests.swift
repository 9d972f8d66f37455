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
        // Violations cover: forged plans accepted, cells of 0 < subjects < K released, results
        // differing from the oracle (over the nodes that answered, or over all targets when the
        // coverage is complete), an origin holding both secrets of a node, and a holder
        // revealing twice. Liveness covers the WAN phase without faults: every result, masked
        // or in the plaintext tree, complete and exact, and no unmasking error.
        Self.check(result)
        #expect((result.metric("churn, LAN: queries released") ?? 0) >= 25)
        #expect((result.metric("crashes and restarts") ?? 0) >= 1)
        let forged = result.metric("forged plans offered") ?? 0
        #expect(forged >= 4)
        #expect(result.metric("forged plans refused") == forged)
        for label in ["no faults, WAN, masked", "no faults, WAN, plaintext tree"] {
            #expect((result.metric("\(label): queries released") ?? 0) >= 5)
            #expect(result.metric("\(label): share complete") == 1)
            #expect(result.metric("\(label): share exact") == 1)
        }
        #expect(result.metric("no faults, WAN, masked: queries ended by an unmasking error") == 0)
        // At least 10 ms one way: one traversal of the tree takes 20 ms, a masked query two.
        #expect((result.metric("no faults, WAN, plaintext tree: latency p50") ?? 0) > 2 * 10)
        #expect((result.metric("no faults, WAN, masked: latency p50") ?? 0) > 2 * 2 * 10)
        // Masking costs bytes: shares travel up and back down.
        #expect(
            (result.metric("no faults, WAN, masked: bytes per node per query (sent + received), mean") ?? 0)
                > (result.metric("no faults, WAN, plaintext tree: bytes per node per query (sent + received), mean") ?? .infinity))
    }

    /// Secure aggregation under crashes: nodes crash during the rounds (their subtrees are
    /// asked directly, they drop, and once restarted they hold no plan to reveal for), and
    /// two responders crash just as an unmasking round starts after drops, so that their
    /// pairwise seeds with the dropped nodes are lost: those queries must end with an
    /// unmasking error, never with a table.
    @Test func maskedQueriesUnderCrashesHoldTheInvariants() throws {
        var options = ScenarioOptions(nodes: 30, seed: 17, duration: .seconds(20))
        options.queryCrashCount = 4
        options.queryCrashesBetweenRounds = 2
        let result = try Scenario.query.run(options)
        Self.check(result)
        #expect(result.metric("crashes and restarts") == 4)
        let crashedBetween = result.metric("responders crashed as the unmasking round started") ?? 0
        #expect(crashedBetween == 2)
        #expect((result.metric("churn, LAN: pairwise seeds of dropped nodes among them") ?? 0) > 0)
        // The origins opened reveals and found no node whose both secrets they held, and no
        // holder revealed twice, though each was offered a second request after revealing.
        #expect((result.metric("churn, LAN: reveals opened and checked at the origins") ?? 0) > 100)
        #expect(result.metric("churn, LAN: nodes whose both secrets an origin held") == 0)
        #expect(result.metric("churn, LAN: holders that revealed twice for a query") == 0)
        let second = result.metric("second unmasking requests offered to holders that revealed") ?? 0
        #expect(second >= 10)
        #expect(result.metric("second unmasking requests refused") == second)
        // Every query is accounted for: released (exact over its responders, else a
        // violation), ended by an unmasking error (never a table), unplanned, or lost with
        // its origin.
        let released = result.metric("churn, LAN: queries released") ?? 0
        let errors = result.metric("churn, LAN: queries ended by an unmasking error") ?? 0
        let unplanned = result.metric("churn, LAN: queries the origin could not plan") ?? 0
        let lost = result.metric("churn, LAN: queries lost with their crashed origin") ?? 0
        #expect(released + errors + unplanned + lost == 20)
        #expect(errors >= crashedBetween)
        #expect(released >= 12)
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
