import Foundation
import MeshCore
import SecureAggregation
import SwiftProtobuf
import X509

/// The origin's request in the unmasking round of secure aggregation (docs/PRIVACY.md,
/// "Secure aggregation"): the responders it fixed, signed with its node key, and the
/// encrypted self-mask shares addressed to the receiver.
///
/// Every holder checks that the origin of the plan it answered signed the header, so each
/// sees the origin's own list; the origin sends each target only the shares it holds
/// (they are encrypted to their holders and need no signature).
public struct UnmaskRequest: Sendable, Equatable {
    public static let signingContext: [UInt8] = Array("oncomesh-unmask-v1".utf8) + [0]

    /// The exact encoded `UnmaskHeader` that was signed.
    public let headerPayload: [UInt8]
    public let signature: [UInt8]
    public let certificateChain: [[UInt8]]
    public var shares: [SubtreeResult.ShareRoute: [UInt8]]

    /// What the signed header says.
    public struct Header: Sendable, Equatable {
        public var queryID: QueryID
        public var responders: Set<NodeID>

        public init(queryID: QueryID, responders: Set<NodeID>) {
            self.queryID = queryID
            self.responders = responders
        }

        func encoded() -> [UInt8] {
            var message = WireUnmaskHeader()
            message.queryID = Data(queryID.bytes)
            message.responders = responders.sorted().map(\.rawValue)
            return try! message.serializedBytes()
        }

        init(decoding bytes: [UInt8]) throws(QueryPlanRejection) {
            let message = try WireDecoding.message(WireUnmaskHeader.self, from: bytes, what: "the unmasking header")
            var responders: Set<NodeID> = []
            for raw in message.responders {
                responders.insert(try WireDecoding.nodeID(raw, "a responder in the unmasking header"))
            }
            self.init(queryID: try QueryID(bytes: Array(message.queryID)), responders: responders)
        }
    }

    /// Signs `header` with the origin's credential.
    public init(header: Header, shares: [SubtreeResult.ShareRoute: [UInt8]], signedBy credential: Credential) throws(PKIError) {
        let payload = header.encoded()
        do {
            let (signature, chain) = try credential.signWithChain(Self.signingContext + payload)
            self.init(headerPayload: payload, signature: signature, certificateChain: chain, shares: shares)
        } catch {
            throw PKIError(.signingFailed, "cannot sign the unmasking request of query \(header.queryID): \(error)")
        }
    }

    init(headerPayload: [UInt8], signature: [UInt8], certificateChain: [[UInt8]], shares: [SubtreeResult.ShareRoute: [UInt8]]) {
        self.headerPayload = headerPayload
        self.signature = signature
        self.certificateChain = certificateChain
        self.shares = shares
    }

    /// The same request with only the shares addressed to `holders`.
    public func restricted(to holders: Set<NodeID>) -> UnmaskRequest {
        var copy = self
        copy.shares = shares.filter { holders.contains($0.key.holder) }
        return copy
    }

    /// What a node sends `child` of `tree` (the round's tree): only the shares held in the
    /// child's subtree, which in the unmasking star is the child alone.
    public func restricted(toSubtreeOf child: NodeID, in tree: AggregationTree) -> UnmaskRequest {
        restricted(to: Set(tree.descendants(of: child)).union([child]))
    }

    /// The query the header names, read before the signature is checked, only to find the
    /// plan it belongs to.
    public func unverifiedQueryID() throws(QueryPlanRejection) -> QueryID {
        try Header(decoding: headerPayload).queryID
    }

    /// Checks that the origin of `plan` signed the header and that it names only targets of
    /// the plan; returns the responders.
    public func verify(for plan: QueryPlan, trust: FederationChain, revocations: RevocationList, now: Date) throws(QueryPlanRejection) -> Set<NodeID> {
        let leaf: Certificate
        do {
            leaf = try SignerCheck.signer(
                of: signature, over: Self.signingContext + headerPayload, chain: certificateChain, trust: trust, revocations: revocations, at: now
            )
        } catch {
            throw QueryPlanRejection(.badSignature, "the unmasking request of query \(plan.queryID) is not signed by a valid node certificate: \(error)")
        }
        guard (try? CertificateIdentity.identity(of: leaf)) == .node(plan.origin) else {
            throw QueryPlanRejection(.originMismatch, "the unmasking request of query \(plan.queryID) is not signed by its origin \(plan.origin)")
        }
        let header = try Header(decoding: headerPayload)
        guard header.queryID == plan.queryID else {
            throw QueryPlanRejection(.malformed, "the unmasking request names query \(header.queryID), not \(plan.queryID)")
        }
        if let stranger = header.responders.subtracting(plan.targets).min() {
            throw QueryPlanRejection(.malformed, "the unmasking request of query \(plan.queryID) names \(stranger) as a responder; it is not a target")
        }
        return header.responders
    }

    public func encoded() -> [UInt8] {
        var message = WireUnmaskRequest()
        message.header.payload = Data(headerPayload)
        message.header.signature = Data(signature)
        message.header.certificateChain = certificateChain.map { Data($0) }
        message.shares = SubtreeResult.wire(shares)
        return try! message.serializedBytes()
    }

    public init(decoding bytes: [UInt8]) throws(QueryPlanRejection) {
        let message = try WireDecoding.message(WireUnmaskRequest.self, from: bytes, what: "the unmasking request")
        self.init(
            headerPayload: Array(message.header.payload), signature: Array(message.header.signature),
            certificateChain: message.header.certificateChain.map { Array($0) }, shares: try SubtreeResult.shares(message.shares, what: "the unmasking request")
        )
    }
}
