import Foundation
import SwiftProtobuf

/// A plan as its origin signed it: the exact encoded bytes of a `WireQueryPlan`, an ECDSA
/// P-256 signature by the origin's node key, and the origin's certificate chain (docs/ARCHITECTURE.md,
/// "Identity and PKI": the node key signs the query plans it originates, so one chain proves
/// everything a node says).
///
/// The payload is kept as bytes and never re-encoded: protobuf encodings are not unique, so a
/// verifier checks the signature over the bytes it received and only then decodes them.
///
/// The signature covers ``signingContext`` followed by the payload. The same node key signs
/// catalogues under another context (`SignedCatalogue.signingContext`), so a catalogue
/// signature can never pass as one over a plan whose bytes happen to be equal, nor the
/// reverse.
public struct SignedQueryPlan: Sendable, Equatable {
    public static let signingContext: [UInt8] = Array("oncomesh-plan-v1".utf8) + [0]

    public let payload: [UInt8]
    /// DER-encoded ECDSA signature (SHA-256) over ``signingContext`` + ``payload``.
    public let signature: [UInt8]
    /// The signer's certificate first, DER; peers may append the CA certificate.
    public let certificateChain: [[UInt8]]

    public init(payload: [UInt8], signature: [UInt8], certificateChain: [[UInt8]]) {
        self.payload = payload
        self.signature = signature
        self.certificateChain = certificateChain
    }

    /// The bytes the signature covers.
    public var signedBytes: [UInt8] { Self.signingContext + payload }

    /// Encoded as a `WireSignedQueryPlan`, as nodes forward it down the tree.
    public func encoded() -> [UInt8] {
        var message = WireSignedQueryPlan()
        message.payload = Data(payload)
        message.signature = Data(signature)
        message.certificateChain = certificateChain.map { Data($0) }
        // Encoding a message of bytes fields cannot fail.
        return try! message.serializedBytes()
    }

    /// Only the envelope is decoded here; the payload stays opaque until
    /// ``QueryPlanVerifier/verify(_:now:isLiveMember:localNode:)`` has checked its signature.
    public init(decoding bytes: [UInt8]) throws(QueryPlanRejection) {
        let message = try WireDecoding.message(WireSignedQueryPlan.self, from: bytes, what: "the signed plan")
        self.init(payload: Array(message.payload), signature: Array(message.signature), certificateChain: message.certificateChain.map { Array($0) })
    }
}
