import Aggregation
import Foundation
import MeshCore
import SwiftProtobuf
import X509

/// What a researcher signs when asking the federation (`meshnode query`): the SQL, a fresh
/// query id, the time, the node asked (the origin), the fanout and the timeout.
///
/// The plan carries the signed submission unchanged, so every provider checks for itself
/// that the researcher named in the plan asked this very query at this origin under this
/// id (``SubmissionVerifier``). A node certificate can sign plans but not submissions:
/// no member can ask in a researcher's name, and a plan forwarded out of turn or to another
/// origin does not match what the researcher signed (docs/PRIVACY.md, "Who asked").
public struct ResearcherSubmission: Sendable, Equatable {
    public var sql: String
    public var queryID: QueryID
    public var issuedAtMilliseconds: Int64
    public var origin: NodeID
    /// Nil: the origin's default fanout.
    public var fanout: Int?
    public var timeoutMilliseconds: Int64
    /// Asks for the plaintext tree, without secure aggregation: for comparisons only, and
    /// answered only by providers whose policy allows plaintext partials.
    public var plaintextTree: Bool

    public init(sql: String, queryID: QueryID, issuedAtMilliseconds: Int64, origin: NodeID, fanout: Int?, timeoutMilliseconds: Int64, plaintextTree: Bool = false) {
        self.sql = sql
        self.queryID = queryID
        self.issuedAtMilliseconds = issuedAtMilliseconds
        self.origin = origin
        self.fanout = fanout
        self.timeoutMilliseconds = timeoutMilliseconds
        self.plaintextTree = plaintextTree
    }

    /// The query as the origin plans it.
    public var query: QuerySubmission {
        QuerySubmission(sql: sql, timeoutMilliseconds: timeoutMilliseconds, fanout: fanout, plaintextTree: plaintextTree)
    }

    public func encoded() -> [UInt8] {
        var message = WireSubmissionPayload()
        message.sql = sql
        message.queryID = Data(queryID.bytes)
        message.issuedAtMs = issuedAtMilliseconds
        message.origin = origin.rawValue
        message.fanout = fanout.map { UInt32(clamping: $0) } ?? 0
        message.timeoutMs = timeoutMilliseconds
        message.plaintextTree = plaintextTree
        // Encoding strings, bytes and integers cannot fail.
        return try! message.serializedBytes()
    }

    public init(decoding bytes: [UInt8]) throws(QueryPlanRejection) {
        let message = try WireDecoding.message(WireSubmissionPayload.self, from: bytes, what: "the researcher's submission")
        guard !message.sql.allSatisfy(\.isWhitespace) else {
            throw QueryPlanRejection(.malformed, "the researcher's submission holds no SQL")
        }
        guard (1...QuerySubmission.timeoutMaxMilliseconds).contains(message.timeoutMs) else {
            throw QueryPlanRejection(.malformed, "the researcher's submission asks for a timeout of \(message.timeoutMs) ms; 1 to \(QuerySubmission.timeoutMaxMilliseconds) ms")
        }
        self.init(
            sql: message.sql,
            queryID: try QueryID(bytes: Array(message.queryID)),
            issuedAtMilliseconds: message.issuedAtMs,
            origin: try WireDecoding.nodeID(message.origin, "the origin of the researcher's submission"),
            fanout: message.fanout == 0 ? nil : Int(message.fanout),
            timeoutMilliseconds: message.timeoutMs,
            plaintextTree: message.plaintextTree
        )
    }

    /// Signs the encoded submission with a researcher's credential.
    public func signed(by credential: Credential) throws(PKIError) -> SignedSubmission {
        guard case .researcher = try credential.identity else {
            throw PKIError(.invalidIdentity, "a query is signed with a researcher certificate; '\(credential.certificate.subject)' is a node's")
        }
        let payload = encoded()
        do {
            let (signature, chain) = try credential.signWithChain(SignedSubmission.signingContext + payload)
            return SignedSubmission(payload: payload, signature: signature, certificateChain: chain)
        } catch {
            throw PKIError(.signingFailed, "cannot sign query \(queryID): \(error)")
        }
    }
}

extension QuerySubmission {
    /// The researcher's signed submission of this query to `origin`, under a fresh id.
    public func signed(for origin: NodeID, by credential: Credential, nowMilliseconds: Int64, random: inout some RandomNumberGenerator) throws(PKIError) -> SignedSubmission {
        try ResearcherSubmission(
            sql: sql, queryID: QueryID(using: &random), issuedAtMilliseconds: nowMilliseconds, origin: origin, fanout: fanout, timeoutMilliseconds: timeoutMilliseconds,
            plaintextTree: plaintextTree
        ).signed(by: credential)
    }
}

/// A submission as its researcher signed it: the exact payload bytes, an ECDSA P-256
/// signature under its own signing context (so no plan or catalogue signature can pass for
/// one), and the researcher's certificate chain.
public struct SignedSubmission: Sendable, Equatable {
    public static let signingContext: [UInt8] = Array("oncomesh-submission-v1".utf8) + [0]

    public let payload: [UInt8]
    public let signature: [UInt8]
    public let certificateChain: [[UInt8]]

    public init(payload: [UInt8], signature: [UInt8], certificateChain: [[UInt8]]) {
        self.payload = payload
        self.signature = signature
        self.certificateChain = certificateChain
    }

    public var signedBytes: [UInt8] { Self.signingContext + payload }

    var wire: WireSignedSubmission {
        var message = WireSignedSubmission()
        message.payload = Data(payload)
        message.signature = Data(signature)
        message.certificateChain = certificateChain.map { Data($0) }
        return message
    }

    init(wire message: WireSignedSubmission) {
        self.init(payload: Array(message.payload), signature: Array(message.signature), certificateChain: message.certificateChain.map { Array($0) })
    }

    public func encoded() -> [UInt8] {
        // Encoding a message of bytes fields cannot fail.
        try! wire.serializedBytes()
    }

    public init(decoding bytes: [UInt8]) throws(QueryPlanRejection) {
        self.init(wire: try WireDecoding.message(WireSignedSubmission.self, from: bytes, what: "the signed submission"))
    }
}

/// Checks a researcher's signed submission, at the origin before planning and at every
/// provider before executing: the chain leads to the federation CA and is valid now, the
/// signer is not revoked, the certificate is a researcher's, the signature covers the exact
/// payload, and the submission is fresh (issued no more than the longest timeout ago, and
/// not in the future beyond the clock skew allowed).
public struct SubmissionVerifier: Sendable {
    public let chain: FederationChain
    public var revocations: RevocationList

    public init(caCertificate: Certificate, revocations: RevocationList = .empty) {
        self.chain = FederationChain(caCertificate: caCertificate)
        self.revocations = revocations
    }

    public func verify(_ signed: SignedSubmission, now: Date) throws(QueryPlanRejection) -> (researcher: ResearcherID, submission: ResearcherSubmission) {
        let leaf: Certificate
        do {
            leaf = try SignerCheck.signer(
                of: signed.signature, over: signed.signedBytes, chain: signed.certificateChain, trust: chain, revocations: revocations, at: now
            )
        } catch {
            switch error {
            case .malformedCertificate(let position, let reason):
                throw Self.rejection("certificate \(position) of the researcher's chain is not DER X.509: \(reason)")
            case .chain(let failure):
                throw Self.rejection("the researcher's certificate is not valid: \(failure.message)")
            case .revoked(let signer, let version):
                throw Self.rejection("the researcher's certificate '\(signer.subject)' serial \(signer.serialNumber) is revoked (revocation list version \(version))")
            case .badSignature(let signer):
                throw Self.rejection("the researcher's signature does not verify over the submission under the key of '\(signer.subject)'")
            }
        }
        let researcher: ResearcherID
        do {
            guard case .researcher(let id) = try CertificateIdentity.identity(of: leaf) else {
                throw Self.rejection("the submission is signed by '\(leaf.subject)', which is not a researcher's certificate; only researchers ask queries")
            }
            researcher = id
        } catch let rejection as QueryPlanRejection {
            throw rejection
        } catch {
            throw Self.rejection("the submission's signer: \(error)")
        }
        let submission = try ResearcherSubmission(decoding: signed.payload)
        let nowMilliseconds = UnixMilliseconds.from(now)
        let skew = QueryPlanVerifier.clockSkewAllowanceMilliseconds
        guard submission.issuedAtMilliseconds <= nowMilliseconds + skew,
            nowMilliseconds - submission.issuedAtMilliseconds <= QuerySubmission.timeoutMaxMilliseconds + skew
        else {
            throw Self.rejection(
                "researcher \(researcher)'s submission of query \(submission.queryID) was signed at \(UnixMilliseconds.date(submission.issuedAtMilliseconds)), too far from now to be fresh; check the researcher's clock"
            )
        }
        return (researcher, submission)
    }

    /// Checks that `plan` is what its researcher signed, after ``verify(_:now:)``: the same
    /// researcher, id, origin and fanout, a deadline no later than the signed timeout
    /// allows, and the same query (`parse` reads the signed SQL with this node's vocabulary).
    public func check(
        _ plan: QueryPlan, now: Date, parse: (String) throws -> Query
    ) throws(QueryPlanRejection) {
        guard let signed = plan.submission else {
            throw Self.rejection("plan \(plan.queryID) from \(plan.origin) names researcher \(plan.researcher) but carries no submission signed by them")
        }
        let (researcher, submission) = try verify(signed, now: now)
        let what = "plan \(plan.queryID) from \(plan.origin)"
        guard researcher == plan.researcher else {
            throw Self.rejection("\(what) names researcher \(plan.researcher), but the submission it carries is signed by \(researcher)")
        }
        guard submission.queryID == plan.queryID, submission.origin == plan.origin else {
            throw Self.rejection("\(what) is not the query researcher \(researcher) signed (query \(submission.queryID) at \(submission.origin))")
        }
        guard plan.fanout == (submission.fanout ?? QuerySubmission.defaultFanout),
            plan.deadlineMilliseconds <= submission.issuedAtMilliseconds + submission.timeoutMilliseconds + QueryPlanVerifier.clockSkewAllowanceMilliseconds
        else {
            throw Self.rejection("\(what) changes the fanout or the time researcher \(researcher) signed")
        }
        // The researcher chose the tree: a plan cannot drop the masking they did not waive,
        // nor stretch the unmasking round past their timeout.
        guard plan.secureAggregation == !submission.plaintextTree,
            !plan.secureAggregation
                || plan.unmaskDeadlineMilliseconds <= submission.issuedAtMilliseconds + submission.timeoutMilliseconds + QueryPlanVerifier.clockSkewAllowanceMilliseconds
        else {
            throw Self.rejection("\(what) is \(plan.secureAggregation ? "masked" : "not masked") against what researcher \(researcher) signed, or its unmasking round ends after the signed timeout")
        }
        let signedQuery: Query
        do {
            signedQuery = try parse(submission.sql)
        } catch {
            throw Self.rejection("\(what): the query researcher \(researcher) signed does not parse here: \(error)")
        }
        guard signedQuery == plan.query else {
            throw Self.rejection("\(what) runs another query than researcher \(researcher) signed ('\(submission.sql)')")
        }
    }

    static func rejection(_ message: String) -> QueryPlanRejection {
        QueryPlanRejection(.researcherNotVerified, message)
    }
}
