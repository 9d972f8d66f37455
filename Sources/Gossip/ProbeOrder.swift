import MeshCore

/// Randomised round-robin choice of probe targets (SWIM §4.3, "Round-Robin Probe Target
/// Selection"): walk a shuffled list of members, reshuffle when it is exhausted, and insert
/// new members at uniformly random positions. Every member is probed once per round, which
/// bounds the time to first detection by 2N - 1 periods instead of only in expectation.
struct ProbeOrder: Sendable {
    /// The members in probe order; also a deterministic list of live members for random picks.
    private(set) var order: [NodeID] = []
    private var present: Set<NodeID> = []
    private var index = 0

    var count: Int { order.count }

    func contains(_ node: NodeID) -> Bool { present.contains(node) }

    mutating func insert(_ node: NodeID, using random: inout SeededRandom) {
        guard present.insert(node).inserted else { return }
        let position = Int.random(in: 0...order.count, using: &random)
        order.insert(node, at: position)
        // Keep pointing at the member that was next, so nobody is skipped or probed twice.
        if position < index { index += 1 }
    }

    mutating func remove(_ node: NodeID) {
        guard present.remove(node) != nil, let position = order.firstIndex(of: node) else { return }
        order.remove(at: position)
        if position < index { index -= 1 }
    }

    mutating func next(using random: inout SeededRandom) -> NodeID? {
        guard !order.isEmpty else { return nil }
        if index >= order.count {
            order.shuffle(using: &random)
            index = 0
        }
        defer { index += 1 }
        return order[index]
    }
}
