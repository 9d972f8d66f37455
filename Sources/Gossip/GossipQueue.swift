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
///
/// Storage: the entries live in slots of an array, found by subject through one dictionary;
/// the heap holds small (transmits, insertion, slot) keys. Serving and re-queueing a rumour
/// then touches no dictionary and copies no strings (a thousand-node mesh takes rumours
/// for every probe and five gossip rounds a second at each node).
struct GossipQueue<Item: Rumour>: Sendable {
    struct Entry: Sendable {
        var item: Item
        var transmits: Int
        var insertion: UInt64

        func heapItem(slot: Int) -> HeapItem {
            HeapItem(transmits: transmits, insertion: insertion, slot: slot)
        }
    }

    let capacity: Int
    /// The slot of each subject's entry.
    private var slotOf: [NodeID: Int] = [:]
    private var slots: [Entry?] = []
    private var freeSlots: [Int] = []
    private var insertions: UInt64 = 0
    /// Entries in `take` order. Items go stale when their entry is replaced, transmitted or
    /// evicted (the slot then holds another insertion or transmission count) and are
    /// skipped when they surface; the heap is rebuilt when stale items outnumber live ones.
    private var heap = MinHeap<HeapItem>()

    struct HeapItem: HeapOrdered, Sendable {
        var transmits: Int
        var insertion: UInt64
        var slot: Int

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

    var count: Int { slotOf.count }
    var isEmpty: Bool { slotOf.isEmpty }

    func transmits(of node: NodeID) -> Int? { slotOf[node].flatMap { slots[$0]?.transmits } }

    mutating func enqueue(_ item: Item) {
        let node = item.subject
        insertions += 1
        let entry = Entry(item: item, transmits: 0, insertion: insertions)
        let slot: Int
        if let existing = slotOf[node] {
            slot = existing
            slots[slot] = entry
        } else {
            if slotOf.count >= capacity, let victim = mostTransmitted() {
                release(victim)
            }
            slot = allocate(entry)
            slotOf[node] = slot
        }
        heap.insert(entry.heapItem(slot: slot))
        compactIfStale()
    }

    /// Up to `maximum` rumours for one message; each counts as one transmission.
    /// O(maximum · log n): a message takes a handful of rumours from a queue that can hold a
    /// thousand while a large mesh forms.
    mutating func take(maximum: Int, retransmitLimit: Int) -> [Item] {
        guard maximum > 0, !slotOf.isEmpty else { return [] }
        var result: [Item] = []
        result.reserveCapacity(min(maximum, slotOf.count))
        var again: [HeapItem] = []
        while result.count < maximum, let top = heap.popFirst() {
            guard let entry = slots[top.slot], entry.insertion == top.insertion, entry.transmits == top.transmits else { continue }
            result.append(entry.item)
            if entry.transmits + 1 >= retransmitLimit {
                release(top.slot)
            } else {
                slots[top.slot]!.transmits += 1
                again.append(HeapItem(transmits: entry.transmits + 1, insertion: entry.insertion, slot: top.slot))
            }
        }
        for item in again { heap.insert(item) }
        return result
    }

    private mutating func allocate(_ entry: Entry) -> Int {
        if let slot = freeSlots.popLast() {
            slots[slot] = entry
            return slot
        }
        slots.append(entry)
        return slots.count - 1
    }

    /// Drops the entry in `slot`; its heap items go stale.
    private mutating func release(_ slot: Int) {
        guard let entry = slots[slot] else { return }
        slotOf[entry.item.subject] = nil
        slots[slot] = nil
        freeSlots.append(slot)
    }

    /// The slot of the entry served last: most transmitted, oldest on a tie.
    private func mostTransmitted() -> Int? {
        var victim: HeapItem?
        for (slot, entry) in slots.enumerated() {
            guard let entry else { continue }
            let item = entry.heapItem(slot: slot)
            if victim.map({ $0.precedes(item) }) ?? true { victim = item }
        }
        return victim?.slot
    }

    private mutating func compactIfStale() {
        guard heap.count > 2 * slotOf.count + 64 else { return }
        heap = MinHeap(slots.enumerated().compactMap { slot, entry in entry?.heapItem(slot: slot) })
    }
}
