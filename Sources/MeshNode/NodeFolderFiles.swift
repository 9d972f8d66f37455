import Aggregation
import Crypto
import Foundation
import MeshCore
import X509

/// The node's X25519 key for secure aggregation, kept in the node folder
/// (`aggregation.key`, mode 0600) so that the public key in its catalogue stays the same
/// across restarts.
enum AggregationKeyFile {
    static let fileName = "aggregation.key"

    static func loadOrCreate(directory: String) throws -> Curve25519.KeyAgreement.PrivateKey {
        let path = directory + "/" + fileName
        if SecureFile.exists(path) {
            let text = try SecureFile.read(path).trimmingCharacters(in: .whitespacesAndNewlines)
            guard let raw = Data(base64Encoded: text) else {
                throw CommandFailure("'\(path)' is not a base64 X25519 key; remove it to make a new one")
            }
            return try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: raw)
        }
        let key = Curve25519.KeyAgreement.PrivateKey()
        try SecureFile.writeAtomically(key.rawRepresentation.base64EncodedString() + "\n", to: path, mode: SecureFile.privateMode)
        return key
    }
}

/// The node's record-key secret (`record-key.secret`, mode 0600): 32 random bytes under
/// which every person and study gets its record key (``RecordKeyer``; docs/PRIVACY.md,
/// "Cell keys"). `meshnode init` creates it; it never leaves the node, and replacing it
/// changes the noise of every answer, so a researcher could then average the old and the
/// new answers: keep it with the node's key.
enum RecordKeyFile {
    static let fileName = "record-key.secret"

    static func create(directory: String) throws {
        let path = directory + "/" + fileName
        guard !SecureFile.exists(path) else { return }
        var system = SystemRandomNumberGenerator()
        let secret = (0..<RecordKeyer.secretByteCount).map { _ in UInt8.random(in: 0...255, using: &system) }
        try SecureFile.writeAtomically(Data(secret).base64EncodedString() + "\n", to: path, mode: SecureFile.privateMode)
    }

    /// The node's keyer; a folder made before record keys existed gets its secret now.
    static func loadOrCreate(directory: String) throws -> RecordKeyer {
        let path = directory + "/" + fileName
        if !SecureFile.exists(path) { try create(directory: directory) }
        let text = try SecureFile.read(path).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let raw = Data(base64Encoded: text), raw.count == RecordKeyer.secretByteCount else {
            throw CommandFailure("'\(path)' is not a base64 record-key secret of \(RecordKeyer.secretByteCount) bytes; restore it from the node's backup")
        }
        return RecordKeyer(secret: Array(raw))
    }
}

/// The revocation list a node holds (`revocations.pem` in its folder): handed over by
/// `meshnode revocations publish`, or received by gossip and kept for restarts.
struct RevocationFile: Sendable {
    static let fileName = "revocations.pem"
    let path: String

    init(directory: String) {
        path = directory + "/" + Self.fileName
    }

    func modificationDate() -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
    }

    func load() throws -> SignedRevocationList {
        try SignedRevocationList.load(path: path)
    }

    /// The list, verified against the CA, or nil when the folder holds none.
    func verifiedList(ca: Certificate) throws -> RevocationList? {
        guard SecureFile.exists(path) else { return nil }
        return try load().verify(caCertificate: ca)
    }

    func save(_ list: SignedRevocationList) throws {
        try SecureFile.writeAtomically(list.pemString(), to: path, mode: SecureFile.publicMode)
    }
}
