import Foundation
import SwiftProtobuf

/// A catalogue as its node signed it: the exact encoded bytes of a `WireCatalogue`, an
/// ECDSA P-256 signature, and the signer's certificate chain (docs/ARCHITECTURE.md, "Identity and PKI":
/// one chain proves everything a node says).
///
/// The payload is kept as bytes and never re-encoded: protobuf encodings are not unique, so a
/// verifier must check the signature over the bytes it received and only then decode them.
///
/// The signature covers ``signingContext`` followed by the payload. The node key also signs
/// query plans; the context keeps a catalogue signature from ever passing as one over a plan
/// whose bytes happen to be equal.
public struct SignedCatalogue: Sendable, Equatable {
    public static let signingContext: [UInt8] = Array("oncomesh-catalogue-v1".utf8) + [0]

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

    public var wire: WireSignedCatalogue {
        var message = WireSignedCatalogue()
        message.payload = Data(payload)
        message.signature = Data(signature)
        message.certificateChain = certificateChain.map { Data($0) }
        return message
    }

    public init(wire: WireSignedCatalogue) {
        self.init(payload: Array(wire.payload), signature: Array(wire.signature), certificateChain: wire.certificateChain.map { Array($0) })
    }

    /// Encoded as a `WireSignedCatalogue`, for gossip messages and the node's local store.
    public func serializedBytes() -> [UInt8] {
        // Encoding a message of bytes fields cannot fail.
        try! wire.serializedBytes()
    }

    public init(serializedBytes bytes: [UInt8]) throws(CatalogueRejection) {
        do {
            self.init(wire: try WireSignedCatalogue(serializedBytes: bytes))
        } catch {
            throw CatalogueRejection(.malformed, "not a signed catalogue: \(error)")
        }
    }
}
