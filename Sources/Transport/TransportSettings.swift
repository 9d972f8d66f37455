/// Settings of a ``MeshTransport``, with the defaults a node runs with. Every queue is
/// bounded; durations carry their unit in their type, counts and sizes in their names.
public struct TransportSettings: Sendable {
    public var frame = FrameSettings()

    /// Messages waiting for a peer whose connection is being (re)established or cannot take
    /// more writes. Past this, ``MeshTransport/send(_:to:)`` throws `outboundQueueFull`.
    public var outboundQueueMaxMessages = 1024

    /// Received messages not yet consumed from ``MeshTransport/messages``. Past this, or
    /// past ``inboundQueueMaxBytes``, new messages are dropped and counted, and a request is
    /// answered busy at once (``busyRetryAfter``).
    public var inboundQueueMaxMessages = 4096

    /// The bodies of received messages not yet consumed, in bytes: at least one message of
    /// the largest size a frame may decompress to.
    public var inboundQueueMaxBytes = 256 * 1024 * 1024

    /// What a busy answer tells the sender to wait before trying again.
    public var busyRetryAfter: Duration = .seconds(1)

    /// Connection events (authenticated, refused, closed) kept for a slow consumer.
    public var eventQueueMaxEvents = 1024

    /// TCP connect timeout.
    public var connectTimeout: Duration = .seconds(5)

    /// A connection whose TLS handshake has not completed by then is closed: a peer cannot
    /// hold a socket open without proving who it is.
    public var handshakeTimeout: Duration = .seconds(10)

    /// First reconnect delay after a failed dial; doubled per failure up to the maximum.
    public var reconnectBackoffInitial: Duration = .milliseconds(100)
    public var reconnectBackoffMax: Duration = .seconds(30)
    /// Each delay is multiplied by a random factor in [1 - jitter, 1 + jitter], so that
    /// nodes that lost the same peer do not all redial in step.
    public var reconnectJitterFraction = 0.2

    /// A connection that has carried nothing in either direction for this long is closed;
    /// the next message to that peer dials again.
    public var idleTimeout: Duration = .seconds(300)

    public init() {}
}
