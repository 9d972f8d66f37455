import MeshCore
import NIOCore

/// The connection to one peer node, as a state machine without I/O (docs/ARCHITECTURE.md, "Code structure: pure cores and thin shells"): one
/// method per event, each returning what the shell must do.
///
/// - One persistent connection per peer pair. When both sides dial at once, both end up with
///   two connections and both keep the same one: the one dialed by the node with the lower
///   node ID. Between two connections dialed by the same side, the newer wins (the older is
///   probably half-dead).
/// - Messages sent while there is no usable connection wait in a bounded queue; a full
///   queue is an error to the caller, never unbounded memory.
/// - A failed dial with messages still queued is retried after an exponential backoff; with
///   nothing queued the link rests until the next send.
struct PeerLinkStateMachine<Message> {
    enum State: Equatable {
        /// No connection and no dial in flight.
        case idle
        /// A dial is in flight; `failures` counts consecutive failed dials before it.
        case connecting(failures: Int)
        /// Waiting for the reconnect timer after `failures` consecutive failed dials.
        case backingOff(failures: Int)
        /// `connection` carries the traffic; `dialInFlight` is a dial of ours that may yet
        /// produce a duplicate.
        case connected(connection: ConnectionID, dialedLocally: Bool, dialInFlight: Bool)
        case shutDown
    }

    enum SendAction {
        case write(ConnectionID, Message)
        case dial
        case queued
    }

    enum Action {
        case none
        case dial
        case flush(ConnectionID, [Message])
        case close(ConnectionID)
        case closeAndFlush(close: ConnectionID, flush: ConnectionID, [Message])
        case scheduleReconnect(afterFailures: Int)
    }

    struct QueueFull: Error {}

    private(set) var state: State = .idle
    private var queue = CircularBuffer<Message>()
    private var writable = true
    let queueCapacity: Int
    /// Whether the local node ID sorts before the peer's: then connections dialed locally win.
    let localDialsWin: Bool

    init(queueCapacity: Int, localDialsWin: Bool) {
        precondition(queueCapacity > 0)
        self.queueCapacity = queueCapacity
        self.localDialsWin = localDialsWin
    }

    var queuedCount: Int { queue.count }

    mutating func send(_ message: Message) throws(QueueFull) -> SendAction {
        switch state {
        case .connected(let connection, _, _) where writable && queue.isEmpty:
            return .write(connection, message)
        case .idle:
            try enqueue(message)
            state = .connecting(failures: 0)
            return .dial
        case .connecting, .backingOff, .connected:
            try enqueue(message)
            return .queued
        case .shutDown:
            throw QueueFull()
        }
    }

    /// A connection to this peer (dialed by either side) passed authentication.
    mutating func connectionAuthenticated(_ connection: ConnectionID, dialedLocally: Bool) -> Action {
        switch state {
        case .idle, .backingOff:
            state = .connected(connection: connection, dialedLocally: dialedLocally, dialInFlight: false)
            writable = true
            return flushAction(connection)
        case .connecting:
            // An inbound connection may beat our own dial; our dial is then still in flight.
            state = .connected(connection: connection, dialedLocally: dialedLocally, dialInFlight: !dialedLocally)
            writable = true
            return flushAction(connection)
        case .connected(let active, let activeDialedLocally, let dialInFlight):
            let stillDialing = dialInFlight && !dialedLocally
            if keepsNew(newDialedLocally: dialedLocally, activeDialedLocally: activeDialedLocally) {
                state = .connected(connection: connection, dialedLocally: dialedLocally, dialInFlight: stillDialing)
                writable = true
                let pending = drain()
                return .closeAndFlush(close: active, flush: connection, pending)
            }
            state = .connected(connection: active, dialedLocally: activeDialedLocally, dialInFlight: stillDialing)
            return .close(connection)
        case .shutDown:
            return .close(connection)
        }
    }

    /// Our dial failed (TCP, TLS or identity check).
    mutating func dialFailed() -> Action {
        switch state {
        case .connecting(let failures):
            if queue.isEmpty {
                state = .idle
                return .none
            }
            state = .backingOff(failures: failures + 1)
            return .scheduleReconnect(afterFailures: failures)
        case .connected(let connection, let dialedLocally, _):
            state = .connected(connection: connection, dialedLocally: dialedLocally, dialInFlight: false)
            return .none
        case .idle, .backingOff, .shutDown:
            return .none
        }
    }

    mutating func reconnectTimerFired() -> Action {
        guard case .backingOff(let failures) = state else { return .none }
        if queue.isEmpty {
            state = .idle
            return .none
        }
        state = .connecting(failures: failures)
        return .dial
    }

    /// An authenticated connection to this peer closed.
    mutating func connectionClosed(_ connection: ConnectionID) -> Action {
        guard case .connected(let active, _, let dialInFlight) = state, active == connection else {
            return .none
        }
        if dialInFlight {
            state = .connecting(failures: 0)
            return .none
        }
        if queue.isEmpty {
            state = .idle
            return .none
        }
        state = .connecting(failures: 0)
        return .dial
    }

    mutating func writabilityChanged(_ connection: ConnectionID, isWritable: Bool) -> Action {
        guard case .connected(let active, _, _) = state, active == connection else { return .none }
        writable = isWritable
        return isWritable ? flushAction(connection) : .none
    }

    /// Stops the link; returns the messages that were never sent.
    mutating func shutDown() -> [Message] {
        state = .shutDown
        return drain()
    }

    /// Drops queued messages that no longer matter (for example past their deadline).
    mutating func removeQueued(where shouldRemove: (Message) -> Bool) -> [Message] {
        var kept = CircularBuffer<Message>()
        var removed: [Message] = []
        for message in queue {
            if shouldRemove(message) { removed.append(message) } else { kept.append(message) }
        }
        queue = kept
        return removed
    }

    private func keepsNew(newDialedLocally: Bool, activeDialedLocally: Bool) -> Bool {
        if newDialedLocally == activeDialedLocally { return true }
        // The preferred dialer is the lower node ID.
        return newDialedLocally == localDialsWin
    }

    private mutating func enqueue(_ message: Message) throws(QueueFull) {
        guard queue.count < queueCapacity else { throw QueueFull() }
        queue.append(message)
    }

    private mutating func flushAction(_ connection: ConnectionID) -> Action {
        guard writable, !queue.isEmpty else { return .none }
        return .flush(connection, drain())
    }

    private mutating func drain() -> [Message] {
        let messages = Array(queue)
        queue.removeAll()
        return messages
    }
}
