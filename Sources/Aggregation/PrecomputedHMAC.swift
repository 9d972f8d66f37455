import Crypto

/// HMAC-SHA256 under one fixed key, with the key's inner and outer pad blocks hashed once
/// at init (RFC 2104: HMAC(K, m) = H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ m))).
///
/// Why: a node keys every person and study of its site at start (1.35 million codes for a
/// site of a million studies). `HMAC<SHA256>` re-derives the pads and hashes them for every
/// message, which made the keys most of a node's start; starting from the two hashed pad
/// blocks leaves only the message's own blocks and the outer block per code. The codes are
/// exactly those of `HMAC<SHA256>` (a test compares them).
struct PrecomputedHMAC: Sendable {
    /// SHA-256 after (K ⊕ ipad) and after (K ⊕ opad).
    private let inner: SHA256
    private let outer: SHA256

    /// SHA-256's block size; longer keys would first be hashed, which no caller needs.
    static let blockByteCount = 64

    init(key: [UInt8]) {
        precondition(key.count <= Self.blockByteCount, "keys longer than a SHA-256 block are not supported")
        let padded = key + [UInt8](repeating: 0, count: Self.blockByteCount - key.count)
        var inner = SHA256()
        inner.update(data: padded.map { $0 ^ 0x36 })
        var outer = SHA256()
        outer.update(data: padded.map { $0 ^ 0x5c })
        self.inner = inner
        self.outer = outer
    }

    /// The first 8 bytes of HMAC-SHA256(key, message), read as a big-endian integer.
    func truncatedCode(_ message: UnsafeRawBufferPointer) -> UInt64 {
        var innerHash = inner
        innerHash.update(bufferPointer: message)
        let innerDigest = innerHash.finalize()
        var outerHash = outer
        innerDigest.withUnsafeBytes { outerHash.update(bufferPointer: $0) }
        return outerHash.finalize().withUnsafeBytes { UInt64(bigEndian: $0.loadUnaligned(as: UInt64.self)) }
    }
}
