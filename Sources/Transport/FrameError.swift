/// Why a frame was refused. Any of these closes the connection it arrived on; the reason is
/// logged, and the process goes on serving its other connections.
public struct FrameError: Error, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case oversized
        case reservedFlags
        case truncated
        case undecompressable
        case payloadTooLarge
        case malformedEnvelope
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
