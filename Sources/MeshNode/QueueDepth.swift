import Foundation

/// How many items wait in a queue whose producer and consumer run in different tasks (an
/// `AsyncStream` does not say): the producer adds what it queued, the consumer takes away
/// what it took. For the operator's queue-depth gauges.
final class QueueDepth: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    var current: Int { lock.withLock { count } }

    func added() { lock.withLock { count += 1 } }

    func taken() { lock.withLock { count -= 1 } }
}
