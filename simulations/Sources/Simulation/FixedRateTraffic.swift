import Foundation
import Gossip

/// What each node sends at a fixed mesh-wide event rate: after the faults have stopped,
/// random nodes publish new catalogue versions at the same rate for the whole mesh at every
/// N (no loss, no slow nodes, so nothing else raises rumours), and probes and gossip rounds
/// are counted per node and second.
///
/// Under loss, false suspicions arise per node, so the mesh-wide rate of rumours grows with
/// N and so does each node's share of spreading them; a per-node comparison across sizes is
/// only fair at one mesh-wide rate. What is left to grow is SWIM's own dissemination cost:
/// every node sends each rumour λ·⌈log10(N + 1)⌉ times (SWIM §4.1), reported next to the
/// measured transmissions per update.
enum FixedRateTraffic {
    /// Catalogue updates per second for the whole mesh, whatever its size.
    static let updatesPerSecond = 0.1
    /// Time left after the faults stop for their rumours to drain before counting.
    static let settleDuration: Duration = .seconds(60)
    static let measuredDuration: Duration = .seconds(300)

    static func measure(_ simulator: Simulator, result: inout ScenarioResult, progress: Progress?) throws {
        simulator.run(until: simulator.now + settleDuration)
        simulator.traffic.reset()
        let start = simulator.now
        let interval = Duration.nanoseconds(Int64(1e9 / updatesPerSecond))
        var updates = 0
        while simulator.now - start + interval <= measuredDuration {
            simulator.run(until: simulator.now + interval)
            let live = simulator.liveNodes
            guard !live.isEmpty else { break }
            try simulator.publish(live[simulator.draw(below: live.count)])
            updates += 1
            progress?.update(simulator.now, "fixed rate: \(updates) updates")
        }
        simulator.run(until: start + measuredDuration)
        let seconds = measuredDuration.secondsValue
        let count = Double(simulator.nodes.count)
        let traffic = simulator.traffic
        let messages = traffic.totalMessages(.membership) + traffic.totalMessages(.gossip)
        let bytes = traffic.totalBytes(.membership) + traffic.totalBytes(.gossip)
        result.add("fixed rate: catalogue updates per second, whole mesh", Double(updates) / seconds, "updates/s")
        result.add("fixed rate: membership and gossip messages per node per second", Double(messages) / count / seconds, "msg/s")
        result.add("fixed rate: membership and gossip bytes per node per second", Double(bytes) / count / seconds, "B/s")
        result.add("fixed rate: membership messages per node per second", Double(traffic.totalMessages(.membership)) / count / seconds, "msg/s")
        result.add("fixed rate: gossip messages per node per second", Double(traffic.totalMessages(.gossip)) / count / seconds, "msg/s")
        result.add("fixed rate: gossip messages per node per update", updates == 0 ? nil : Double(traffic.totalMessages(.gossip)) / count / Double(updates), "msg")
        result.add("fixed rate: transmissions per rumour, λ·⌈log10(N + 1)⌉", Double(simulator.settings.swim.retransmitLimit(memberCount: simulator.nodes.count)), "msg")
    }
}
