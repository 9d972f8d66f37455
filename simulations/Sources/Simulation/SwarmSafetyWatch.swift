import Gossip
import MeshCore

/// Safety rules a swarm run checks between steps, beside those the simulator checks on
/// every catalogue it accepts (never an older version over a newer one, never a version
/// its owner did not publish or with other bytes, never a forgery): within one process of
/// a node, its own incarnation and the version it holds of each catalogue never go back,
/// and its live peers never include itself or a node that never started.
///
/// A restart is a new process that remembers nothing, so what a node held before it is
/// forgotten with it.
final class SwarmSafetyWatch {
    private let simulator: Simulator
    private var generations: [Int]
    private var incarnations: [UInt64]
    private var heldVersions: [[NodeID: UInt64]]
    private(set) var violations: [String] = []
    /// More violations than this are counted, not listed.
    static let listedViolationsMax = 20
    private(set) var unlistedViolations = 0

    init(_ simulator: Simulator) {
        self.simulator = simulator
        let count = simulator.nodes.count
        generations = Array(repeating: -1, count: count)
        incarnations = Array(repeating: 0, count: count)
        heldVersions = Array(repeating: [:], count: count)
    }

    /// Checks every running node against what it held at the last check.
    func check() {
        for node in simulator.nodes where node.started && node.isUp {
            let index = node.index
            if generations[index] != node.generation {
                generations[index] = node.generation
                incarnations[index] = 0
                heldVersions[index] = [:]
            }
            let incarnation = node.swim.incarnation
            if incarnation < incarnations[index] {
                note("node \(index) went back from incarnation \(incarnations[index]) to \(incarnation) without restarting")
            }
            incarnations[index] = incarnation
            for entry in node.store.digest() {
                if let before = heldVersions[index][entry.nodeID], entry.version < before {
                    note("node \(index) went back from version \(before) to \(entry.version) of \(entry.nodeID)'s catalogue without restarting")
                }
                heldVersions[index][entry.nodeID] = entry.version
            }
            for peer in node.live.elements where peer == index || !simulator.nodes[peer].started {
                note("node \(index) counts \(peer == index ? "itself" : "node \(peer), which never started,") among its live peers")
            }
        }
    }

    private func note(_ violation: String) {
        if violations.count < Self.listedViolationsMax {
            violations.append("at \(simulator.now.secondsValue) s: \(violation)")
        } else {
            unlistedViolations += 1
        }
    }
}
