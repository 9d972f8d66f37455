/// Messages and bytes each node sends, by protocol. Bytes are the real protobuf encodings.
public struct TrafficCounter: Sendable {
    public enum Kind: Int, CaseIterable, Sendable {
        /// SWIM failure detection: ping, ping-req, ack, nack (with piggybacked updates).
        case membership
        /// Gossip rounds: member updates and catalogue news sent while there is news.
        case gossip
        /// Pulls of announced catalogue versions: requests and the catalogues sent back.
        case cataloguePull
        /// Anti-entropy: SWIM push-pull, catalogue digests and the pulls they cause.
        case antiEntropy
        /// Query plans and subtree results.
        case query

        public var name: String {
            switch self {
            case .membership: "membership"
            case .gossip: "gossip"
            case .cataloguePull: "catalogue pulls"
            case .antiEntropy: "anti-entropy"
            case .query: "query"
            }
        }
    }

    public private(set) var messages: [[Int]]
    public private(set) var bytes: [[Int]]

    public init(nodeCount: Int) {
        messages = Array(repeating: Array(repeating: 0, count: nodeCount), count: Kind.allCases.count)
        bytes = messages
    }

    public mutating func record(_ kind: Kind, from node: Int, bytes count: Int) {
        messages[kind.rawValue][node] += 1
        bytes[kind.rawValue][node] += count
    }

    public mutating func reset() {
        self = TrafficCounter(nodeCount: messages[0].count)
    }

    public func totalMessages(_ kind: Kind) -> Int { messages[kind.rawValue].reduce(0, +) }
    public func totalBytes(_ kind: Kind) -> Int { bytes[kind.rawValue].reduce(0, +) }
}
