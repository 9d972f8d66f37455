import MeshCore
import Testing

@testable import Simulation

/// The query latency goal is measured against each query's critical path: the length must
/// be the slowest chain of actual delays and local steps, and no query can beat it.
@Suite struct CriticalPathTests {
    @Test func theSlowestChainOfDelaysAndStepsIsTheLength() {
        // 0 → 1 → 3 and 0 → 2; node 3's chain is the slowest.
        var path = QueryCriticalPath()
        path.used(from: 0, to: 1, delay: .milliseconds(10))
        path.used(from: 0, to: 2, delay: .milliseconds(50))
        path.used(from: 1, to: 3, delay: .milliseconds(30))
        for node in 0..<4 { path.stepped(at: node, duration: .milliseconds(2)) }
        path.used(from: 3, to: 1, delay: .milliseconds(40))
        path.used(from: 1, to: 0, delay: .milliseconds(5))
        path.used(from: 2, to: 0, delay: .milliseconds(20))
        // Through 1 and 3: 10 + (30 + 2 + 40) + 5 = 87 ms; through 2: 50 + 2 + 20 = 72 ms.
        #expect(path.length(from: 0) == .milliseconds(87))
    }

    @Test func aReplyNeverUsedDoesNotCount() {
        var path = QueryCriticalPath()
        path.used(from: 0, to: 1, delay: .milliseconds(10))
        path.used(from: 0, to: 2, delay: .milliseconds(500))
        path.stepped(at: 0, duration: .milliseconds(2))
        path.stepped(at: 1, duration: .milliseconds(2))
        path.used(from: 1, to: 0, delay: .milliseconds(10))
        // Node 2 never answered in time: only the origin's step and node 1 count.
        #expect(path.length(from: 0) == .milliseconds(22))
        // A second copy of a message keeps the first copy's delay.
        path.used(from: 1, to: 0, delay: .milliseconds(90))
        #expect(path.length(from: 0) == .milliseconds(22))
    }

    @Test func wanQueriesStayWithinTheirCriticalPath() throws {
        let result = try Scenario.query.run(ScenarioOptions(nodes: 20, seed: 21, duration: .seconds(10)))
        for label in [QueryScenario.maskedWAN, QueryScenario.plaintextWAN] {
            let low = try #require(result.metric("\(label): latency / critical path p50"))
            let high = try #require(result.metric("\(label): latency / critical path max"))
            // The latency cannot beat the slowest path it waited for, and the goal allows 20%.
            #expect(low >= 1 - 1e-9)
            #expect(high <= QueryScenario.criticalPathAllowance)
            #expect(result.metric("\(label): share within \(QueryScenario.boundText)") == 1)
        }
    }

    @Test func fixedRateTrafficIsMeasuredAfterTheLossyPhase() throws {
        let result = try Scenario.lossy.run(ScenarioOptions(nodes: 20, seed: 22, duration: .seconds(60)))
        #expect(result.livenessFailures.isEmpty)
        let rate = try #require(result.metric("fixed rate: catalogue updates per second, whole mesh"))
        #expect(abs(rate - FixedRateTraffic.updatesPerSecond) < 1e-9)
        let perUpdate = try #require(result.metric("fixed rate: gossip messages per node per update"))
        let limit = try #require(result.metric("fixed rate: transmissions per rumour, λ·⌈log10(N + 1)⌉"))
        // Each node gossips each announcement about λ·⌈log10(N + 1)⌉ times (the last
        // round may end early when the fanout exceeds what is left to send).
        #expect(perUpdate > limit / 2 && perUpdate < limit * 1.5)
        #expect((result.metric("suspicions of healthy nodes per node-hour") ?? -1) >= 0)
    }
}
