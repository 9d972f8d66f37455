import MeshCore

/// The length of ``SWIMMessage/serializedBytes()`` computed from the message itself, without
/// building the protobuf envelope (Membership.proto).
///
/// A simulator of a thousand nodes sends tens of thousands of membership messages per
/// virtual second and only needs their sizes; encoding each one to count its bytes costs
/// more than running the protocol. The rules are protobuf's: a field is a tag (one byte for
/// the field numbers used here, all below 16), then a varint for scalars or a varint length
/// and the bytes for strings and sub-messages; proto3 scalars and strings equal to their
/// default (0, "") are left out, while a set `oneof` member and a set sub-message are always
/// written, even when empty. A test keeps this equal to the real encoding.
extension SWIMMessage {
    /// The number of bytes ``serializedBytes()`` produces for this message.
    public var encodedSize: Int {
        var size: Int
        switch self {
        case .ping(let sequence, let replyAddress, _):
            size = Self.embedded(Self.scalar(sequence) + Self.string(replyAddress))
        case .pingRequest(let sequence, let target, let targetAddress, let replyAddress, _):
            size = Self.embedded(Self.scalar(sequence) + Self.string(target.rawValue) + Self.string(targetAddress) + Self.string(replyAddress))
        case .ack(let sequence, _), .nack(let sequence, _):
            size = Self.embedded(Self.scalar(sequence))
        case .pushPull(let kind, let replyAddress, let members):
            var body = (kind == .response ? 2 : 0) + Self.string(replyAddress)
            for member in members { body += Self.embedded(Self.memberSize(member)) }
            size = Self.embedded(body)
        case .gossip(_, let news):
            size = Self.embedded(0)
            for entry in news { size += Self.embedded(Self.string(entry.nodeID.rawValue) + Self.scalar(entry.version)) }
        }
        for update in updates {
            size += Self.embedded(Self.embedded(Self.memberSize(update.member)) + Self.string(update.source.rawValue))
        }
        return size
    }

    /// A `SwimMember`'s fields: node ID, address, status (never the zero "unspecified"),
    /// incarnation.
    static func memberSize(_ member: Member) -> Int {
        string(member.nodeID.rawValue) + string(member.address) + 2 + scalar(member.status.incarnation)
    }

    /// A varint scalar field: absent when zero.
    static func scalar(_ value: UInt64) -> Int {
        value == 0 ? 0 : 1 + varintLength(value)
    }

    /// A string field: absent when empty.
    static func string(_ value: String) -> Int {
        let count = value.utf8.count
        return count == 0 ? 0 : 1 + varintLength(UInt64(count)) + count
    }

    /// A sub-message field (or a set `oneof` member) whose own encoding is `length` bytes.
    static func embedded(_ length: Int) -> Int {
        1 + varintLength(UInt64(length)) + length
    }

    static func varintLength(_ value: UInt64) -> Int {
        // 7 bits per byte; 0 still takes one byte.
        value == 0 ? 1 : (64 - value.leadingZeroBitCount + 6) / 7
    }
}
