import MeshCore

/// The simulator's agenda: a binary min-heap of events keyed by (virtual time, sequence).
///
/// The sequence number is the order of scheduling, so two events due at the same instant
/// always run in the order they were scheduled: the run is a function of the seed alone.
public struct EventQueue<Payload> {
    private struct Entry: HeapOrdered {
        let time: Int64
        let sequence: UInt64
        let payload: Payload

        func precedes(_ other: Entry) -> Bool {
            time < other.time || (time == other.time && sequence < other.sequence)
        }
    }

    private var heap = MinHeap<Entry>()
    private var nextSequence: UInt64 = 0

    public init() {}

    public var count: Int { heap.count }
    public var isEmpty: Bool { heap.isEmpty }

    /// When the earliest event is due.
    public var nextTime: Duration? { heap.first.map { .nanoseconds($0.time) } }

    public mutating func schedule(_ payload: Payload, at time: Duration) {
        heap.insert(Entry(time: time.nanosecondsCount, sequence: nextSequence, payload: payload))
        nextSequence += 1
    }

    /// Removes and returns the earliest event (ties: the one scheduled first).
    public mutating func popFirst() -> (time: Duration, payload: Payload)? {
        heap.popFirst().map { (.nanoseconds($0.time), $0.payload) }
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
