import Foundation
import X509

/// The federation's list of revoked certificate serial numbers (docs/ARCHITECTURE.md, "Identity and
/// PKI"): versioned, signed by the CA (``SignedRevocationList``), spread by gossip. A node
/// refuses a revoked serial at the handshake and drops the catalogue it signed.
///
/// Every version lists all serials revoked so far, so the newest list alone is the whole
/// truth and a node that missed versions loses nothing; a newer version replaces an older.
///
/// ## Next update
///
/// A node cannot tell a list that is current from one whose successor never reached it:
/// gossip that fails (a partition, a node left out of every exchange) fails silently. So the
/// CA promises when it will sign the next list (``nextUpdateMilliseconds``), and a node whose
/// list is past that time says so (``isStale(nowMilliseconds:)``) instead of trusting an old
/// list quietly. A stale list stays in force: it still revokes everything it lists, and
/// dropping it would un-revoke certificates.
///
/// ## Encoding
///
/// Not X.509 CRL: a CRL needs a DER encoder and parser of its own and an issuer-name match,
/// and the mesh needs none of its features (reasons, deltas, distribution points). Instead a
/// small canonical binary format, so that the bytes the CA signs are the bytes every node
/// verifies, with nothing to re-encode:
///
/// ```
/// "OMRL" | u8 format (2) | u64 version | i64 issued-at (unix ms) | i64 next update (unix ms)
///        | u32 count | count x ( u8 length | length bytes of serial magnitude )
/// ```
///
/// The next update must be after the issue time. Format 1 is the same without the next
/// update: what CAs signed before lists promised one. Nodes still read it, as a list with
/// no next update promised (``noNextUpdate``), which is never stale; and a list without a
/// promise is encoded as format 1, so that it too has one encoding only.
///
/// All integers big-endian. Serials are unsigned magnitudes without leading zero bytes
/// (``Certificate/SerialNumber/normalised``), sorted by numeric value, without duplicates.
/// The decoder refuses anything else (trailing bytes included), so one list has exactly one
/// encoding. The magic also keeps a list signature from ever being mistaken for the CA's
/// signature over a certificate, which is DER and starts with 0x30.
public struct RevocationList: Sendable, Equatable {
    static let magic: [UInt8] = Array("OMRL".utf8)
    /// The format of lists that promise a next update, which is every list the CA signs.
    static let formatVersion: UInt8 = 2
    /// The format without a next update, still read so that lists signed before it keep
    /// working until the CA signs the next one.
    static let formatWithoutNextUpdate: UInt8 = 1
    /// ``nextUpdateMilliseconds`` of a list that promises none (format 1, ``empty``). Zero
    /// rather than an optional keeps the field a plain integer like the encoding; no list
    /// issued after 1970 can promise a next update at 0.
    public static let noNextUpdate: Int64 = 0
    /// A serial number has at most 20 bytes (RFC 5280 section 4.1.2.2).
    static let serialBytesMax = 20

    /// Raised by one for every list the CA signs; version 0 is the empty list nobody signed.
    public let version: UInt64
    /// When the CA signed it, unix milliseconds.
    public let issuedAtMilliseconds: Int64
    /// When the CA promises to have signed a newer list, unix milliseconds; after it a node
    /// holding this list is missing news or the CA is late. ``noNextUpdate`` when the list
    /// promises nothing.
    public let nextUpdateMilliseconds: Int64
    /// Revoked serials, normalised and sorted by numeric value.
    public let serials: [Certificate.SerialNumber]
    private let lookup: Set<Certificate.SerialNumber>

    /// The list a node holds before it has seen any signed list.
    public static let empty = RevocationList(version: 0, issuedAtMilliseconds: 0, serials: [])

    /// A list as given; the CA (``FederationCA/nextRevocationList(after:revoking:now:nextUpdateDays:)``)
    /// is what makes sure the next update follows the issue time, and the decoder refuses a
    /// list where it does not.
    public init(
        version: UInt64,
        issuedAtMilliseconds: Int64,
        nextUpdateMilliseconds: Int64 = RevocationList.noNextUpdate,
        serials: some Sequence<Certificate.SerialNumber>
    ) {
        let unique = Set(serials.map(\.normalised))
        self.version = version
        self.issuedAtMilliseconds = issuedAtMilliseconds
        self.nextUpdateMilliseconds = nextUpdateMilliseconds
        self.serials = unique.sorted(by: Self.numericOrder)
        self.lookup = unique
    }

    /// Whether the certificate with this serial is revoked.
    public func contains(_ serial: Certificate.SerialNumber) -> Bool {
        lookup.contains(serial.normalised)
    }

    /// Whether `nowMilliseconds` is past the next update the CA promised, so that this node
    /// may be missing revocations signed since. A list that promises no next update is
    /// never stale: there is no time to be past.
    public func isStale(nowMilliseconds: Int64) -> Bool {
        nextUpdateMilliseconds != Self.noNextUpdate && nowMilliseconds > nextUpdateMilliseconds
    }

    /// Whether this list should replace `other`: only a strictly higher version does, so a
    /// replayed old list can never un-revoke a certificate.
    public func supersedes(_ other: RevocationList) -> Bool {
        version > other.version
    }

    public static func == (lhs: RevocationList, rhs: RevocationList) -> Bool {
        lhs.version == rhs.version && lhs.issuedAtMilliseconds == rhs.issuedAtMilliseconds
            && lhs.nextUpdateMilliseconds == rhs.nextUpdateMilliseconds && lhs.serials == rhs.serials
    }

    /// The canonical bytes the CA signs.
    public func encoded() -> [UInt8] {
        var bytes = Self.magic
        let promisesNextUpdate = nextUpdateMilliseconds != Self.noNextUpdate
        bytes.append(promisesNextUpdate ? Self.formatVersion : Self.formatWithoutNextUpdate)
        bytes.appendBigEndian(version)
        bytes.appendBigEndian(UInt64(bitPattern: issuedAtMilliseconds))
        if promisesNextUpdate {
            bytes.appendBigEndian(UInt64(bitPattern: nextUpdateMilliseconds))
        }
        bytes.appendBigEndian(UInt32(serials.count))
        for serial in serials {
            bytes.append(UInt8(serial.bytes.count))
            bytes.append(contentsOf: serial.bytes)
        }
        return bytes
    }

    /// Decodes canonical bytes, refusing every other encoding of the same list.
    public init(decoding bytes: [UInt8]) throws(RevocationListError) {
        var reader = ByteReader(bytes)
        guard reader.take(Self.magic.count).map(Array.init) == Self.magic else {
            throw RevocationListError(.malformed, "not an OncoMesh revocation list (it does not start with 'OMRL')")
        }
        guard let format = reader.take(1)?.first else {
            throw RevocationListError(.malformed, "revocation list header is truncated")
        }
        guard format == Self.formatVersion || format == Self.formatWithoutNextUpdate else {
            throw RevocationListError(
                .malformed,
                "revocation list format is \(format), but this node reads formats \(Self.formatWithoutNextUpdate) and \(Self.formatVersion); upgrade this node to read it"
            )
        }
        guard let version = reader.uint64(), let issuedAt = reader.uint64().map(Int64.init(bitPattern:)),
            let nextUpdate = format == Self.formatVersion ? reader.uint64().map(Int64.init(bitPattern:)) : Self.noNextUpdate,
            let count = reader.uint32()
        else {
            throw RevocationListError(.malformed, "revocation list header is truncated")
        }
        // Zero is refused too: it would decode as "no promise" and re-encode as format 1.
        if format == Self.formatVersion, nextUpdate <= issuedAt || nextUpdate == Self.noNextUpdate {
            throw RevocationListError(
                .invalidNextUpdate,
                "revocation list version \(version) promises its next update at \(nextUpdate) (\(UnixMilliseconds.date(nextUpdate))), "
                    + "which is not after its issue at \(issuedAt) (\(UnixMilliseconds.date(issuedAt))); the CA must sign a list whose next update follows its issue"
            )
        }
        // Each serial takes at least two bytes: bound the count before allocating for it.
        guard Int(count) <= reader.remaining / 2 else {
            throw RevocationListError(.malformed, "revocation list claims \(count) serials but holds only \(reader.remaining) bytes")
        }
        var serials: [Certificate.SerialNumber] = []
        serials.reserveCapacity(Int(count))
        for position in 0..<Int(count) {
            guard let length = reader.take(1)?.first, (1...Self.serialBytesMax).contains(Int(length)),
                let body = reader.take(Int(length))
            else {
                throw RevocationListError(.malformed, "serial \(position + 1) of the revocation list is truncated or longer than \(Self.serialBytesMax) bytes")
            }
            let serial = Certificate.SerialNumber(bytes: Array(body))
            guard serial == serial.normalised else {
                throw RevocationListError(.malformed, "serial \(position + 1) of the revocation list has a leading zero byte")
            }
            if let previous = serials.last, !Self.numericOrder(previous, serial) {
                throw RevocationListError(.malformed, "serials of the revocation list are not strictly ascending at position \(position + 1)")
            }
            serials.append(serial)
        }
        guard reader.remaining == 0 else {
            throw RevocationListError(.malformed, "revocation list has \(reader.remaining) bytes after its last serial")
        }
        self.init(version: version, issuedAtMilliseconds: issuedAt, nextUpdateMilliseconds: nextUpdate, serials: serials)
    }

    /// Numeric order of normalised magnitudes: shorter is smaller, then bytewise.
    static func numericOrder(_ a: Certificate.SerialNumber, _ b: Certificate.SerialNumber) -> Bool {
        if a.bytes.count != b.bytes.count { return a.bytes.count < b.bytes.count }
        return a.bytes.lexicographicallyPrecedes(b.bytes)
    }
}

extension [UInt8] {
    mutating func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
    }
}

/// Reads a byte array front to back; every read returns nil instead of running past the end.
struct ByteReader {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var remaining: Int { bytes.count - offset }

    mutating func take(_ count: Int) -> ArraySlice<UInt8>? {
        guard count >= 0, count <= remaining else { return nil }
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    mutating func uint64() -> UInt64? {
        take(8).map { $0.reduce(0) { $0 << 8 | UInt64($1) } }
    }

    mutating func uint32() -> UInt32? {
        take(4).map { $0.reduce(0) { $0 << 8 | UInt32($1) } }
    }
}
