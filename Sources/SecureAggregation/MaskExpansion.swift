import Crypto
import Foundation
import MeshCore

/// The keys and streams of secure aggregation (docs/PRIVACY.md, "Secure aggregation"):
/// pairwise keys from X25519 agreement between two nodes' long-term keys, bound by HKDF to
/// the query id and both node IDs, one for masks, one for the shares they send each other
/// and one for what a holder reveals to the origin; and the expansion of a 32-byte seed into a ring vector by a ChaCha20 stream.
enum MaskExpansion {
    /// One HKDF output of 64 bytes per pair and query: the pairwise-mask seed, then the
    /// key of the shares the two send each other.
    static let pairInfo = Array("oncomesh-secagg-pair-v1".utf8)
    static let revealInfo = Array("oncomesh-secagg-reveal-v1".utf8)

    /// The key `a` and `b` share for `purpose`, the same whichever of the two computes it.
    static func pairKey(
        _ privateKey: Curve25519.KeyAgreement.PrivateKey, _ ownID: NodeID, peerKey: Curve25519.KeyAgreement.PublicKey, _ peerID: NodeID,
        queryID: [UInt8], purpose: [UInt8]
    ) throws -> SymmetricKey {
        pairKey(try privateKey.sharedSecretFromKeyAgreement(with: peerKey), ownID, peerID, queryID: queryID, purpose: purpose)
    }

    /// The same from an agreed secret.
    static func pairKey(_ shared: SharedSecret, _ ownID: NodeID, _ peerID: NodeID, queryID: [UInt8], purpose: [UInt8], byteCount: Int = 32) -> SymmetricKey {
        let (low, high) = ownID < peerID ? (ownID, peerID) : (peerID, ownID)
        let info = purpose + [0] + Array(low.rawValue.utf8) + [0] + Array(high.rawValue.utf8)
        return shared.hkdfDerivedSymmetricKey(using: SHA256.self, salt: queryID, sharedInfo: info, outputByteCount: byteCount)
    }

    /// `count` ring elements of the ChaCha20 key stream under `seed` (ChaCha20-Poly1305 over
    /// zeros with a fixed nonce: every seed is used for one stream only).
    static func stream(_ seed: SymmetricKey, count: Int) -> RingVector {
        guard count > 0 else { return RingVector(zeros: 0) }
        let zeros = [UInt8](repeating: 0, count: count * 16)
        // A 12-byte nonce of zeros is a valid nonce; sealing cannot fail.
        let sealed = try! ChaChaPoly.seal(zeros, using: seed, nonce: try! ChaChaPoly.Nonce(data: [UInt8](repeating: 0, count: 12)))
        let bytes = Array(sealed.ciphertext)
        var elements: [UInt128] = []
        elements.reserveCapacity(count)
        for index in 0..<count {
            var value: UInt128 = 0
            for byte in bytes[(index * 16)..<(index * 16 + 16)].reversed() { value = value << 8 | UInt128(byte) }
            elements.append(value)
        }
        return RingVector(elements: elements)
    }

    static func stream(seedBytes: [UInt8], count: Int) -> RingVector {
        stream(SymmetricKey(data: seedBytes), count: count)
    }

    static func randomBytes(_ count: Int, using random: inout some RandomNumberGenerator) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
    }
}
