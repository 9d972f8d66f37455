/// Why a node refused a catalogue offered by a peer. The shell logs the message; the store
/// counts rejections by ``Reason`` (``CatalogueStore/rejections``) for metrics.
public struct CatalogueRejection: Error, Equatable, CustomStringConvertible {
    public enum Reason: String, Sendable, Hashable, CaseIterable {
        /// The payload or a certificate does not decode, or a required field is missing.
        case malformed
        /// The signer's certificate is not issued by the federation CA.
        case untrustedChain
        /// The signer's certificate (or the CA) is expired or not yet valid.
        case certificateNotValid
        /// The certificate is trusted but may not sign for a node (a CA, no digitalSignature).
        case unsuitableCertificate
        /// The signer's certificate serial is on the federation's revocation list.
        case revokedSigner
        /// The signature does not verify over the exact payload bytes.
        case badSignature
        /// The certificate's SAN names another node (or a researcher) than the catalogue.
        case nodeIDMismatch
        /// The catalogue is past its expiry.
        case expired
        /// The catalogue was issued further in the future than clock skew explains.
        case issuedInFuture
        /// The store already holds this version or a newer one of the node's catalogue.
        case staleVersion
    }

    public let reason: Reason
    public let message: String

    public init(_ reason: Reason, _ message: String) {
        self.reason = reason
        self.message = message
    }

    public var description: String { "\(reason.rawValue): \(message)" }
}
