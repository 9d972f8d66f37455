import MeshCore

/// Why a participant or the origin cannot go on: the query ends with this error, never
/// with a wrong number.
public struct SecureAggregationError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    /// The nodes the error is about (too few live neighbours, a bad share, ...).
    public let nodes: [NodeID]

    public init(_ message: String, nodes: [NodeID] = []) {
        self.message = message
        self.nodes = nodes
    }

    public var description: String { message }
}
