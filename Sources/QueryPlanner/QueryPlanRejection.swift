/// Why a node will not act on a plan it received, or an origin will not plan a query. The
/// code is for programs (tests, the simulator's invariants, coverage); the message says
/// what is wrong in words a researcher or operator can act on.
public struct QueryPlanRejection: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable {
        /// The bytes are not a plan (or a part of one).
        case malformed
        /// The signer's chain does not lead to the federation CA.
        case untrustedChain
        /// The signer's certificate is expired, not yet valid, or not a node certificate.
        case certificateNotValid
        /// The signer's certificate is on the revocation list.
        case revokedSigner
        /// The signature does not verify over the plan's bytes.
        case badSignature
        /// The plan names an origin other than the node that signed it.
        case originMismatch
        /// The origin is not a live member of the mesh as this node sees it.
        case notMember
        /// The plan's deadline has passed, or lies further ahead than any node accepts.
        case deadline
        /// This node already received the plan (replay or a second path through the tree).
        case duplicate
        /// This node is not among the plan's targets.
        case notATarget
        /// The node's policy does not allow the query (kind, cell count, researcher).
        case policy
        /// Nothing in the mesh can answer the query.
        case noTargets
        /// The node is at one of its limits of concurrent work (``QueryLoadLimits``); the
        /// message says which and when to retry. Not a judgement on the query.
        case busy
        /// The plan does not carry a valid submission signed by its researcher, or is not the
        /// query, origin or id the researcher signed.
        case researcherNotVerified
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
