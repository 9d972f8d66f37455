import MeshCore

/// A query's identity: 128 random bits drawn by the origin (docs/ARCHITECTURE.md, "Planning and
/// execution along a tree"). It names the query in audits and results, seeds the shape of
/// the aggregation tree, and lets a node that receives the same plan twice execute it once.
public struct QueryID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public static let byteCount = 16

    public let bytes: [UInt8]

    public init(bytes: [UInt8]) throws(QueryPlanRejection) {
        guard bytes.count == Self.byteCount else {
            throw QueryPlanRejection(.malformed, "a query id has \(Self.byteCount) bytes, not \(bytes.count)")
        }
        self.bytes = bytes
    }

    /// Draws a fresh id; the random source is an input so that simulations replay.
    public init(using random: inout some RandomNumberGenerator) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.byteCount)
        for _ in 0..<(Self.byteCount / 8) {
            withUnsafeBytes(of: random.next() as UInt64) { bytes.append(contentsOf: $0) }
        }
        self.bytes = bytes
    }

    /// 32 lowercase hex digits.
    public var description: String {
        bytes.map { byte in
            let digits = Array("0123456789abcdef")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
        }.joined()
    }

    public init(hex: String) throws(QueryPlanRejection) {
        let characters = Array(hex.lowercased().utf8)
        guard characters.count == Self.byteCount * 2 else {
            throw QueryPlanRejection(.malformed, "a query id is \(Self.byteCount * 2) hex digits, not '\(hex)'")
        }
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: characters.count, by: 2) {
            guard let high = Self.nibble(characters[index]), let low = Self.nibble(characters[index + 1]) else {
                throw QueryPlanRejection(.malformed, "'\(hex)' is not a hex query id")
            }
            bytes.append(high << 4 | low)
        }
        self.bytes = bytes
    }

    public static func < (lhs: QueryID, rhs: QueryID) -> Bool { lhs.bytes.lexicographicallyPrecedes(rhs.bytes) }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}
