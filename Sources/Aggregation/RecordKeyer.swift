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
    private let hmac: PrecomputedHMAC

    /// Bytes of a record-key secret.
    public static let secretByteCount = 32

    public init(secret: [UInt8]) {
        precondition(secret.count == Self.secretByteCount, "a record-key secret has \(Self.secretByteCount) bytes")
        hmac = PrecomputedHMAC(key: secret)
    }

    /// The key of a person: their site-local pseudonym under the secret.
    public func personKey(pseudonym: String) -> UInt64 {
        var pseudonym = pseudonym
        return pseudonym.withUTF8 { personKey(pseudonymUTF8: UnsafeRawBufferPointer($0)) }
    }

    /// The key of a study row: its pseudonym and every value of the row, length-prefixed, and
    /// its ordinal among identical rows of the same person, so that a re-import of the same
    /// data gives the same keys whatever the row order.
    public func studyKey(pseudonym: String, canonicalRow: [UInt8], occurrence: Int) -> UInt64 {
        var pseudonym = pseudonym
        return pseudonym.withUTF8 { name in
            canonicalRow.withUnsafeBytes { row in studyKey(pseudonymUTF8: UnsafeRawBufferPointer(name), canonicalRow: row, occurrence: occurrence) }
        }
    }

    /// ``personKey(pseudonym:)`` of a pseudonym's UTF-8 bytes.
    func personKey(pseudonymUTF8 name: UnsafeRawBufferPointer) -> UInt64 {
        let prefix = Self.personPrefix
        return withUnsafeTemporaryAllocation(byteCount: prefix.count + name.count, alignment: 1) { message in
            let start = message.baseAddress!
            prefix.withUnsafeBytes { start.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            if name.count > 0 { (start + prefix.count).copyMemory(from: name.baseAddress!, byteCount: name.count) }
            return hmac.truncatedCode(UnsafeRawBufferPointer(message))
        }
    }

    /// ``studyKey(pseudonym:canonicalRow:occurrence:)`` of a pseudonym's UTF-8 bytes.
    ///
    /// The message is written with plain pointer arithmetic: a nested function capturing the
    /// write position made Swift check exclusive access at run time on every write, a
    /// noticeable part of keying a million studies.
    func studyKey(pseudonymUTF8 name: UnsafeRawBufferPointer, canonicalRow row: UnsafeRawBufferPointer, occurrence: Int) -> UInt64 {
        let prefix = Self.studyPrefix
        let count = prefix.count + 4 + name.count + 4 + row.count + 8
        return withUnsafeTemporaryAllocation(byteCount: count, alignment: 1) { message in
            let start = message.baseAddress!
            prefix.withUnsafeBytes { start.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            var offset = prefix.count
            start.storeBytes(of: UInt32(name.count).bigEndian, toByteOffset: offset, as: UInt32.self)
            offset += 4
            if name.count > 0 { (start + offset).copyMemory(from: name.baseAddress!, byteCount: name.count) }
            offset += name.count
            start.storeBytes(of: UInt32(row.count).bigEndian, toByteOffset: offset, as: UInt32.self)
            offset += 4
            if row.count > 0 { (start + offset).copyMemory(from: row.baseAddress!, byteCount: row.count) }
            offset += row.count
            start.storeBytes(of: UInt64(occurrence).bigEndian, toByteOffset: offset, as: UInt64.self)
            return hmac.truncatedCode(UnsafeRawBufferPointer(message))
        }
    }

    private static let personPrefix: [UInt8] = Array("person".utf8) + [0]
    private static let studyPrefix: [UInt8] = Array("study".utf8) + [0]

    static func appendField(_ bytes: [UInt8], to message: inout [UInt8]) {
        withUnsafeBytes(of: UInt32(bytes.count).bigEndian) { message += $0 }
        message += bytes
    }
}
