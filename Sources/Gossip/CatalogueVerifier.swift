import Foundation
import MeshCore
import X509

/// Decides whether a signed catalogue from a peer may be believed (docs/ARCHITECTURE.md, "Gossip"):
///
/// 1. the certificate chain leads to the federation CA at `now` (``FederationChain``);
/// 2. the signer's serial is not on the revocation list;
/// 3. the signature verifies over the exact payload bytes;
/// 4. the payload decodes, and the certificate's SAN node ID is the catalogue's node ID
///    (a node speaks only for itself);
/// 5. the catalogue has not expired, and was not issued beyond clock skew in the future.
///
/// Checks run cheapest-to-trust first, and nothing unauthenticated is decoded before the
/// signature has verified. Version ordering is the store's concern (``CatalogueStore``).
public struct CatalogueVerifier: Sendable {
    public let chain: FederationChain
    public var revocations: RevocationList
    /// How far in the future an issued-at time may lie, for peers whose clocks run ahead.
    public var clockSkewAllowanceSeconds: TimeInterval

    public init(caCertificate: Certificate, revocations: RevocationList = .empty, clockSkewAllowanceSeconds: TimeInterval = 300) {
        self.chain = FederationChain(caCertificate: caCertificate)
        self.revocations = revocations
        self.clockSkewAllowanceSeconds = clockSkewAllowanceSeconds
    }

    public func verify(_ signed: SignedCatalogue, now: Date) throws(CatalogueRejection) -> VerifiedCatalogue {
        let leaf: Certificate
        do {
            leaf = try SignerCheck.signer(
                of: signed.signature,
                over: signed.signedBytes,
                chain: signed.certificateChain,
                trust: chain,
                revocations: revocations,
                at: now
            )
        } catch {
            switch error {
            case .malformedCertificate(let position, let reason):
                throw CatalogueRejection(.malformed, "certificate \(position) of the chain is not DER X.509: \(reason)")
            case .chain(let failure):
                switch failure.code {
                case .untrusted: throw CatalogueRejection(.untrustedChain, failure.message)
                case .notValidAtTime: throw CatalogueRejection(.certificateNotValid, failure.message)
                case .unsuitable: throw CatalogueRejection(.unsuitableCertificate, failure.message)
                }
            case .revoked(let signer, let version):
                throw CatalogueRejection(
                    .revokedSigner,
                    "certificate '\(signer.subject)' serial \(signer.serialNumber) is revoked (revocation list version \(version))"
                )
            case .badSignature(let signer):
                throw CatalogueRejection(.badSignature, "the signature does not verify over the payload under the key of '\(signer.subject)' (tampered or signed by another key)")
            }
        }
        let catalogue = try Catalogue(decoding: signed.payload)
        let identity: PeerIdentity
        do {
            identity = try CertificateIdentity.identity(of: leaf)
        } catch {
            throw CatalogueRejection(.nodeIDMismatch, "catalogue of \(catalogue.nodeID): \(error.message)")
        }
        guard identity == .node(catalogue.nodeID) else {
            throw CatalogueRejection(.nodeIDMismatch, "the catalogue is for node \(catalogue.nodeID) but is signed by \(identity)")
        }
        let nowMilliseconds = UnixMilliseconds.from(now)
        guard nowMilliseconds < catalogue.expiresAtMilliseconds else {
            throw CatalogueRejection(
                .expired,
                "catalogue version \(catalogue.version) of \(catalogue.nodeID) expired at \(UnixMilliseconds.date(catalogue.expiresAtMilliseconds))"
            )
        }
        guard catalogue.issuedAtMilliseconds <= nowMilliseconds + Int64(clockSkewAllowanceSeconds * 1000) else {
            throw CatalogueRejection(
                .issuedInFuture,
                "catalogue version \(catalogue.version) of \(catalogue.nodeID) is issued at \(UnixMilliseconds.date(catalogue.issuedAtMilliseconds)), after now (\(now)) plus clock skew"
            )
        }
        return VerifiedCatalogue(catalogue: catalogue, signed: signed, signerSerial: leaf.serialNumber)
    }
}
