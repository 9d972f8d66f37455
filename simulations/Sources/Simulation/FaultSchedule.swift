/// A fault, or the end of one, that the simulator applies at a given virtual time.
public enum Fault: Sendable, Equatable {
    /// The node's process stops: it handles no message and no timer from now on.
    case crash(node: Int)
    /// Messages are lost with this probability from now on.
    case setLossRate(Double)
    /// Delivered messages arrive twice with this probability from now on.
    case setDuplicationRate(Double)
    /// These nodes handle each message up to the given extra time late (empty: none slow).
    case setSlowNodes([Int: Duration])
    /// A cut forms between a group of nodes and the rest.
    case partition(id: Int, Partition)
    /// The cut with this identifier heals.
    case heal(id: Int)
    /// Every fault of the network heals: no loss, no duplication, no cut, no slow node.
    case healAll

    var logLine: String {
        switch self {
        case .crash(let node): "fault crash node=\(node)"
        case .setLossRate(let rate): "fault loss rate=\(rate)"
        case .setDuplicationRate(let rate): "fault duplication rate=\(rate)"
        case .setSlowNodes(let nodes): "fault slow nodes=\(nodes.keys.sorted())"
        case .partition(let id, let partition): "fault partition id=\(id) symmetric=\(partition.symmetric) side=\(partition.side.sorted())"
        case .heal(let id): "fault heal id=\(id)"
        case .healAll: "fault heal all"
        }
    }
}

/// Faults to apply, each at its virtual time, in order.
public struct FaultSchedule: Sendable {
    public private(set) var entries: [(time: Duration, fault: Fault)] = []

    public init() {}

    public mutating func add(_ fault: Fault, at time: Duration) {
        entries.append((time, fault))
    }

    /// The time after which no fault is in force any more, if the schedule ends with a heal.
    public var lastTime: Duration? { entries.map(\.time).max() }
}

extension FaultSchedule {
    /// A cut with identifier `id` in force from `from` until `until`, when it heals alone
    /// (other cuts in force stay).
    public mutating func addCut(id: Int, _ partition: Partition, from: Duration, until: Duration) {
        add(.partition(id: id, partition), at: from)
        add(.heal(id: id), at: until)
    }
}
