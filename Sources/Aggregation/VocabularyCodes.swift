import Foundation

/// A categorical attribute's vocabulary looked up by UTF-8 bytes: the snapshot's code of a
/// field (i + 1 for `vocabulary[i]`) without making a String of it.
///
/// Why: the CSV import checks about six codes per row; hashing a String per field was a large
/// part of importing a million rows. This is an open-addressing table over the codes' bytes
/// (FNV-1a hash, linear probing, at most half full).
public struct VocabularyCodes: Sendable {
    /// The codes' bytes, concatenated, and where code i + 1 starts (`starts[i]`) and ends (`starts[i + 1]`).
    private let bytes: [UInt8]
    private let starts: [Int]
    /// Slot -> code (0: empty); the count is a power of two.
    private let slots: [UInt16]

    public init(vocabulary: [String]) {
        precondition(vocabulary.count < Int(UInt16.max), "a vocabulary has fewer than 65535 codes")
        var bytes: [UInt8] = []
        var starts = [0]
        for code in vocabulary {
            bytes += code.utf8
            starts.append(bytes.count)
        }
        var slotCount = 4
        while slotCount < vocabulary.count * 2 { slotCount *= 2 }
        var slots = [UInt16](repeating: 0, count: slotCount)
        bytes.withUnsafeBufferPointer { all in
            for index in vocabulary.indices {
                let code = UnsafeBufferPointer(rebasing: all[starts[index]..<starts[index + 1]])
                var slot = Int(Self.hash(code) & UInt64(slotCount - 1))
                while slots[slot] != 0 {
                    // A repeated code keeps its first position, as `firstIndex(of:)` would.
                    if Self.equal(UnsafeBufferPointer(rebasing: all[starts[Int(slots[slot]) - 1]..<starts[Int(slots[slot])]]), code) { break }
                    slot = (slot + 1) & (slotCount - 1)
                }
                if slots[slot] == 0 { slots[slot] = UInt16(index + 1) }
            }
        }
        self.bytes = bytes
        self.starts = starts
        self.slots = slots
    }

    /// The code of `field` (i + 1 for `vocabulary[i]`), or nil when it is not in the vocabulary.
    @inline(__always)
    public func code(of field: UnsafeBufferPointer<UInt8>) -> UInt16? {
        let mask = slots.count - 1
        var slot = Int(Self.hash(field) & UInt64(mask))
        return bytes.withUnsafeBufferPointer { all in
            while true {
                let code = slots[slot]
                if code == 0 { return nil }
                if Self.equal(UnsafeBufferPointer(rebasing: all[starts[Int(code) - 1]..<starts[Int(code)]]), field) { return code }
                slot = (slot + 1) & mask
            }
        }
    }

    @inline(__always)
    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return hash ^ (hash >> 29)
    }

    @inline(__always)
    private static func equal(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        a.count == b.count && (a.count == 0 || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0)
    }
}
