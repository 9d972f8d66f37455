/// A revocation list that cannot be made, read or trusted. The message names the file or
/// value at fault and says what to do.
public struct RevocationListError: Error, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// The bytes are not a revocation list of a format this node reads.
        case malformed
        /// The signature does not verify against the federation CA certificate.
        case badSignature
        /// The list is not newer than the one it would replace.
        case staleVersion
        /// The next update the CA promises is not after the list's issue time, or the
        /// interval an operator asked for is not at least a day: a list that is stale the
        /// moment it is signed would only teach operators to ignore the warning.
        case invalidNextUpdate
        /// A serial number given by an operator is not hexadecimal.
        case invalidSerial
        /// The CA key cannot sign (not P-256, or the signing itself failed).
        case signingFailed
        /// The list file cannot be read.
        case fileUnreadable
        /// The list file cannot be written.
        case fileUnwritable
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
