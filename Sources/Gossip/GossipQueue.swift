import MeshCore

/// The updates waiting to be piggybacked on outgoing messages (SWIM §4.1; memberlist
/// `TransmitLimitedQueue`).
///
/// - One entry per member: a newer rumour about a member replaces the older one, which is
///   then worthless.
/// - Least-transmitted first, newest first among equals, so fresh news spreads fastest.
/// - Each update is sent `retransmitLimit` times (≈ λ·log N) and then dropped.
/// - Bounded: when full, the entry transmitted most often (oldest on a tie) is evicted, as it
///   has already spread the furthest; push-pull anti-entropy repairs whatever is lost.
struct GossipQueue: Sendable {
    struct Entry: Sendable {
        var update: MemberUpdate
        var transmits: Int
        var insertion: UInt64
    }

    let capacity: Int
    private var entries: [NodeID: Entry] = [:]
    private var insertions: UInt64 = 0

    init(capacity: Int) {
        precondition(capacity >= 1, "gossip queue capacity must be at least 1, got \(capacity)")
        self.capacity = capacity
    }

    var count: Int { entries.count }

    func transmits(of node: NodeID) -> Int? { entries[node]?.transmits }

    mutating func enqueue(_ update: MemberUpdate) {
        let node = update.member.nodeID
        insertions += 1
        if entries[node] == nil, entries.count >= capacity, let victim = mostTransmitted() {
            entries[victim] = nil
        }
        entries[node] = Entry(update: update, transmits: 0, insertion: insertions)
    }

    /// Up to `maximum` updates for one message; each counts as one transmission.
    mutating func take(maximum: Int, retransmitLimit: Int) -> [MemberUpdate] {
        guard maximum > 0, !entries.isEmpty else { return [] }
        // Insertion numbers are unique, so this order (and the run) is deterministic whatever
        // the dictionary's iteration order.
        let chosen = entries.values
            .sorted { ($0.transmits, UInt64.max - $0.insertion) < ($1.transmits, UInt64.max - $1.insertion) }
            .prefix(maximum)
        var result: [MemberUpdate] = []
        result.reserveCapacity(chosen.count)
        for entry in chosen {
            let node = entry.update.member.nodeID
            result.append(entry.update)
            if entry.transmits + 1 >= retransmitLimit {
                entries[node] = nil
            } else {
                entries[node]!.transmits += 1
            }
        }
        return result
    }

    private func mostTransmitted() -> NodeID? {
        entries.max { ($0.value.transmits, UInt64.max - $0.value.insertion) < ($1.value.transmits, UInt64.max - $1.value.insertion) }?.key
    }
}
