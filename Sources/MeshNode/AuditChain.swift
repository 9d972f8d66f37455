import Crypto
import Foundation
import GRDB

/// The hash chain that makes the audit table tamper-evident.
///
/// A site's data protection officer relies on the audit table to say who asked what and what
/// left the site; anyone who can write the site database could otherwise edit, delete or
/// reorder rows without a trace. So every row stores `prev_hash` (the `hash` of the row before
/// it; 32 zero bytes for the first) and
/// `hash = SHA-256(prev_hash bytes || encoding of the row's stored fields, its id included)`.
/// Editing a row breaks its own hash; deleting or reordering rows breaks the link of the row
/// that follows. `AuditLog.verify()` walks the chain and names the first row that fails.
///
/// What it does not protect against: someone who can write the database and recomputes the
/// chain from the edited row onwards (the hashes are not keyed or signed), and truncation of
/// the newest rows, which leaves a shorter chain that is still consistent. Detecting those
/// needs the chain head kept somewhere the attacker cannot write (printed by
/// `meshnode audit verify`; anchoring it elsewhere automatically is future work).
enum AuditChain {
    /// The columns a row's hash covers, in the order they are encoded: every stored field
    /// except the chain's own two.
    static let hashedColumns = [
        "id", "time_ms", "kind", "query_id", "researcher", "origin", "query", "outcome", "reason", "cells", "k", "table_digest", "researcher_signature",
    ]

    /// `hashedColumns` as a SQL select list.
    static var hashedColumnList: String { hashedColumns.joined(separator: ", ") }

    /// The `prev_hash` of the first row: 32 zero bytes, in hex.
    static let genesis = String(repeating: "0", count: 64)

    /// The `hash` of a row whose `prev_hash` is `previous` (64 hex digits) and whose
    /// `hashedColumns` hold `fields`, as lowercase hex; nil when `previous` is not 64 hex
    /// digits.
    static func hash(previous: String, fields: [DatabaseValue]) -> String? {
        guard let previousBytes = bytes(hex: previous), previousBytes.count == SHA256.byteCount else { return nil }
        var hasher = SHA256()
        hasher.update(data: previousBytes)
        hasher.update(data: encoding(of: fields))
        return hex(hasher.finalize())
    }

    /// The canonical encoding of a row's fields: the number of fields, then each field as a
    /// storage-class tag and its value, integers as 8 bytes big-endian and text and blobs
    /// prefixed with their length. Unambiguous: no two different rows (not even ones that
    /// differ only in where one text ends and the next begins, or in an integer stored as
    /// text) encode the same.
    static func encoding(of fields: [DatabaseValue]) -> [UInt8] {
        var bytes: [UInt8] = []
        append(UInt64(fields.count), to: &bytes)
        for field in fields {
            switch field.storage {
            case .null:
                bytes.append(0)
            case .int64(let value):
                bytes.append(1)
                append(UInt64(bitPattern: value), to: &bytes)
            case .double(let value):
                bytes.append(2)
                append(value.bitPattern, to: &bytes)
            case .string(let value):
                bytes.append(3)
                let utf8 = Array(value.utf8)
                append(UInt64(utf8.count), to: &bytes)
                bytes += utf8
            case .blob(let value):
                bytes.append(4)
                append(UInt64(value.count), to: &bytes)
                bytes += value
            }
        }
        return bytes
    }

    private static func append(_ value: UInt64, to bytes: inout [UInt8]) {
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    /// Lowercase hex of `digest`.
    static func hex(_ digest: some Sequence<UInt8>) -> String {
        digest.map { String(format: "%02x", $0) }.joined()
    }

    /// The bytes of a hex string (either case); nil when it is not hex of whole bytes.
    static func bytes(hex text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count.isMultiple(of: 2) else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let high = nibble(digits[index]), let low = nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// What `AuditLog.verify()` found.
enum AuditVerification: Sendable, Equatable {
    /// Every row's hash matches its content and links to the row before it; `head` is the
    /// last row's hash (the genesis value when there are no records). Keeping `head`
    /// somewhere else lets a later verification also detect a rewritten or truncated chain.
    case intact(records: Int, head: String)
    /// The first row that fails, and why, in words for a site admin. For deleted newest rows
    /// `recordID` is the first missing id.
    case broken(recordID: Int64, reason: String)
    /// The table was written before hash chaining and has not been opened for appending
    /// since, so it carries no hashes to check.
    case unchained(records: Int)
}
