/// A vector in the ring Z/2^128, the encoding of a partial under secure aggregation
/// (docs/PRIVACY.md, "Secure aggregation").
///
/// Every integer of a partial is encoded as its two's complement in 128 bits; masks are
/// uniform ring elements and cancel exactly in the sum. Headroom: honest counts are at most
/// 2^40 per provider and sums at most 2^40 values of at most 2^63 in magnitude (clamped to
/// the plan's bounds), so a sum over even 2^20 providers stays below 2^123 in magnitude and
/// decodes to the exact signed total; no honest sum can wrap.
public struct RingVector: Sendable, Equatable {
    public var elements: [UInt128]

    public init(elements: [UInt128]) {
        self.elements = elements
    }

    public init(zeros count: Int) {
        elements = Array(repeating: 0, count: count)
    }

    /// Signed integers, encoded as two's complement.
    public init(signed values: [Int128]) {
        elements = values.map { UInt128(bitPattern: $0) }
    }

    /// The elements read back as signed integers.
    public var signed: [Int128] { elements.map { Int128(bitPattern: $0) } }

    public var count: Int { elements.count }

    public mutating func add(_ other: RingVector) {
        precondition(other.count == count, "ring vectors of different lengths cannot be added")
        for index in elements.indices { elements[index] &+= other.elements[index] }
    }

    public mutating func subtract(_ other: RingVector) {
        precondition(other.count == count, "ring vectors of different lengths cannot be subtracted")
        for index in elements.indices { elements[index] &-= other.elements[index] }
    }
}

extension RingVector {
    /// 16 bytes per element, little-endian: how a masked vector travels.
    public var bytes: [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(elements.count * 16)
        for element in elements {
            for shift in stride(from: 0, to: 128, by: 8) { result.append(UInt8(truncatingIfNeeded: element >> UInt128(shift))) }
        }
        return result
    }

    /// The vector of ``bytes``; nil when the length is not a multiple of 16.
    public init?(bytes: [UInt8]) {
        guard bytes.count % 16 == 0 else { return nil }
        var elements: [UInt128] = []
        elements.reserveCapacity(bytes.count / 16)
        var index = 0
        while index < bytes.count {
            var value: UInt128 = 0
            for offset in (0..<16).reversed() { value = value << 8 | UInt128(bytes[index + offset]) }
            elements.append(value)
            index += 16
        }
        self.init(elements: elements)
    }
}
