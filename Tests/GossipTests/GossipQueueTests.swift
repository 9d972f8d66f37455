@testable import Gossip
import MeshCore
import Testing

/// The heap-ordered queue against a plain reference: the same rumours, in the same order,
/// with the same transmission counts, over random enqueues, replacements and takes.
@Suite struct GossipQueueTests {
    /// The specification: sort everything by (fewest transmits, newest) on every take.
    struct Reference {
        var entries: [NodeID: (update: MemberUpdate, transmits: Int, insertion: UInt64)] = [:]
        var insertions: UInt64 = 0
        let capacity: Int

        mutating func enqueue(_ update: MemberUpdate) {
            insertions += 1
            if entries[update.member.nodeID] == nil, entries.count >= capacity,
                let victim = entries.max(by: { ($0.value.transmits, UInt64.max - $0.value.insertion) < ($1.value.transmits, UInt64.max - $1.value.insertion) })?.key
            {
                entries[victim] = nil
            }
            entries[update.member.nodeID] = (update, 0, insertions)
        }

        mutating func take(maximum: Int, retransmitLimit: Int) -> [MemberUpdate] {
            let chosen = entries.values.sorted { ($0.transmits, UInt64.max - $0.insertion) < ($1.transmits, UInt64.max - $1.insertion) }.prefix(maximum)
            for entry in chosen {
                let node = entry.update.member.nodeID
                if entry.transmits + 1 >= retransmitLimit { entries[node] = nil } else { entries[node]!.transmits += 1 }
            }
            return chosen.map(\.update)
        }
    }

    @Test(arguments: [1, 2, 7, 40])
    func matchesTheSortingReference(capacity: Int) {
        var random = SeededRandom(seed: UInt64(capacity))
        var queue = GossipQueue<MemberUpdate>(capacity: capacity)
        var reference = Reference(capacity: capacity)
        for step in 0..<5000 {
            if random.next() % 3 == 0 {
                let maximum = Int(random.next() % 6)
                let limit = 1 + Int(random.next() % 5)
                #expect(queue.take(maximum: maximum, retransmitLimit: limit) == reference.take(maximum: maximum, retransmitLimit: limit), "step \(step)")
            } else {
                let name = "n\(random.next() % 60)"
                let incoming = update(name, .alive(incarnation: UInt64(step)), from: name)
                queue.enqueue(incoming)
                reference.enqueue(incoming)
            }
            #expect(queue.count == reference.entries.count)
        }
    }
}
