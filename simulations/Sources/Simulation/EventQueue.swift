/// The simulator's agenda: a binary min-heap of events keyed by (virtual time, sequence).
///
/// The sequence number is the order of scheduling, so two events due at the same instant
/// always run in the order they were scheduled: the run is a function of the seed alone.
///
/// The heap orders small fixed-size keys (time, sequence, slot) and the payloads stay put
/// in a slot array (freed slots are reused): a simulated hour of a thousand nodes moves
/// tens of millions of events through the heap, and sifting the payloads themselves (enums
/// holding messages) cost more in copies and reference counting than the comparisons.
public struct EventQueue<Payload> {
    private struct Key {
        let time: Int64
        let sequence: UInt64
        let slot: Int

        @inline(__always)
        func precedes(_ other: Key) -> Bool {
            time < other.time || (time == other.time && sequence < other.sequence)
        }
    }

    private var heap: [Key] = []
    private var slots: [Payload?] = []
    private var freeSlots: [Int] = []
    private var nextSequence: UInt64 = 0

    public init() {}

    public var count: Int { heap.count }
    public var isEmpty: Bool { heap.isEmpty }

    /// When the earliest event is due.
    public var nextTime: Duration? { heap.first.map { .nanoseconds($0.time) } }

    public mutating func schedule(_ payload: Payload, at time: Duration) {
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
            slots[slot] = payload
        } else {
            slot = slots.count
            slots.append(payload)
        }
        let key = Key(time: time.nanosecondsCount, sequence: nextSequence, slot: slot)
        nextSequence += 1
        // Sift up with a hole: move parents down until the key's place is found.
        heap.append(key)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard key.precedes(heap[parent]) else { break }
            heap[child] = heap[parent]
            child = parent
        }
        heap[child] = key
    }

    /// Removes and returns the earliest event (ties: the one scheduled first).
    public mutating func popFirst() -> (time: Duration, payload: Payload)? {
        guard let first = heap.first else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            // Sift down with a hole from the root for the former last key.
            var parent = 0
            let count = heap.count
            while true {
                let left = 2 * parent + 1
                guard left < count else { break }
                var best = left
                if left + 1 < count, heap[left + 1].precedes(heap[left]) { best = left + 1 }
                guard heap[best].precedes(last) else { break }
                heap[parent] = heap[best]
                parent = best
            }
            heap[parent] = last
        }
        let payload = slots[first.slot].take()!
        freeSlots.append(first.slot)
        return (.nanoseconds(first.time), payload)
    }
}

extension Duration {
    /// The duration in whole nanoseconds (virtual time never needs finer).
    public var nanosecondsCount: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    /// The duration in seconds as a floating-point number, for reports.
    public var secondsValue: Double { Double(nanosecondsCount) / 1e9 }

    /// The duration in milliseconds as a floating-point number, for reports.
    public var millisecondsValue: Double { Double(nanosecondsCount) / 1e6 }
}
