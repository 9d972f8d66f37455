import Foundation
import MeshCore
import X509

/// Decides whether a node may act on a plan it received (docs/ARCHITECTURE.md, "Identity and PKI";
/// "Planning and execution along a tree"). In order:
///
/// 1. the certificate chain leads to the federation CA at `now` (``FederationChain``):
///    `.untrustedChain`, or `.certificateNotValid` for an expired certificate or one that may
///    not sign for a node;
/// 2. the signer's serial is not on the revocation list: `.revokedSigner`;
/// 3. the signature verifies over the exact payload bytes: `.badSignature`;
/// 4. the payload decodes (``QueryPlan/init(decoding:)``): `.malformed`;
/// 5. the certificate's SAN names the plan's origin, since a node originates plans only for
///    itself: `.originMismatch`;
/// 6. the origin is a live member as this node sees it, or this node itself: `.notMember`;
/// 7. the deadline has not passed, and lies at most ``QuerySubmission/timeoutMaxMilliseconds``
///    plus ``clockSkewAllowanceMilliseconds`` ahead, which bounds how long a node must
///    remember plan ids to refuse replays: `.deadline`;
/// 8. this node is the origin or one of the targets: `.notATarget`.
///
/// Checks run cheapest-to-trust first, and nothing unauthenticated is decoded before the
/// signature has verified. Duplicates and policy are the coordinator's concern.
public struct QueryPlanVerifier: Sendable {
    /// How far apart two nodes' clocks may be for a plan still to be accepted.
    public static let clockSkewAllowanceMilliseconds: Int64 = 5_000

    public let chain: FederationChain
    public var revocations: RevocationList

    public init(caCertificate: Certificate, revocations: RevocationList = .empty) {
        self.chain = FederationChain(caCertificate: caCertificate)
        self.revocations = revocations
    }

    public func verify(
        _ signed: SignedQueryPlan,
        now: Date,
        isLiveMember: (NodeID) -> Bool,
        localNode: NodeID
    ) throws(QueryPlanRejection) -> QueryPlan {
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
                throw QueryPlanRejection(.malformed, "certificate \(position) of the plan's chain is not DER X.509: \(reason)")
            case .chain(let failure) where failure.code == .untrusted:
                throw QueryPlanRejection(.untrustedChain, "the plan's signer is not trusted: \(failure.message)")
            case .chain(let failure):
                throw QueryPlanRejection(.certificateNotValid, "the plan's signer cannot sign plans: \(failure.message)")
            case .revoked(let signer, let version):
                throw QueryPlanRejection(
                    .revokedSigner,
                    "the plan is signed by certificate '\(signer.subject)' serial \(signer.serialNumber), which is revoked (revocation list version \(version))"
                )
            case .badSignature(let signer):
                throw QueryPlanRejection(
                    .badSignature,
                    "the plan's signature does not verify over its payload under the key of '\(signer.subject)' (tampered in transit or signed by another key)"
                )
            }
        }
        let plan = try QueryPlan(decoding: signed.payload)
        let what = "plan \(plan.queryID) from \(plan.origin)"
        let identity: PeerIdentity
        do {
            identity = try CertificateIdentity.identity(of: leaf)
        } catch {
            throw QueryPlanRejection(.originMismatch, "\(what): \(error.message)")
        }
        guard identity == .node(plan.origin) else {
            throw QueryPlanRejection(.originMismatch, "\(what) is signed by \(identity); a node originates plans only for itself")
        }
        guard plan.origin == localNode || isLiveMember(plan.origin) else {
            throw QueryPlanRejection(
                .notMember,
                "\(what): \(plan.origin) is not a live member of the mesh as \(localNode) sees it; it may have been declared dead or not yet joined"
            )
        }
        let nowMilliseconds = UnixMilliseconds.from(now)
        guard nowMilliseconds < plan.deadlineMilliseconds else {
            throw QueryPlanRejection(
                .deadline,
                "\(what) passed its deadline \(nowMilliseconds - plan.deadlineMilliseconds) ms ago (at \(UnixMilliseconds.date(plan.deadlineMilliseconds))); the origin has released its result without this node"
            )
        }
        let horizon = QuerySubmission.timeoutMaxMilliseconds + Self.clockSkewAllowanceMilliseconds
        guard plan.deadlineMilliseconds - nowMilliseconds <= horizon else {
            throw QueryPlanRejection(
                .deadline,
                "\(what) has its deadline \(plan.deadlineMilliseconds - nowMilliseconds) ms ahead, beyond the \(horizon) ms any node accepts; check the origin's clock"
            )
        }
        guard plan.origin == localNode || plan.targets.contains(localNode) else {
            throw QueryPlanRejection(.notATarget, "\(what) does not target \(localNode); it was sent to the wrong node")
        }
        return plan
    }
}
