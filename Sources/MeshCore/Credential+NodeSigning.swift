import Crypto
import SwiftASN1
import X509

extension Credential {
    /// Refuses a credential that could only sign documents every node rejects (a
    /// researcher certificate, or a key that is not P-256); `documents` names what it would
    /// sign, and `researcherHint` what a researcher should do instead.
    public func requireNodeSigningKey(for documents: String, researcherHint: String = "") throws(PKIError) {
        guard case .node = try identity else {
            throw PKIError(.invalidIdentity, "\(documents) are signed with a node certificate; '\(certificate.subject)' is a researcher's\(researcherHint)")
        }
        guard P256.Signing.PublicKey(privateKey.publicKey) != nil else {
            throw PKIError(.unsupportedKey, "the node key is not ECDSA P-256; the federation signs with P-256 only")
        }
    }

    /// The ECDSA (SHA-256) signature over `bytes` and the chain that proves it: the node
    /// certificate only, since every node already holds the CA certificate.
    public func signWithChain(_ bytes: [UInt8]) throws -> (signature: [UInt8], chain: [[UInt8]]) {
        let signature = try privateKey.sign(bytes: bytes, signatureAlgorithm: .ecdsaWithSHA256)
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return (signature.rawRepresentation, [serializer.serializedBytes])
    }
}
