import Crypto
import Foundation
import MeshCore

/// X25519 shared secrets between this node's long-term key and its peers' published keys.
/// They do not depend on the query (every key used for one query is derived from them by
/// HKDF bound to the query id), so a node agrees once per peer and key rather than a
/// few times per neighbour and query: the agreement is the costly step of masking.
///
/// One cache belongs to one long-term key (one node). Bounded: beyond ``capacity`` peers
/// the cache starts over.
public final class AgreementCache: @unchecked Sendable {
    public static let capacity = 4096

    private struct Entry: Sendable {
        var publicKey: [UInt8]
        var secret: SharedSecret
    }

    private let lock = NSLock()
    private var entries: [NodeID: Entry] = [:]

    public init() {}

    /// The shared secret of `privateKey` with `peer`'s `publicKey`, agreed once.
    func secret(_ privateKey: Curve25519.KeyAgreement.PrivateKey, with peer: NodeID, publicKey: Curve25519.KeyAgreement.PublicKey) throws -> SharedSecret {
        let raw = Array(publicKey.rawRepresentation)
        if let entry = lock.withLock({ entries[peer] }), entry.publicKey == raw { return entry.secret }
        let secret = try privateKey.sharedSecretFromKeyAgreement(with: publicKey)
        lock.withLock {
            if entries.count >= Self.capacity { entries.removeAll() }
            entries[peer] = Entry(publicKey: raw, secret: secret)
        }
        return secret
    }
}
