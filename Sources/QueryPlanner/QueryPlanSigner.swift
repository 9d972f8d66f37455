import Crypto
import Foundation
import MeshCore
import SwiftASN1
import X509

/// Signs the plans a node originates with the key of its node certificate (DESIGN.md,
/// "Identity and PKI"; "Planning and execution along a tree", step 2), so that every node on
/// the tree can check, with the chain that already authenticates the origin's connections,
/// that the plan is the origin's and unchanged.
public struct QueryPlanSigner: Sendable {
    public let credential: Credential

    /// Refuses credentials that could only produce plans every node rejects: a researcher
    /// certificate (researchers submit queries to a node; only nodes originate plans), or a
    /// key that is not P-256.
    public init(credential: Credential) throws(PKIError) {
        guard case .node = try credential.identity else {
            throw PKIError(
                .invalidIdentity,
                "query plans are signed with a node certificate; '\(credential.certificate.subject)' is a researcher's (submit the query to a node instead)"
            )
        }
        guard P256.Signing.PublicKey(credential.privateKey.publicKey) != nil else {
            throw PKIError(.unsupportedKey, "the node key is not ECDSA P-256; the federation signs with P-256 only")
        }
        self.credential = credential
    }

    /// Encodes `plan` once and signs those exact bytes. The chain carries the node
    /// certificate only: every node already holds the CA certificate.
    public func sign(_ plan: QueryPlan) throws(PKIError) -> SignedQueryPlan {
        guard case .node(plan.origin) = try credential.identity else {
            throw PKIError(
                .invalidIdentity,
                "plan \(plan.queryID) names origin \(plan.origin) but the certificate names \(try credential.identity); every node would reject it"
            )
        }
        let payload = plan.encoded()
        do {
            let signature = try credential.privateKey.sign(bytes: SignedQueryPlan.signingContext + payload, signatureAlgorithm: .ecdsaWithSHA256)
            var serializer = DER.Serializer()
            try serializer.serialize(credential.certificate)
            return SignedQueryPlan(payload: payload, signature: signature.rawRepresentation, certificateChain: [serializer.serializedBytes])
        } catch {
            throw PKIError(.signingFailed, "cannot sign plan \(plan.queryID) of \(plan.origin): \(error)")
        }
    }
}
