import Gossip
import MeshCore
import Testing

/// `encodedSize` must equal the length of the real protobuf encoding for every kind of
/// message, including the edges of the encoding: zero sequence numbers and incarnations
/// (left out), empty and long strings and lists (lengths of one and two varint bytes),
/// and the largest 64-bit values.
@Suite struct SWIMMessageEncodedSizeTests {
    @Test func equalsTheEncodingOfTheFixedMessages() throws {
        let empty: [SWIMMessage] = [
            .ping(sequence: 0, replyAddress: "a:1", updates: []),
            .ack(sequence: 0, updates: []),
            .nack(sequence: 0, updates: []),
            .gossip(updates: [], catalogueNews: []),
            .pushPull(.request, replyAddress: "a:1", members: []),
            .pushPull(.response, replyAddress: "a:1", members: []),
        ]
        for message in empty {
            #expect(message.encodedSize == (try message.serializedBytes()).count, "\(message)")
        }
    }

    @Test func equalsTheEncodingOfRandomMessages() throws {
        var random = SeededRandom(seed: 20_260_401)
        for round in 0..<5_000 {
            let message = Self.randomMessage(using: &random)
            let encoded = try message.serializedBytes()
            #expect(message.encodedSize == encoded.count, "round \(round): \(message)")
        }
    }

    static func randomMessage(using random: inout SeededRandom) -> SWIMMessage {
        let updates = (0..<count(upTo: 20, using: &random)).map { _ in MemberUpdate(member: member(using: &random), source: node(using: &random)) }
        switch random.next() % 6 {
        case 0: return .ping(sequence: number(using: &random), replyAddress: address(using: &random), updates: updates)
        case 1:
            return .pingRequest(
                sequence: number(using: &random), target: node(using: &random), targetAddress: address(using: &random), replyAddress: address(using: &random),
                updates: updates)
        case 2: return .ack(sequence: number(using: &random), updates: updates)
        case 3: return .nack(sequence: number(using: &random), updates: updates)
        case 4:
            let news = (0..<count(upTo: 20, using: &random)).map { _ in CatalogueDigestEntry(nodeID: node(using: &random), version: number(using: &random)) }
            return .gossip(updates: updates, catalogueNews: news)
        default:
            let members = (0..<count(upTo: 300, using: &random)).map { _ in member(using: &random) }
            return .pushPull(random.next() % 2 == 0 ? .request : .response, replyAddress: address(using: &random), members: members)
        }
    }

    /// 0 a quarter of the time, otherwise up to `limit`.
    static func count(upTo limit: Int, using random: inout SeededRandom) -> Int {
        random.next() % 4 == 0 ? 0 : Int(random.next() % UInt64(limit + 1))
    }

    /// Zero, small, or any 64-bit value, so every varint length occurs.
    static func number(using random: inout SeededRandom) -> UInt64 {
        switch random.next() % 4 {
        case 0: 0
        case 1: random.next() % 300
        case 2: UInt64.max
        default: random.next() >> (random.next() % 64)
        }
    }

    static func node(using random: inout SeededRandom) -> NodeID {
        let letters = Array("abcdefghijklmnopqrstuvwxyz0123456789-")
        let length = 1 + Int(random.next() % 63)
        return try! NodeID(String((0..<length).map { _ in letters[Int(random.next() % UInt64(letters.count))] }))
    }

    /// Short host:port, or up to 261 bytes with non-ASCII characters (UTF-8 counts bytes).
    static func address(using random: inout SeededRandom) -> String {
        let pieces = ["a", "node-", "ü", "example.org", "[::1]", "日本"]
        var text = ""
        let target = random.next() % 3 == 0 ? 200 : 12
        while text.utf8.count < target { text += pieces[Int(random.next() % UInt64(pieces.count))] }
        return text + ":\(random.next() % 65_536)"
    }

    static func member(using random: inout SeededRandom) -> Member {
        let incarnation = number(using: &random)
        let status: MemberStatus =
            switch random.next() % 4 {
            case 0: .alive(incarnation: incarnation)
            case 1: .suspect(incarnation: incarnation)
            case 2: .dead(incarnation: incarnation)
            default: .left(incarnation: incarnation)
            }
        return Member(nodeID: node(using: &random), address: address(using: &random), status: status)
    }
}
