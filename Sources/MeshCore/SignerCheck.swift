import Foundation
import X509

/// The check every signed document of the federation starts with (docs/ARCHITECTURE.md, "Identity and
/// PKI": one chain proves everything a node says): the signer's chain leads to the
/// federation CA, the signer is not revoked, and the signature verifies over the exact
/// signed bytes. Catalogues and query plans both run it, then check what is theirs (who the
/// document speaks for, expiry, deadlines).
public enum SignerCheck {
    /// Why the signer of a document cannot be believed.
    public enum Failure: Error, Sendable {
        /// A certificate of the chain (1-based position) is not DER X.509.
        case malformedCertificate(position: Int, reason: String)
        /// ``FederationChain`` refused the chain.
        case chain(FederationChainError)
        /// The signer's serial is on the revocation list.
        case revoked(signer: Certificate, listVersion: UInt64)
        /// The signature does not verify under the signer's key.
        case badSignature(signer: Certificate)
    }

    /// Returns the signer's certificate when `signature` (ECDSA with SHA-256) over
    /// `signedBytes` is by an unrevoked certificate whose chain leads to the CA at `time`.
    /// Checks run cheapest-to-trust first; nothing the signature covers is decoded here.
    public static func signer(
        of signature: [UInt8],
        over signedBytes: [UInt8],
        chain certificateChain: [[UInt8]],
        trust: FederationChain,
        revocations: RevocationList,
        at time: Date
    ) throws(Failure) -> Certificate {
        var certificates: [Certificate] = []
        for (position, der) in certificateChain.enumerated() {
            do {
                certificates.append(try Certificate(derEncoded: der))
            } catch {
                throw .malformedCertificate(position: position + 1, reason: "\(error)")
            }
        }
        let leaf: Certificate
        do {
            leaf = try trust.validate(certificates, at: time)
        } catch {
            throw .chain(error)
        }
        if revocations.contains(leaf.serialNumber) {
            throw .revoked(signer: leaf, listVersion: revocations.version)
        }
        guard leaf.publicKey.isValidSignature(signature, for: signedBytes, signatureAlgorithm: .ecdsaWithSHA256) else {
            throw .badSignature(signer: leaf)
        }
        return leaf
    }
}
