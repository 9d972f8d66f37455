import Foundation
import MeshCore
import X509

/// Signs the plans a node originates with the key of its node certificate (docs/ARCHITECTURE.md,
/// "Identity and PKI"; "Planning and execution along a tree", step 2), so that every node on
/// the tree can check, with the chain that already authenticates the origin's connections,
/// that the plan is the origin's and unchanged.
public struct QueryPlanSigner: Sendable {
    public let credential: Credential

    /// Refuses credentials that could only produce plans every node rejects: a researcher
    /// certificate (researchers submit queries to a node; only nodes originate plans), or a
    /// key that is not P-256.
    public init(credential: Credential) throws(PKIError) {
        try credential.requireNodeSigningKey(for: "query plans", researcherHint: " (submit the query to a node instead)")
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
            let (signature, chain) = try credential.signWithChain(SignedQueryPlan.signingContext + payload)
            return SignedQueryPlan(payload: payload, signature: signature, certificateChain: chain)
        } catch {
            throw PKIError(.signingFailed, "cannot sign plan \(plan.queryID) of \(plan.origin): \(error)")
        }
    }
}
