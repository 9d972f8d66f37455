import Crypto
import MeshCore

/// The tree along which a query's plan travels down and its partials travel up (docs/ARCHITECTURE.md,
/// "Planning and execution along a tree").
///
/// It is a pure function of (query id, targets, fanout), so every node that holds the plan
/// computes the same tree without asking anyone. The origin is the root; the other targets
/// are ordered by SHA-256 of (query id, node ID), which spreads the inner positions (the
/// nodes that do the merging) over different nodes for different queries, and laid out as a
/// complete `fanout`-ary tree in that order.
public struct AggregationTree: Sendable, Equatable {
    public let fanout: Int
    /// Root first, then breadth-first order.
    public let order: [NodeID]
    private let positions: [NodeID: Int]

    public init(queryID: [UInt8], origin: NodeID, targets: some Sequence<NodeID>, fanout: Int) {
        precondition(fanout >= 1, "fanout must be at least 1")
        let others = Set(targets).subtracting([origin]).map { node -> (key: [UInt8], node: NodeID) in
            var hasher = SHA256()
            hasher.update(data: queryID)
            hasher.update(data: [0])
            hasher.update(data: Array(node.rawValue.utf8))
            return (Array(hasher.finalize()), node)
        }
        .sorted { lhs, rhs in
            lhs.key.lexicographicallyPrecedes(rhs.key) || (lhs.key == rhs.key && lhs.node < rhs.node)
        }
        .map(\.node)
        self.fanout = fanout
        self.order = [origin] + others
        self.positions = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })
    }

    public var root: NodeID { order[0] }

    public func contains(_ node: NodeID) -> Bool { positions[node] != nil }

    public func parent(of node: NodeID) -> NodeID? {
        guard let position = positions[node], position > 0 else { return nil }
        return order[(position - 1) / fanout]
    }

    public func children(of node: NodeID) -> [NodeID] {
        guard let position = positions[node] else { return [] }
        let first = position * fanout + 1
        guard first < order.count else { return [] }
        return Array(order[first..<min(first + fanout, order.count)])
    }

    /// Every node below `node`, breadth first.
    public func descendants(of node: NodeID) -> [NodeID] {
        var result: [NodeID] = []
        var frontier = children(of: node)
        while !frontier.isEmpty {
            result.append(contentsOf: frontier)
            frontier = frontier.flatMap { children(of: $0) }
        }
        return result
    }

    /// How many edges lie between `node` and the root, or nil for a node not in the tree.
    public func depth(of node: NodeID) -> Int? {
        guard var position = positions[node] else { return nil }
        var levels = 0
        while position > 0 {
            position = (position - 1) / fanout
            levels += 1
        }
        return levels
    }

    /// Depth of the tree (a lone root has depth 0): deadlines are split by level.
    public var depth: Int {
        var levels = 0
        var covered = 1
        var width = 1
        while covered < order.count {
            width *= fanout
            covered += width
            levels += 1
        }
        return levels
    }
}
