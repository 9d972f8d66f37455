import MeshCore
import Testing

@testable import Transport

@Suite struct PeerLinkStateMachineTests {
    let c1 = ConnectionID(rawValue: 1)
    let c2 = ConnectionID(rawValue: 2)

    @Test func firstSendDialsAndQueuesUntilConnected() throws {
        var link = PeerLinkStateMachine<Int>(queueCapacity: 8, localDialsWin: true)
        guard case .dial = try link.send(1) else { Issue.record("expected a dial"); return }
        guard case .queued = try link.send(2) else { Issue.record("expected queueing"); return }
        guard case .flush(let connection, let messages) = link.connectionAuthenticated(c1, dialedLocally: true) else {
            Issue.record("expected a flush")
            return
        }
        #expect(connection == c1 && messages == [1, 2])
        guard case .write(c1, 3) = try link.send(3) else { Issue.record("expected a direct write"); return }
    }

    @Test func aFullQueueIsAnErrorNotMemory() throws {
        var link = PeerLinkStateMachine<Int>(queueCapacity: 3, localDialsWin: true)
        for message in 0..<3 { _ = try link.send(message) }
        #expect(throws: PeerLinkStateMachine<Int>.QueueFull.self) { try link.send(3) }
        #expect(link.queuedCount == 3)
    }

    @Test func failedDialsBackOffWhileMessagesWait() throws {
        var link = PeerLinkStateMachine<Int>(queueCapacity: 8, localDialsWin: true)
        _ = try link.send(1)
        guard case .scheduleReconnect(afterFailures: 0) = link.dialFailed() else { Issue.record("expected backoff"); return }
        guard case .dial = link.reconnectTimerFired() else { Issue.record("expected a redial"); return }
        guard case .scheduleReconnect(afterFailures: 1) = link.dialFailed() else { Issue.record("expected longer backoff"); return }
        #expect(link.state == .backingOff(failures: 2))
        guard case .flush(_, [1]) = link.connectionAuthenticated(c1, dialedLocally: true) else {
            Issue.record("expected the queued message to flush")
            return
        }
    }

    @Test func restsWhenNothingIsQueued() throws {
        var link = PeerLinkStateMachine<Int>(queueCapacity: 8, localDialsWin: true)
        _ = try link.send(1)
        _ = link.dialFailed()
        _ = link.removeQueued { _ in true }
        guard case .none = link.reconnectTimerFired() else { Issue.record("expected rest"); return }
        #expect(link.state == .idle)
    }

    @Test func lostConnectionRedialsOnlyWithWork() throws {
        var link = PeerLinkStateMachine<Int>(queueCapacity: 8, localDialsWin: true)
        _ = link.connectionAuthenticated(c1, dialedLocally: false)
        guard case .none = link.connectionClosed(c1) else { Issue.record("expected rest"); return }
        #expect(link.state == .idle)
        _ = link.connectionAuthenticated(c2, dialedLocally: false)
        _ = link.writabilityChanged(c2, isWritable: false)
        guard case .queued = try link.send(5) else { Issue.record("expected queueing while unwritable"); return }
        guard case .dial = link.connectionClosed(c2) else { Issue.record("expected a redial"); return }
    }

    /// Both nodes dial at once; each sees its own dial and the peer's. Both must keep the
    /// same TCP connection: the one dialed by the lower node ID.
    @Test func simultaneousDialsKeepTheLowerNodesConnection() throws {
        // Node "a" (lower) and node "b". Connection X is dialed by a, Y by b.
        let x = ConnectionID(rawValue: 10)
        let y = ConnectionID(rawValue: 20)
        for order in [[true, false], [false, true]] {
            var atA = PeerLinkStateMachine<Int>(queueCapacity: 8, localDialsWin: true)
            var atB = PeerLinkStateMachine<Int>(queueCapacity: 8, localDialsWin: false)
            _ = try atA.send(1)
            _ = try atB.send(2)
            var closedAtA: [ConnectionID] = []
            var closedAtB: [ConnectionID] = []
            for xFirst in order {
                // At a: X is local, Y inbound. At b: X inbound, Y local.
                let actionA = xFirst ? atA.connectionAuthenticated(x, dialedLocally: true) : atA.connectionAuthenticated(y, dialedLocally: false)
                let actionB = xFirst ? atB.connectionAuthenticated(x, dialedLocally: false) : atB.connectionAuthenticated(y, dialedLocally: true)
                closedAtA += Self.closed(actionA)
                closedAtB += Self.closed(actionB)
            }
            #expect(closedAtA == [y] && closedAtB == [y], "order \(order)")
            guard case .connected(let keptA, _, _) = atA.state, case .connected(let keptB, _, _) = atB.state else {
                Issue.record("both should be connected")
                continue
            }
            #expect(keptA == x && keptB == x)
        }
    }

    @Test func aNewerConnectionFromTheSameSideReplacesTheOlder() {
        var link = PeerLinkStateMachine<Int>(queueCapacity: 8, localDialsWin: true)
        _ = link.connectionAuthenticated(c1, dialedLocally: false)
        #expect(Self.closed(link.connectionAuthenticated(c2, dialedLocally: false)) == [c1])
    }

    static func closed(_ action: PeerLinkStateMachine<Int>.Action) -> [ConnectionID] {
        switch action {
        case .close(let id): [id]
        case .closeAndFlush(let id, _, _): [id]
        default: []
        }
    }
}

@Suite struct ReconnectBackoffTests {
    @Test func growsExponentiallyUpToTheCapWithBoundedJitter() {
        let backoff = ReconnectBackoff(initial: .milliseconds(100), maximum: .seconds(5), jitterFraction: 0.2)
        var random = SeededRandom(seed: 7)
        for failures in 0..<12 {
            let base = min(0.1 * Double(1 << failures), 5.0)
            let delay = backoff.delay(afterFailures: failures, random: &random)
            let seconds = Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18
            #expect(seconds >= base * 0.8 - 1e-9 && seconds <= base * 1.2 + 1e-9, "failures \(failures): \(seconds)")
        }
    }

    @Test func sameSeedSameDelays() {
        let backoff = ReconnectBackoff(initial: .milliseconds(100), maximum: .seconds(5), jitterFraction: 0.2)
        var a = SeededRandom(seed: 1)
        var b = SeededRandom(seed: 1)
        let first = (0..<5).map { backoff.delay(afterFailures: $0, random: &a) }
        let second = (0..<5).map { backoff.delay(afterFailures: $0, random: &b) }
        #expect(first == second)
    }
}
