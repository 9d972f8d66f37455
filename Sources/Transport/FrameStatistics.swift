import NIOConcurrencyHelpers

/// Counters of one endpoint's frames, shared by all its connections: what the demo prints and
/// what tells an operator how much compression saves.
public final class FrameStatistics: Sendable {
    public struct Snapshot: Sendable, Equatable {
        public var framesSent = 0
        public var framesSentCompressed = 0
        public var payloadBytesSent = 0
        public var wireBytesSent = 0
        public var framesReceived = 0
        public var framesReceivedCompressed = 0
        public var payloadBytesReceived = 0
        public var wireBytesReceived = 0
    }

    private let box = NIOLockedValueBox(Snapshot())

    public init() {}

    public var snapshot: Snapshot { box.withLockedValue { $0 } }

    func recordSent(payloadBytes: Int, wireBytes: Int, compressed: Bool) {
        box.withLockedValue {
            $0.framesSent += 1
            $0.framesSentCompressed += compressed ? 1 : 0
            $0.payloadBytesSent += payloadBytes
            $0.wireBytesSent += wireBytes
        }
    }

    func recordReceived(payloadBytes: Int, wireBytes: Int, compressed: Bool) {
        box.withLockedValue {
            $0.framesReceived += 1
            $0.framesReceivedCompressed += compressed ? 1 : 0
            $0.payloadBytesReceived += payloadBytes
            $0.wireBytesReceived += wireBytes
        }
    }
}
