import MeshCore

/// Why the transport could not deliver a message or a request. The message says what to do.
public struct TransportError: Error, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case outboundQueueFull
        case unknownPeer
        case deadlineExceeded
        case connectionFailed
        case shutDown
        case remoteError
        case notListening
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
