@testable import Gossip
import MeshCore

/// Helpers shared by the SWIM tests: names, a pre-populated instance, action filters.
func id(_ name: String) -> NodeID { try! NodeID(name) }

func addressOf(_ name: String) -> String { "\(name).test:7946" }

func aliveMember(_ name: String, _ incarnation: UInt64 = 0) -> Member {
    Member(nodeID: id(name), address: addressOf(name), status: .alive(incarnation: incarnation))
}

func update(_ name: String, _ status: MemberStatus, from source: String) -> MemberUpdate {
    MemberUpdate(member: Member(nodeID: id(name), address: addressOf(name), status: status), source: id(source))
}

/// An instance for node "a" that has started and knows `peers` as alive(0).
func makeInstance(peers: [String], settings: SWIMSettings = SWIMSettings(), seed: UInt64 = 1) -> SWIMInstance {
    var instance = SWIMInstance(localNode: id("a"), localAddress: addressOf("a"), settings: settings, seed: seed, now: .zero)
    _ = instance.join(seeds: [], now: .zero)
    if !peers.isEmpty {
        _ = instance.onMessage(.pushPull(.response, replyAddress: addressOf(peers[0]), members: peers.map { aliveMember($0) }), from: id(peers[0]), now: .zero)
    }
    return instance
}

struct Sent: Equatable {
    var message: SWIMMessage
    var destination: SWIMDestination
}

extension Array where Element == SWIMAction {
    var sent: [Sent] {
        compactMap { if case .send(let message, let destination) = $0 { Sent(message: message, destination: destination) } else { nil } }
    }

    var events: [MembershipEvent] {
        compactMap { if case .event(let event) = $0 { event } else { nil } }
    }

    func scheduled(_ timer: SWIMTimer) -> Duration? {
        for action in self {
            if case .schedule(timer, let after) = action { return after }
        }
        return nil
    }

    var pings: [(sequence: UInt64, target: NodeID, updates: [MemberUpdate])] {
        sent.compactMap { sent in
            guard case .ping(let sequence, _, let updates) = sent.message, case .node(let target, _) = sent.destination else { return nil }
            return (sequence, target, updates)
        }
    }

    var pingRequests: [(sequence: UInt64, target: NodeID, via: NodeID)] {
        sent.compactMap { sent in
            guard case .pingRequest(let sequence, let target, _, _, _) = sent.message, case .node(let via, _) = sent.destination else { return nil }
            return (sequence, target, via)
        }
    }
}
