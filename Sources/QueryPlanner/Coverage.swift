import MeshCore

/// Which nodes a result speaks for (docs/ARCHITECTURE.md, "Queries"): a result is never silently
/// partial. Every target ends up in exactly one of answered, refused, timed out or failed;
/// pruned nodes were never asked.
public struct Coverage: Sendable, Equatable {
    /// Nodes whose partial is merged into the result.
    public var answered: Set<NodeID>
    /// Nodes left out at planning: they lack a used attribute or every asked-for value.
    public var pruned: [NodeID: String]
    /// Nodes whose policy does not allow the query, with the policy reason.
    public var refused: [NodeID: String]
    /// Nodes whose answer did not arrive before the deadline.
    public var timedOut: Set<NodeID>
    /// Nodes that could not be reached or could not execute, with the reason.
    public var failed: [NodeID: String]

    public init(
        answered: Set<NodeID> = [],
        pruned: [NodeID: String] = [:],
        refused: [NodeID: String] = [:],
        timedOut: Set<NodeID> = [],
        failed: [NodeID: String] = [:]
    ) {
        self.answered = answered
        self.pruned = pruned
        self.refused = refused
        self.timedOut = timedOut
        self.failed = failed
    }

    /// Every node the coverage names.
    public var accountedFor: Set<NodeID> {
        answered.union(pruned.keys).union(refused.keys).union(timedOut).union(failed.keys)
    }

    /// True when every node asked answered.
    public var isComplete: Bool { refused.isEmpty && timedOut.isEmpty && failed.isEmpty }

    /// Adds the coverage of another subtree. A node reached by two paths (its parent was
    /// presumed lost while it still answered) may be reported both answered and failed:
    /// answered wins, since its partial is in the result; then refused, failed, timed out.
    public mutating func merge(_ other: Coverage) {
        answered.formUnion(other.answered)
        pruned.merge(other.pruned) { first, _ in first }
        refused.merge(other.refused) { first, _ in first }
        failed.merge(other.failed) { first, _ in first }
        timedOut.formUnion(other.timedOut)
        normalise()
    }

    /// Keeps each node in one outcome only, by the precedence of ``merge(_:)``.
    public mutating func normalise() {
        for node in answered {
            refused[node] = nil
            failed[node] = nil
            timedOut.remove(node)
            pruned[node] = nil
        }
        for node in refused.keys {
            failed[node] = nil
            timedOut.remove(node)
        }
        for node in failed.keys { timedOut.remove(node) }
    }
}
