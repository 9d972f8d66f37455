import NIOConcurrencyHelpers

/// The messages and requests peers sent, oldest first, as ``MeshTransport/messages``
/// yields them: bounded in count and in bytes. The bytes of a message (its body) count
/// from the moment the transport receives it until the consumer takes it, so a few large
/// plans cannot fill memory while the count bound alone would still admit thousands.
public struct InboundMessages: AsyncSequence, Sendable {
    public typealias Element = InboundMessage

    let stream: AsyncStream<InboundMessage>
    let queuedBytes: QueuedBytes

    public func makeAsyncIterator() -> Iterator {
        Iterator(base: stream.makeAsyncIterator(), queuedBytes: queuedBytes)
    }

    public struct Iterator: AsyncIteratorProtocol {
        var base: AsyncStream<InboundMessage>.Iterator
        let queuedBytes: QueuedBytes

        public mutating func next() async -> InboundMessage? {
            guard let message = await base.next() else { return nil }
            queuedBytes.release(InboundMessages.size(of: message))
            return message
        }
    }

    /// What a message weighs against `TransportSettings.inboundQueueMaxBytes`.
    static func size(of message: InboundMessage) -> Int {
        message.envelope.body.count
    }

    /// The bytes of the messages received and not yet taken, shared by the transport's
    /// event loop (which adds) and the consumer (which takes away).
    final class QueuedBytes: Sendable {
        let limit: Int
        /// Bytes and messages queued; the count is what the operator's queue depth shows.
        private let queued = NIOLockedValueBox((bytes: 0, messages: 0))

        init(limit: Int) {
            self.limit = limit
        }

        var current: Int { queued.withLockedValue { $0.bytes } }

        /// Messages received and not yet taken.
        var messages: Int { queued.withLockedValue { $0.messages } }

        /// Counts one more message of `size` bytes if it fits under the limit.
        func reserve(_ size: Int) -> Bool {
            queued.withLockedValue { queued in
                guard queued.bytes + size <= limit else { return false }
                queued.bytes += size
                queued.messages += 1
                return true
            }
        }

        /// One message of `size` bytes taken (or dropped after all).
        func release(_ size: Int) {
            queued.withLockedValue {
                $0.bytes -= size
                $0.messages -= 1
            }
        }
    }
}
