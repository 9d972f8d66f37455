import Crypto
import Foundation

/// Gives every person and every study row of a site a fixed 64-bit record key: a keyed hash
/// (HMAC-SHA256, truncated) under the node's secret record-key file, which never leaves the
/// node (docs/PRIVACY.md, "Cell keys").
///
/// A cell's key is the sum, modulo 2^64, of the keys of exactly the records behind one
/// released value; the noise added to that value is drawn from a generator seeded by the
/// cell key. Keys depend only on the records, never on how a query selected them, so two
/// queries over the same records get the same noise, and a set that differs by one record
/// gets an unrelated key. Without the secret, nobody can compute a key from a pseudonym.
public struct RecordKeyer: Sendable {
    private let key: SymmetricKey

    /// Bytes of a record-key secret.
    public static let secretByteCount = 32

    public init(secret: [UInt8]) {
        precondition(secret.count == Self.secretByteCount, "a record-key secret has \(Self.secretByteCount) bytes")
        key = SymmetricKey(data: secret)
    }

    /// The key of a person: their site-local pseudonym under the secret.
    public func personKey(pseudonym: String) -> UInt64 {
        var message: [UInt8] = Array("person".utf8) + [0]
        message += Array(pseudonym.utf8)
        return Self.truncate(HMAC<SHA256>.authenticationCode(for: message, using: key))
    }

    /// The key of a study row: its pseudonym and every value of the row, length-prefixed, and
    /// its ordinal among identical rows of the same person, so that a re-import of the same
    /// data gives the same keys whatever the row order.
    public func studyKey(pseudonym: String, canonicalRow: [UInt8], occurrence: Int) -> UInt64 {
        var message: [UInt8] = Array("study".utf8) + [0]
        Self.appendField(Array(pseudonym.utf8), to: &message)
        Self.appendField(canonicalRow, to: &message)
        withUnsafeBytes(of: UInt64(occurrence).bigEndian) { message += $0 }
        return Self.truncate(HMAC<SHA256>.authenticationCode(for: message, using: key))
    }

    static func appendField(_ bytes: [UInt8], to message: inout [UInt8]) {
        withUnsafeBytes(of: UInt32(bytes.count).bigEndian) { message += $0 }
        message += bytes
    }

    private static func truncate(_ code: HMAC<SHA256>.MAC) -> UInt64 {
        code.withUnsafeBytes { bytes in bytes.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) } }
    }
}
