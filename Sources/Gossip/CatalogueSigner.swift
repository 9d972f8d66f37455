import Foundation
import MeshCore
import X509

/// Signs a node's own catalogue with the key of its node certificate (docs/ARCHITECTURE.md, "Identity
/// and PKI"), so that the same chain that authenticates the node's connections proves its
/// catalogue.
public struct CatalogueSigner: Sendable {
    public let credential: Credential

    /// Refuses credentials that could only produce catalogues every peer rejects: a
    /// researcher certificate, or a key that is not P-256.
    public init(credential: Credential) throws(PKIError) {
        try credential.requireNodeSigningKey(for: "catalogues")
        self.credential = credential
    }

    /// Encodes `catalogue` once and signs those exact bytes. The chain carries the node
    /// certificate only: every peer already holds the CA certificate.
    public func sign(_ catalogue: Catalogue) throws(PKIError) -> SignedCatalogue {
        guard case .node(catalogue.nodeID) = try credential.identity else {
            throw PKIError(
                .invalidIdentity,
                "the catalogue is for node \(catalogue.nodeID) but the certificate names \(try credential.identity); peers would reject it"
            )
        }
        let payload = catalogue.encoded()
        let signed = SignedCatalogue.signingContext + payload
        do {
            let (signature, chain) = try credential.signWithChain(signed)
            return SignedCatalogue(payload: payload, signature: signature, certificateChain: chain)
        } catch {
            throw PKIError(.signingFailed, "cannot sign catalogue version \(catalogue.version) of \(catalogue.nodeID): \(error)")
        }
    }
}
