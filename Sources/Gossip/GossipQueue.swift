import MeshCore

/// Something spread by infection-style gossip, at most one per subject node: a newer rumour
/// about the same subject makes the older one worthless.
protocol Rumour: Sendable {
    var subject: NodeID { get }
}

extension MemberUpdate: Rumour {
    var subject: NodeID { member.nodeID }
}

extension CatalogueDigestEntry: Rumour {
    var subject: NodeID { nodeID }
}

/// The rumours waiting to be piggybacked on outgoing messages (SWIM §4.1; memberlist
/// `TransmitLimitedQueue`).
///
/// - One entry per subject node: a newer rumour about a node replaces the older one.
/// - Least-transmitted first, newest first among equals, so fresh news spreads fastest
///   (a heap keeps that order, so a message costs O(log n), not a sort of the queue).
/// - Each rumour is sent `retransmitLimit` times (≈ λ·log N) and then dropped.
/// - Bounded: when full, the entry transmitted most often (oldest on a tie) is evicted, as it
///   has already spread the furthest; anti-entropy repairs whatever is lost.
struct GossipQueue<Item: Rumour>: Sendable {
    struct Entry: Sendable {
        var item: Item
        var transmits: Int
        var insertion: UInt64

        func heapItem(_ subject: NodeID) -> HeapItem {
            HeapItem(subject: subject, transmits: transmits, insertion: insertion)
        }
    }

    let capacity: Int
    private var entries: [NodeID: Entry] = [:]
    private var insertions: UInt64 = 0
    /// Entries in `take` order as (subject, transmits, insertion). Items go stale when their
    /// entry is replaced, transmitted or evicted and are skipped when they surface; the heap
    /// is rebuilt when stale items outnumber live ones.
    private var heap = MinHeap<HeapItem>()

    struct HeapItem: HeapOrdered, Sendable {
        var subject: NodeID
        var transmits: Int
        var insertion: UInt64

        /// The order `take` serves entries in: fewest transmissions, then newest. Insertion
        /// numbers are unique, so the order (and a run) is deterministic whatever the
        /// dictionary's iteration order.
        func precedes(_ other: HeapItem) -> Bool {
            transmits != other.transmits ? transmits < other.transmits : insertion > other.insertion
        }
    }

    init(capacity: Int) {
        precondition(capacity >= 1, "gossip queue capacity must be at least 1, got \(capacity)")
        self.capacity = capacity
    }

    var count: Int { entries.count }
    var isEmpty: Bool { entries.isEmpty }

    func transmits(of node: NodeID) -> Int? { entries[node]?.transmits }

    mutating func enqueue(_ item: Item) {
        let node = item.subject
        insertions += 1
        if entries[node] == nil, entries.count >= capacity, let victim = mostTransmitted() {
            entries[victim] = nil
        }
        entries[node] = Entry(item: item, transmits: 0, insertion: insertions)
        heap.insert(HeapItem(subject: node, transmits: 0, insertion: insertions))
        compactIfStale()
    }

    /// Up to `maximum` rumours for one message; each counts as one transmission.
    /// O(maximum · log n): a message takes a handful of rumours from a queue that can hold a
    /// thousand while a large mesh forms.
    mutating func take(maximum: Int, retransmitLimit: Int) -> [Item] {
        guard maximum > 0, !entries.isEmpty else { return [] }
        var result: [Item] = []
        var again: [HeapItem] = []
        while result.count < maximum, let top = heap.popFirst() {
            guard let entry = entries[top.subject], entry.insertion == top.insertion, entry.transmits == top.transmits else { continue }
            result.append(entry.item)
            if entry.transmits + 1 >= retransmitLimit {
                entries[top.subject] = nil
            } else {
                entries[top.subject]!.transmits += 1
                again.append(HeapItem(subject: top.subject, transmits: entry.transmits + 1, insertion: entry.insertion))
            }
        }
        for item in again { heap.insert(item) }
        return result
    }

    private func mostTransmitted() -> NodeID? {
        var victim: HeapItem?
        for (subject, entry) in entries {
            let item = entry.heapItem(subject)
            if victim.map({ $0.precedes(item) }) ?? true { victim = item }
        }
        return victim?.subject
    }

    private mutating func compactIfStale() {
        guard heap.count > 2 * entries.count + 64 else { return }
        heap = MinHeap(entries.map { $0.value.heapItem($0.key) })
    }
}
