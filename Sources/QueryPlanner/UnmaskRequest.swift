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

        /// The responders as a bitmap over `targets` in sorted order: ⌈N/8⌉ bytes where a
        /// list of IDs would take about 12 N, which the origin of the unmasking star sends to
        /// every target.
        func encoded(targets: [NodeID]) -> [UInt8] {
            let order = targets.sorted()
            precondition(responders.isSubset(of: order), "responders \(responders.subtracting(order).sorted()) are not targets")
            var bitmap = [UInt8](repeating: 0, count: (order.count + 7) / 8)
            for (index, node) in order.enumerated() where responders.contains(node) {
                bitmap[index / 8] |= 1 << UInt8(index % 8)
            }
            var message = WireUnmaskHeader()
            message.queryID = Data(queryID.bytes)
            message.responders = Data(bitmap)
            return try! message.serializedBytes()
        }

        init(decoding bytes: [UInt8], targets: [NodeID]) throws(QueryPlanRejection) {
            let message = try WireDecoding.message(WireUnmaskHeader.self, from: bytes, what: "the unmasking header")
            let order = targets.sorted()
            let bitmap = Array(message.responders)
            guard bitmap.count == (order.count + 7) / 8 else {
                throw QueryPlanRejection(.malformed, "the unmasking header's responder bitmap has \(bitmap.count) bytes; the plan's \(order.count) targets need \((order.count + 7) / 8)")
            }
            var responders: Set<NodeID> = []
            for index in 0..<(bitmap.count * 8) where bitmap[index / 8] & (1 << UInt8(index % 8)) != 0 {
                guard index < order.count else {
                    throw QueryPlanRejection(.malformed, "the unmasking header names responder \(index + 1); the plan has \(order.count) targets")
                }
                responders.insert(order[index])
            }
            self.init(queryID: try QueryID(bytes: Array(message.queryID)), responders: responders)
        }
    }

    /// Signs `header` with the origin's credential; `targets` are the plan's, over which the
    /// responders are encoded.
    public init(header: Header, targets: [NodeID], shares: [SubtreeResult.ShareRoute: [UInt8]], signedBy credential: Credential) throws(PKIError) {
        let payload = header.encoded(targets: targets)
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

    /// What a node sends each child of `tree` (the round's tree): only the shares held in
    /// the child's subtree, which in the unmasking star is the child alone. The shares are
    /// grouped by holder once, so that the origin of the star, sending to every target,
    /// does not scan every share once per target.
    public func routing(in tree: AggregationTree) -> Routing {
        Routing(request: self, tree: tree)
    }

    public struct Routing: Sendable {
        let request: UnmaskRequest
        let tree: AggregationTree
        let byHolder: [NodeID: [SubtreeResult.ShareRoute: [UInt8]]]

        init(request: UnmaskRequest, tree: AggregationTree) {
            self.request = request
            self.tree = tree
            var byHolder: [NodeID: [SubtreeResult.ShareRoute: [UInt8]]] = [:]
            for (route, share) in request.shares { byHolder[route.holder, default: [:]][route] = share }
            self.byHolder = byHolder
        }

        /// The request for `child`, with the shares held in its subtree.
        public func request(for child: NodeID) -> UnmaskRequest {
            var copy = request
            copy.shares = [:]
            for holder in [child] + tree.descendants(of: child) {
                if let shares = byHolder[holder] { copy.shares.merge(shares) { first, _ in first } }
            }
            return copy
        }
    }

    /// The query the header names, read before the signature is checked, only to find the
    /// plan it belongs to.
    public func unverifiedQueryID() throws(QueryPlanRejection) -> QueryID {
        let message = try WireDecoding.message(WireUnmaskHeader.self, from: headerPayload, what: "the unmasking header")
        return try QueryID(bytes: Array(message.queryID))
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
        let header = try Header(decoding: headerPayload, targets: plan.targets)
        guard header.queryID == plan.queryID else {
            throw QueryPlanRejection(.malformed, "the unmasking request names query \(header.queryID), not \(plan.queryID)")
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
