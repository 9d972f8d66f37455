import NIOConcurrencyHelpers

/// Counters of one endpoint's envelopes by kind and direction, shared by all its
/// connections: how much of a node's traffic is gossip, anti-entropy or queries. Frames
/// (``FrameStatistics``) say what compression does; these say what the traffic is for.
/// Bytes are the encoded envelope, before LZ4 and TLS. Counted in the codec, so requests,
/// responses and busy refusals all count, on every connection.
public final class MessageStatistics: Sendable {
    /// Messages and bytes of one kind in one direction.
    public struct Counts: Sendable, Equatable {
        public var messages = 0
        public var bytes = 0

        public init(messages: Int = 0, bytes: Int = 0) {
            self.messages = messages
            self.bytes = bytes
        }
    }

    public enum Direction: String, Sendable, CaseIterable {
        case sent, received
    }

    public struct Key: Hashable, Sendable {
        public let kind: MessageKind
        public let direction: Direction
    }

    private let box = NIOLockedValueBox([Key: Counts]())

    public init() {}

    /// Every kind seen so far in either direction.
    public var snapshot: [Key: Counts] { box.withLockedValue { $0 } }

    func record(_ kind: MessageKind, _ direction: Direction, bytes: Int) {
        box.withLockedValue { counts in
            counts[Key(kind: kind, direction: direction), default: Counts()].messages += 1
            counts[Key(kind: kind, direction: direction), default: Counts()].bytes += bytes
        }
    }
}

extension MessageKind {
    /// A short, stable name for logs and metric labels (`catalogue_digest`); a kind this
    /// build does not know is `unrecognized`, so that a peer cannot make new label values.
    public var name: String {
        switch self {
        case .unspecified: "unspecified"
        case .echo: "echo"
        case .membership: "membership"
        case .catalogueDigest: "catalogue_digest"
        case .cataloguePull: "catalogue_pull"
        case .revocationList: "revocation_list"
        case .status: "status"
        case .querySubmit: "query_submit"
        case .queryPlan: "query_plan"
        case .queryUnmask: "query_unmask"
        case .UNRECOGNIZED: "unrecognized"
        }
    }
}
