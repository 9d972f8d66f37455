import Gossip
import MeshCore
import Testing

@Suite struct SWIMMessageCodingTests {
    static let updates = [
        update("b", .suspect(incarnation: 3), from: "c"),
        update("d", .dead(incarnation: 1), from: "a"),
        update("e", .left(incarnation: 9), from: "e"),
        update("f", .alive(incarnation: UInt64.max), from: "f"),
    ]

    static let messages: [SWIMMessage] = [
        .ping(sequence: 1, replyAddress: "a.test:7946", updates: updates),
        .ping(sequence: 0, replyAddress: "a.test:7946", updates: []),
        .pingRequest(sequence: 2, target: id("b"), targetAddress: "b.test:7946", replyAddress: "a.test:7946", updates: updates),
        .ack(sequence: UInt64.max, updates: updates),
        .nack(sequence: 4, updates: []),
        .gossip(updates: updates, catalogueNews: [CatalogueDigestEntry(nodeID: id("b"), version: 7), CatalogueDigestEntry(nodeID: id("c"), version: UInt64.max)]),
        .gossip(updates: [], catalogueNews: [CatalogueDigestEntry(nodeID: id("d"), version: 1)]),
        .pushPull(.request, replyAddress: "a.test:7946", members: updates.map(\.member)),
        .pushPull(.response, replyAddress: "[::1]:7946", members: []),
    ]

    @Test(arguments: messages)
    func roundTrips(message: SWIMMessage) throws {
        let bytes = try message.serializedBytes()
        #expect(try SWIMMessage(serializedBytes: bytes) == message)
    }

    @Test func rejectsGarbage() {
        #expect(throws: SWIMMessageDecodingError.self) { try SWIMMessage(serializedBytes: [0xFF, 0xFF, 0xFF, 0x01]) }
        #expect(throws: SWIMMessageDecodingError.self) { try SWIMMessage(serializedBytes: []) }
    }

    @Test func rejectsInvalidNodeIDsAndStatuses() throws {
        var ping = WireSwimEnvelope()
        ping.ping.sequence = 1
        ping.ping.replyAddress = "a:1"
        var bad = WireSwimUpdate()
        bad.source = "a"
        bad.member.nodeID = "Not A Node"
        bad.member.address = "x:1"
        bad.member.status = .alive
        ping.updates = [bad]
        let error = #expect(throws: SWIMMessageDecodingError.self) { try SWIMMessage(serializedBytes: ping.serializedBytes()) }
        #expect(error?.message.contains("not a valid node ID") == true)

        ping.updates[0].member.nodeID = "b"
        ping.updates[0].member.status = .unspecified
        let statusError = #expect(throws: SWIMMessageDecodingError.self) { try SWIMMessage(serializedBytes: ping.serializedBytes()) }
        #expect(statusError?.message.contains("no valid status") == true)

        var request = WireSwimEnvelope()
        request.pingRequest.target = "b"
        request.pingRequest.targetAddress = "b:1"
        let addressError = #expect(throws: SWIMMessageDecodingError.self) { try SWIMMessage(serializedBytes: request.serializedBytes()) }
        #expect(addressError?.message.contains("reply address is empty") == true)
    }

    @Test func catalogueNewsRidesOnlyOnGossipAndNamesValidNodes() throws {
        var ping = WireSwimEnvelope()
        ping.ping.sequence = 1
        ping.ping.replyAddress = "a:1"
        var news = WireSwimCatalogueVersion()
        news.nodeID = "b"
        news.version = 3
        ping.catalogueNews = [news]
        let misplaced = #expect(throws: SWIMMessageDecodingError.self) { try SWIMMessage(serializedBytes: ping.serializedBytes()) }
        #expect(misplaced?.message.contains("only gossip messages carry catalogue news") == true)

        var gossip = WireSwimEnvelope()
        gossip.gossip = WireSwimGossip()
        news.nodeID = "Not A Node"
        gossip.catalogueNews = [news]
        let invalid = #expect(throws: SWIMMessageDecodingError.self) { try SWIMMessage(serializedBytes: gossip.serializedBytes()) }
        #expect(invalid?.message.contains("catalogue news node ID is not a valid node ID") == true)

        news.nodeID = "b"
        gossip.catalogueNews = Array(repeating: news, count: SWIMMessage.decodingMaxUpdates + 1)
        let tooMany = #expect(throws: SWIMMessageDecodingError.self) { try SWIMMessage(serializedBytes: gossip.serializedBytes()) }
        #expect(tooMany?.message.contains("catalogue announcements") == true)
    }
}
