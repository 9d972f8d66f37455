import MeshCore
import SwiftProtobuf

/// Protobuf encoding of ``SWIMMessage`` (Membership.proto). Decoding checks everything a
/// faulty or hostile peer could get wrong: node IDs, addresses, statuses, list lengths.
extension SWIMMessage {
    /// The most piggybacked updates a decoded message may carry.
    public static let decodingMaxUpdates = 1024
    /// The most members a decoded push-pull may carry.
    public static let decodingMaxMembers = 100_000
    /// The longest address accepted, in UTF-8 bytes (a DNS name is at most 253, plus ":port").
    public static let decodingMaxAddressBytes = 261

    public func serializedBytes() throws -> [UInt8] {
        var envelope = WireSwimEnvelope()
        switch self {
        case .ping(let sequence, let replyAddress, _):
            var ping = WireSwimPing()
            ping.sequence = sequence
            ping.replyAddress = replyAddress
            envelope.ping = ping
        case .pingRequest(let sequence, let target, let targetAddress, let replyAddress, _):
            var request = WireSwimPingRequest()
            request.sequence = sequence
            request.target = target.rawValue
            request.targetAddress = targetAddress
            request.replyAddress = replyAddress
            envelope.pingRequest = request
        case .ack(let sequence, _):
            var ack = WireSwimAck()
            ack.sequence = sequence
            envelope.ack = ack
        case .nack(let sequence, _):
            var nack = WireSwimNack()
            nack.sequence = sequence
            envelope.nack = nack
        case .pushPull(let kind, let replyAddress, let members):
            var pushPull = WireSwimPushPull()
            pushPull.isResponse = kind == .response
            pushPull.replyAddress = replyAddress
            pushPull.members = members.map(WireSwimMember.init)
            envelope.pushPull = pushPull
        case .gossip(_, let news):
            envelope.gossip = WireSwimGossip()
            envelope.catalogueNews = news.map { entry in
                var wire = WireSwimCatalogueVersion()
                wire.nodeID = entry.nodeID.rawValue
                wire.version = entry.version
                return wire
            }
        }
        envelope.updates = updates.map { update in
            var wire = WireSwimUpdate()
            wire.member = WireSwimMember(update.member)
            wire.source = update.source.rawValue
            return wire
        }
        return try envelope.serializedBytes()
    }

    public init(serializedBytes bytes: [UInt8]) throws(SWIMMessageDecodingError) {
        let envelope: WireSwimEnvelope
        do {
            envelope = try WireSwimEnvelope(serializedBytes: bytes)
        } catch {
            throw SWIMMessageDecodingError("membership message is not valid protobuf: \(error)")
        }
        guard envelope.updates.count <= Self.decodingMaxUpdates else {
            throw SWIMMessageDecodingError("membership message carries \(envelope.updates.count) updates; at most \(Self.decodingMaxUpdates) are accepted")
        }
        var updates: [MemberUpdate] = []
        updates.reserveCapacity(envelope.updates.count)
        for wire in envelope.updates {
            guard wire.hasMember else { throw SWIMMessageDecodingError("membership update has no member") }
            updates.append(MemberUpdate(member: try Member(wire: wire.member), source: try Self.nodeID(wire.source, field: "update source")))
        }
        var isGossip = false
        if case .gossip? = envelope.kind { isGossip = true }
        guard envelope.catalogueNews.isEmpty || isGossip else {
            throw SWIMMessageDecodingError("only gossip messages carry catalogue news")
        }
        guard envelope.catalogueNews.count <= Self.decodingMaxUpdates else {
            throw SWIMMessageDecodingError("membership message carries \(envelope.catalogueNews.count) catalogue announcements; at most \(Self.decodingMaxUpdates) are accepted")
        }
        switch envelope.kind {
        case .gossip?:
            var news: [CatalogueDigestEntry] = []
            news.reserveCapacity(envelope.catalogueNews.count)
            for wire in envelope.catalogueNews {
                news.append(CatalogueDigestEntry(nodeID: try Self.nodeID(wire.nodeID, field: "catalogue news node ID"), version: wire.version))
            }
            self = .gossip(updates: updates, catalogueNews: news)
        case .ping(let ping)?:
            self = .ping(sequence: ping.sequence, replyAddress: try Self.address(ping.replyAddress, field: "ping reply address"), updates: updates)
        case .pingRequest(let request)?:
            self = .pingRequest(
                sequence: request.sequence,
                target: try Self.nodeID(request.target, field: "ping-req target"),
                targetAddress: try Self.address(request.targetAddress, field: "ping-req target address"),
                replyAddress: try Self.address(request.replyAddress, field: "ping-req reply address"),
                updates: updates
            )
        case .ack(let ack)?:
            self = .ack(sequence: ack.sequence, updates: updates)
        case .nack(let nack)?:
            self = .nack(sequence: nack.sequence, updates: updates)
        case .pushPull(let pushPull)?:
            guard updates.isEmpty else {
                throw SWIMMessageDecodingError("push-pull must not carry piggybacked updates; it carries the full state")
            }
            guard pushPull.members.count <= Self.decodingMaxMembers else {
                throw SWIMMessageDecodingError("push-pull carries \(pushPull.members.count) members; at most \(Self.decodingMaxMembers) are accepted")
            }
            var members: [Member] = []
            members.reserveCapacity(pushPull.members.count)
            for wire in pushPull.members {
                members.append(try Member(wire: wire))
            }
            self = .pushPull(pushPull.isResponse ? .response : .request, replyAddress: try Self.address(pushPull.replyAddress, field: "push-pull reply address"), members: members)
        case nil:
            throw SWIMMessageDecodingError("membership message has no kind (ping, ping-req, ack, nack, gossip or push-pull)")
        }
    }

    static func nodeID(_ raw: String, field: String) throws(SWIMMessageDecodingError) -> NodeID {
        do {
            return try NodeID(raw)
        } catch {
            throw SWIMMessageDecodingError("\(field) is not a valid node ID: \(error.message)")
        }
    }

    static func address(_ raw: String, field: String) throws(SWIMMessageDecodingError) -> String {
        guard !raw.isEmpty else { throw SWIMMessageDecodingError("\(field) is empty; expected host:port") }
        guard raw.utf8.count <= decodingMaxAddressBytes else {
            throw SWIMMessageDecodingError("\(field) is \(raw.utf8.count) bytes long; at most \(decodingMaxAddressBytes) are accepted")
        }
        return raw
    }
}

extension WireSwimMember {
    init(_ member: Member) {
        self.init()
        nodeID = member.nodeID.rawValue
        address = member.address
        incarnation = member.status.incarnation
        status = switch member.status {
        case .alive: .alive
        case .suspect: .suspect
        case .dead: .dead
        case .left: .left
        }
    }
}

extension Member {
    init(wire: WireSwimMember) throws(SWIMMessageDecodingError) {
        let nodeID = try SWIMMessage.nodeID(wire.nodeID, field: "member node ID")
        let address = try SWIMMessage.address(wire.address, field: "address of member \(nodeID)")
        let status: MemberStatus
        switch wire.status {
        case .alive: status = .alive(incarnation: wire.incarnation)
        case .suspect: status = .suspect(incarnation: wire.incarnation)
        case .dead: status = .dead(incarnation: wire.incarnation)
        case .left: status = .left(incarnation: wire.incarnation)
        case .unspecified, .UNRECOGNIZED:
            throw SWIMMessageDecodingError("member \(nodeID) has no valid status (got \(wire.status.rawValue)); expected alive, suspect, dead or left")
        }
        self.init(nodeID: nodeID, address: address, status: status)
    }
}

/// A membership message that could not be decoded; the message says what was wrong.
public struct SWIMMessageDecodingError: Error, Equatable, CustomStringConvertible {
    public let message: String

    init(_ message: String) { self.message = message }

    public var description: String { message }
}
