import Crypto
import Foundation
import SwiftASN1
import X509

/// A ``RevocationList`` as the CA signed it: the exact encoded bytes and an ECDSA P-256
/// (SHA-256, DER) signature over them. This is what gossip carries and what the CA directory
/// keeps; nothing in it is trusted until ``verify(caCertificate:)`` has checked it.
///
/// On disk (``fileName`` in the CA directory) it is PEM armour around
/// `u32 payload length | payload | signature`, labelled ``pemLabel``: text that survives
/// copy and paste between operators, and whose label says what it is.
public struct SignedRevocationList: Sendable, Equatable {
    public static let fileName = "revocations.pem"
    public static let pemLabel = "ONCOMESH REVOCATION LIST"

    public let payload: [UInt8]
    public let signature: [UInt8]

    /// Wraps bytes received from a peer or a file; verify before use.
    public init(payload: [UInt8], signature: [UInt8]) {
        self.payload = payload
        self.signature = signature
    }

    /// Signs `list` with the CA key. Only ``FederationCA`` holds that key.
    static func sign(_ list: RevocationList, with key: Certificate.PrivateKey) throws(RevocationListError) -> SignedRevocationList {
        guard P256.Signing.PublicKey(key.publicKey) != nil else {
            throw RevocationListError(.signingFailed, "the CA key is not ECDSA P-256; the federation signs with P-256 only")
        }
        let payload = list.encoded()
        do {
            let signature = try key.sign(bytes: payload, signatureAlgorithm: .ecdsaWithSHA256)
            return SignedRevocationList(payload: payload, signature: signature.rawRepresentation)
        } catch {
            throw RevocationListError(.signingFailed, "cannot sign revocation list version \(list.version): \(error)")
        }
    }

    /// Checks the signature against the federation CA certificate, then decodes the list.
    /// The signature is checked first, so no unauthenticated bytes reach the decoder.
    public func verify(caCertificate: Certificate) throws(RevocationListError) -> RevocationList {
        guard P256.Signing.PublicKey(caCertificate.publicKey) != nil,
            caCertificate.publicKey.isValidSignature(signature, for: payload, signatureAlgorithm: .ecdsaWithSHA256)
        else {
            throw RevocationListError(
                .badSignature,
                "the revocation list is not signed by the federation CA '\(caCertificate.subject)' (tampered, or from another federation)"
            )
        }
        return try RevocationList(decoding: payload)
    }

    /// The file contents.
    public func pemString() -> String {
        var bytes: [UInt8] = []
        bytes.appendBigEndian(UInt32(payload.count))
        bytes.append(contentsOf: payload)
        bytes.append(contentsOf: signature)
        return PEMDocument(type: Self.pemLabel, derBytes: bytes).pemString + "\n"
    }

    /// Parses the file contents; `source` names the file in errors.
    public init(pemString: String, source: String) throws(RevocationListError) {
        let document: PEMDocument
        do {
            document = try PEMDocument(pemString: pemString)
        } catch {
            throw RevocationListError(.malformed, "'\(source)' is not a PEM file: \(error)")
        }
        guard document.discriminator == Self.pemLabel else {
            throw RevocationListError(.malformed, "'\(source)' holds a '\(document.discriminator)', not an '\(Self.pemLabel)'")
        }
        var reader = ByteReader(document.derBytes)
        guard let length = reader.uint32(), let payload = reader.take(Int(length)), reader.remaining > 0,
            let signature = reader.take(reader.remaining)
        else {
            throw RevocationListError(.malformed, "'\(source)' is truncated: its payload or signature is missing")
        }
        self.init(payload: Array(payload), signature: Array(signature))
    }

    /// Reads a revocation list file (unverified).
    public static func load(path: String) throws(RevocationListError) -> SignedRevocationList {
        let text: String
        do {
            text = try SecureFile.read(path)
        } catch {
            throw RevocationListError(.fileUnreadable, error.message)
        }
        return try SignedRevocationList(pemString: text, source: path)
    }
}
