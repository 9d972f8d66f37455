/// A failure to create, load or use federation certificates and keys. The message names the
/// file or value at fault and says what to do.
public struct PKIError: Error, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case alreadyExists
        case fileUnreadable
        case fileUnwritable
        case malformedPEM
        case unsupportedKey
        case invalidHost
        case invalidIdentity
        case signingFailed
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
