import Foundation
import MeshCore
import NIOCore
import Testing

@testable import Transport

/// End-to-end behaviour of the connection manager over real loopback sockets.
@Suite struct MeshTransportTests {
    func echo(_ body: [UInt8]) -> Envelope {
        var envelope = Envelope()
        envelope.kind = .echo
        envelope.body = Data(body)
        return envelope
    }

    @Test func requestsAreAnsweredAndLargeOnesCompressed() async throws {
        let federation = try TestFederation()
        let a = try federation.transport(try federation.node("a"))
        let b = try federation.transport(try federation.node("b"))
        let portB = try #require(try await b.listen(host: "127.0.0.1", port: 0).port)
        _ = federation.serveEcho(b)
        await a.setAddress(PeerAddress(host: "127.0.0.1", port: portB), for: try NodeID("b"))

        for size in [0, 100, 4096, 65536] {
            let body = LZ4FrameTests.text(bytes: size)
            let response = try await a.request(echo(body), to: try NodeID("b"), timeout: .seconds(10))
            #expect(response.body == Data(body))
            #expect(response.sender == "b")
        }
        let stats = a.statistics.snapshot
        #expect(stats.framesSent == 4 && stats.framesSentCompressed == 2)
        #expect(stats.wireBytesSent < stats.payloadBytesSent / 2)
        #expect(await a.connectedPeers == [try NodeID("b")])
        await federation.shutdown()
    }

    @Test func oneWayMessagesCarryTheProvenIdentity() async throws {
        let federation = try TestFederation()
        let a = try federation.transport(try federation.node("a"))
        let b = try federation.transport(try federation.node("b"))
        let portB = try #require(try await b.listen(host: "127.0.0.1", port: 0).port)
        await a.setAddress(PeerAddress(host: "127.0.0.1", port: portB), for: try NodeID("b"))
        var message = echo([1, 2, 3])
        message.sender = "somebody-else"
        try await a.send(message, to: try NodeID("b"))
        var iterator = b.messages.makeAsyncIterator()
        let received = try #require(await iterator.next())
        #expect(received.from == .node(try NodeID("a")))
        #expect(received.envelope.sender == "a", "the transport stamps the real sender")
        #expect(received.envelope.body == Data([1, 2, 3]))
        await federation.shutdown()
    }

    /// Both nodes dial each other at the same moment, many times over; each pair ends with
    /// one connection and every message arrives.
    @Test func simultaneousDialsSettleOnOneConnection() async throws {
        let federation = try TestFederation()
        for round in 0..<5 {
            let a = try federation.transport(try federation.node("a"), seed: UInt64(round))
            let b = try federation.transport(try federation.node("b"), seed: UInt64(round + 100))
            let recorderA = EventRecorder(a)
            let portA = try #require(try await a.listen(host: "127.0.0.1", port: 0).port)
            let portB = try #require(try await b.listen(host: "127.0.0.1", port: 0).port)
            await a.setAddress(PeerAddress(host: "127.0.0.1", port: portB), for: try NodeID("b"))
            await b.setAddress(PeerAddress(host: "127.0.0.1", port: portA), for: try NodeID("a"))
            async let sendA: Void = { for i in 0..<20 { try await a.send(echo([UInt8(i)]), to: try NodeID("b")) } }()
            async let sendB: Void = { for i in 0..<20 { try await b.send(echo([UInt8(i)]), to: try NodeID("a")) } }()
            _ = try await (sendA, sendB)

            var receivedAtA = 0
            var receivedAtB = 0
            var iteratorA = a.messages.makeAsyncIterator()
            var iteratorB = b.messages.makeAsyncIterator()
            while receivedAtA < 20, await iteratorA.next() != nil { receivedAtA += 1 }
            while receivedAtB < 20, await iteratorB.next() != nil { receivedAtB += 1 }
            #expect(receivedAtA == 20 && receivedAtB == 20, "round \(round)")

            try await Task.sleep(for: .milliseconds(100))
            #expect(await a.openConnectionCount == 1, "round \(round)")
            #expect(await b.openConnectionCount == 1, "round \(round)")
            // Whichever connection survived was dialed by "a", the lower node ID.
            let survivors = recorderA.events.compactMap { event -> Bool? in
                if case .authenticated(let peer) = event { return peer.inbound } else { return nil }
            }
            #expect(!survivors.isEmpty)
            await a.shutdown()
            await b.shutdown()
        }
        await federation.shutdown()
    }

    @Test func aFullOutboundQueueIsAnErrorToTheCaller() async throws {
        let federation = try TestFederation()
        var settings = TransportSettings()
        settings.outboundQueueMaxMessages = 4
        settings.reconnectBackoffInitial = .seconds(30)
        settings.reconnectBackoffMax = .seconds(30)
        let a = try federation.transport(try federation.node("a"), settings: settings)
        // A port where nothing listens: every dial is refused.
        let unused = try await federation.transport(try federation.node("x")).listen(host: "127.0.0.1", port: 0)
        let port = try #require(unused.port)
        await federation.transportNamed("x")?.shutdown()
        await a.setAddress(PeerAddress(host: "127.0.0.1", port: port), for: try NodeID("b"))
        for i in 0..<4 { try await a.send(echo([UInt8(i)]), to: try NodeID("b")) }
        await #expect {
            try await a.send(echo([9]), to: try NodeID("b"))
        } throws: { error in
            (error as? TransportError)?.code == .outboundQueueFull
        }
        await #expect {
            try await a.send(echo([9]), to: try NodeID("nobody"))
        } throws: { error in
            (error as? TransportError)?.code == .unknownPeer
        }
        await federation.shutdown()
    }

    @Test func reconnectsWithBackoffAndDeliversWhatWaited() async throws {
        let federation = try TestFederation()
        var settings = TransportSettings()
        settings.reconnectBackoffInitial = .milliseconds(50)
        settings.reconnectBackoffMax = .milliseconds(200)
        let a = try federation.transport(try federation.node("a"), settings: settings)
        let bCredential = try federation.node("b")
        let first = try federation.transport(bCredential)
        let port = try #require(try await first.listen(host: "127.0.0.1", port: 0).port)
        await first.shutdown()

        await a.setAddress(PeerAddress(host: "127.0.0.1", port: port), for: try NodeID("b"))
        try await a.send(echo([42]), to: try NodeID("b"))
        try await Task.sleep(for: .milliseconds(300))  // a few failed dials

        let second = try federation.transport(bCredential)
        _ = try await second.listen(host: "127.0.0.1", port: port)
        var iterator = second.messages.makeAsyncIterator()
        let received = try #require(await iterator.next())
        #expect(received.envelope.body == Data([42]))
        #expect(received.from == .node(try NodeID("a")))
        await federation.shutdown()
    }

    @Test func requestsTimeOutAtTheirDeadline() async throws {
        let federation = try TestFederation()
        let a = try federation.transport(try federation.node("a"))
        let b = try federation.transport(try federation.node("b"))  // never answers
        let port = try #require(try await b.listen(host: "127.0.0.1", port: 0).port)
        await a.setAddress(PeerAddress(host: "127.0.0.1", port: port), for: try NodeID("b"))
        await #expect {
            _ = try await a.request(echo([1]), to: try NodeID("b"), timeout: .milliseconds(200))
        } throws: { error in
            (error as? TransportError)?.code == .deadlineExceeded
        }
        var iterator = b.messages.makeAsyncIterator()
        let request = try #require(await iterator.next())
        #expect(request.envelope.deadlineUnixMs > 0)
        await federation.shutdown()
    }

    /// Past its inbound bound in bytes, a node answers a request busy at once with the retry
    /// hint (its sender does not wait for the deadline); once the consumer takes a message,
    /// its bytes are free again.
    @Test func aFullInboundQueueAnswersBusyWithARetryHint() async throws {
        let federation = try TestFederation()
        let a = try federation.transport(try federation.node("a"))
        var settings = TransportSettings()
        settings.inboundQueueMaxBytes = 100
        settings.busyRetryAfter = .milliseconds(750)
        let b = try federation.transport(try federation.node("b"), settings: settings)
        let port = try #require(try await b.listen(host: "127.0.0.1", port: 0).port)
        await a.setAddress(PeerAddress(host: "127.0.0.1", port: port), for: try NodeID("b"))
        let nodeB = try NodeID("b")
        // 60 bytes wait in b's queue: nobody consumes them yet.
        await #expect(throws: TransportError.self) { _ = try await a.request(echo(Array(repeating: 1, count: 60)), to: nodeB, timeout: .milliseconds(300)) }
        let busy = try await a.exchange(echo(Array(repeating: 2, count: 60)), to: nodeB, timeout: .seconds(10))
        #expect(busy.status == .busy)
        #expect(busy.retryAfterMs == 750)
        #expect(busy.statusMessage.contains("holds 60 bytes and this message has 60; the limit is 100 bytes"), "\(busy.statusMessage)")
        #expect(await b.droppedInboundMessageCount == 1)
        var iterator = b.messages.makeAsyncIterator()
        let first = try #require(await iterator.next())
        #expect(first.envelope.body.count == 60)
        // Taken: the next one fits again (and waits, unanswered, until its deadline).
        await #expect {
            _ = try await a.request(echo(Array(repeating: 3, count: 60)), to: nodeB, timeout: .milliseconds(300))
        } throws: { error in
            (error as? TransportError)?.code == .deadlineExceeded
        }
        let second = try #require(await iterator.next())
        #expect(second.envelope.body == Data(Array(repeating: 3, count: 60)))
        await federation.shutdown()
    }

    /// A request to a peer that has gone (its port refuses connections) fails as soon as the
    /// dial fails, long before its timeout, so that the caller can turn to someone else;
    /// one-way messages stay queued for the reconnect.
    @Test func requestsToAPeerThatCannotBeDialledFailAtOnce() async throws {
        let federation = try TestFederation()
        let a = try federation.transport(try federation.node("a"))
        let b = try federation.transport(try federation.node("b"))
        let port = try #require(try await b.listen(host: "127.0.0.1", port: 0).port)
        _ = federation.serveEcho(b)
        await a.setAddress(PeerAddress(host: "127.0.0.1", port: port), for: try NodeID("b"))
        _ = try await a.request(echo([1]), to: try NodeID("b"), timeout: .seconds(10))
        await b.shutdown()

        let start = ContinuousClock.now
        await #expect {
            _ = try await a.request(echo([2]), to: try NodeID("b"), timeout: .seconds(30))
        } throws: { error in
            (error as? TransportError)?.code == .connectionFailed
        }
        #expect(ContinuousClock.now - start < .seconds(10), "failed at the dial, not at the 30 s timeout")
        await federation.shutdown()
    }

    @Test func idleConnectionsCloseAndRedialOnDemand() async throws {
        let federation = try TestFederation()
        var settings = TransportSettings()
        settings.idleTimeout = .seconds(1)
        let a = try federation.transport(try federation.node("a"), settings: settings)
        let b = try federation.transport(try federation.node("b"))
        let recorder = EventRecorder(a)
        let port = try #require(try await b.listen(host: "127.0.0.1", port: 0).port)
        _ = federation.serveEcho(b)
        await a.setAddress(PeerAddress(host: "127.0.0.1", port: port), for: try NodeID("b"))
        _ = try await a.request(echo([1]), to: try NodeID("b"), timeout: .seconds(5))
        let closed = await recorder.waitFor { if case .closed(_, "idle") = $0 { true } else { false } }
        #expect(closed != nil)
        #expect(await a.openConnectionCount == 0)
        let response = try await a.request(echo([2]), to: try NodeID("b"), timeout: .seconds(5))
        #expect(response.body == Data([2]))
        await federation.shutdown()
    }

    @Test func aPeerThatIsNotTheDialedNodeIsRefused() async throws {
        let federation = try TestFederation()
        let a = try federation.transport(try federation.node("a"))
        let b = try federation.transport(try federation.node("b"))
        let port = try #require(try await b.listen(host: "127.0.0.1", port: 0).port)
        await #expect {
            _ = try await a.connect(to: PeerAddress(host: "127.0.0.1", port: port), expecting: try NodeID("c"))
        } throws: { error in
            (error as? TransportError)?.code == .connectionFailed
        }
        let refusals = EventRecorder(a)
        await a.setAddress(PeerAddress(host: "127.0.0.1", port: port), for: try NodeID("c"))
        try await a.send(echo([1]), to: try NodeID("c"))
        let refused = await refusals.waitFor { if case .refused = $0 { true } else { false } }
        guard case .refused(_, let reason) = refused else {
            Issue.record("no refusal")
            await federation.shutdown()
            return
        }
        #expect(reason.contains("dialed node c but the peer is node b"))
        await federation.shutdown()
    }

    @Test func parsesPeerAddresses() throws {
        #expect(try PeerAddress(parsing: "10.0.0.1:7400") == PeerAddress(host: "10.0.0.1", port: 7400))
        #expect(try PeerAddress(parsing: "[::1]:7400") == PeerAddress(host: "::1", port: 7400))
        #expect(try PeerAddress(parsing: "node-a.example.org:1") == PeerAddress(host: "node-a.example.org", port: 1))
        #expect(try PeerAddress(parsing: "[2001:db8::7]:7400").description == "[2001:db8::7]:7400")
        // Found by fuzzing the configuration loader: a host that is neither an address nor a
        // name was accepted, and written back as one the loader refused.
        for bad in ["nohost", ":7400", "host:0", "host:70000", "host:x", "[::1]7400", "127.0.0.1:74027.0.0.1:7400", "::1:7400", "[zz]:7400",
            "300.1.2.3:7400", "host_name:7400", "-node.org:7400", "a..b:7400"] {
            #expect(throws: TransportError.self, "\(bad)") { try PeerAddress(parsing: bad) }
        }
    }
}
