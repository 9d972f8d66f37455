import Crypto
import Foundation
import MeshCore

/// One provider's side of secure aggregation for one query (SecAgg+, Bell, Bonawitz,
/// Gascón, Lepoint, Raykova, CCS 2020, adapted to a tree; docs/PRIVACY.md, "Secure
/// aggregation"). Randomness is an input; the messages are values the shell carries.
///
/// The provider adds to its input vector
/// - a **pairwise mask** for every neighbour in the ``MaskingGraph``: a ChaCha20 stream under
///   a seed both derive from X25519 agreement between their long-term keys (the ones their
///   catalogues publish), bound by HKDF to the query id and both node IDs. The lower node ID
///   adds it, the higher subtracts it, so the masks cancel in the sum of both;
/// - a **self mask**: a stream under a fresh random seed, split by Shamir sharing among the
///   neighbours (threshold ``MaskingGraph/threshold``), each share encrypted to its holder.
///
/// The masked vector and the encrypted shares leave together. Since the pairwise seeds come
/// from keys every neighbour already knows, masking needs no round of its own: the masked
/// vector travels up the tree with the plan's first answer, and one unmasking round follows
/// (``SecureAggregationHolder``, ``SecureAggregationUnmasker``).
public struct SecureAggregationParticipant: Sendable {
    public let node: NodeID
    public let queryID: [UInt8]
    public let graph: MaskingGraph
    private let keys: PairKeys
    private let selfSeed: [UInt8]

    /// What one participant sends up the tree: its masked vector and, for each neighbour,
    /// its share of the self-mask seed, encrypted to that neighbour.
    public struct Contribution: Sendable, Equatable {
        public var masked: RingVector
        /// Encrypted shares by the neighbour that holds them.
        public var shares: [NodeID: [UInt8]]
    }

    /// - Parameters:
    ///   - longTermKey: this node's X25519 key (`aggregation.key`).
    ///   - neighbourKeys: the long-term X25519 public keys of (at least) the graph's
    ///     neighbours, from their verified catalogues. A neighbour without one is an error:
    ///     a mask that its partner cannot cancel would spoil the sum.
    ///   - cache: this node's agreements with its peers' long-term keys, kept across queries.
    public init(
        node: NodeID, queryID: [UInt8], graph: MaskingGraph, longTermKey: Curve25519.KeyAgreement.PrivateKey, neighbourKeys: [NodeID: [UInt8]],
        cache: AgreementCache? = nil, random: inout some RandomNumberGenerator
    ) throws(SecureAggregationError) {
        self.node = node
        self.queryID = queryID
        self.graph = graph
        self.keys = try PairKeys(
            node: node, queryID: queryID, longTermKey: longTermKey, peers: graph.neighbours(of: node), publicKeys: neighbourKeys, cache: cache
        )
        selfSeed = MaskExpansion.randomBytes(32, using: &random)
    }

    /// Masks `input` and encrypts the self-mask shares.
    public func contribute(_ input: RingVector, random: inout some RandomNumberGenerator) throws(SecureAggregationError) -> Contribution {
        var masked = input
        masked.add(MaskExpansion.stream(seedBytes: selfSeed, count: input.count))
        let holders = graph.neighbours(of: node)
        guard !holders.isEmpty else { return Contribution(masked: masked, shares: [:]) }
        // Share points 1...d in the order of the holders' IDs.
        let points = holders.indices.map { UInt8($0 + 1) }
        let selfShares = ShamirSharing.split(selfSeed, threshold: graph.threshold, at: points, using: &random)
        var shares: [NodeID: [UInt8]] = [:]
        for (index, neighbour) in holders.enumerated() {
            let pair = try keys.pair(with: neighbour)
            let stream = MaskExpansion.stream(pair.maskSeed, count: input.count)
            if node < neighbour { masked.add(stream) } else { masked.subtract(stream) }
            let plain = [points[index]] + selfShares[index].bytes
            shares[neighbour] = try PairKeys.seal(plain, under: pair.shareKey, for: neighbour, context: Self.shareContext(from: node, to: neighbour), random: &random)
        }
        return Contribution(masked: masked, shares: shares)
    }

    /// What the share encryption binds besides the pair key: sender and holder, so a share
    /// cannot be replayed as another pair's.
    static func shareContext(from sender: NodeID, to holder: NodeID) -> [UInt8] {
        Array("oncomesh-secagg-share".utf8) + [0] + Array(sender.rawValue.utf8) + [0] + Array(holder.rawValue.utf8)
    }
}

/// The keys one node shares with each of its peers for one query, from X25519 agreement
/// between long-term keys and HKDF bound to the query id and both node IDs
/// (``MaskExpansion/pairKey(_:_:peerKey:_:queryID:purpose:)``).
struct PairKeys: Sendable {
    let node: NodeID
    let queryID: [UInt8]
    /// The X25519 shared secret with each peer, agreed once: each pair needs keys for
    /// several purposes, and the agreement is the expensive step.
    let sharedSecrets: [NodeID: SharedSecret]

    init(
        node: NodeID, queryID: [UInt8], longTermKey: Curve25519.KeyAgreement.PrivateKey, peers: [NodeID], publicKeys: [NodeID: [UInt8]],
        cache: AgreementCache? = nil
    ) throws(SecureAggregationError) {
        var secrets: [NodeID: SharedSecret] = [:]
        for peer in peers {
            guard let raw = publicKeys[peer], let key = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: raw) else {
                throw SecureAggregationError("no valid X25519 key in the catalogue of \(peer), a neighbour of \(node) in the masking graph", nodes: [peer])
            }
            do {
                secrets[peer] = try cache?.secret(longTermKey, with: peer, publicKey: key) ?? longTermKey.sharedSecretFromKeyAgreement(with: key)
            } catch {
                throw SecureAggregationError("no key agreement between \(node) and \(peer): \(error)", nodes: [peer])
            }
        }
        self.node = node
        self.queryID = queryID
        self.sharedSecrets = secrets
    }

    func key(with peer: NodeID, purpose: [UInt8], byteCount: Int = 32) throws(SecureAggregationError) -> SymmetricKey {
        guard let secret = sharedSecrets[peer] else {
            throw SecureAggregationError("\(node) holds no X25519 key of \(peer)", nodes: [peer])
        }
        return MaskExpansion.pairKey(secret, node, peer, queryID: queryID, purpose: purpose, byteCount: byteCount)
    }

    /// The pairwise-mask seed and the share key of this node and `peer` for the query,
    /// from one derivation.
    func pair(with peer: NodeID) throws(SecureAggregationError) -> (maskSeed: SymmetricKey, shareKey: SymmetricKey) {
        let bytes = try key(with: peer, purpose: MaskExpansion.pairInfo, byteCount: 64).withUnsafeBytes { Array($0) }
        return (SymmetricKey(data: bytes[0..<32]), SymmetricKey(data: bytes[32..<64]))
    }

    func seal(_ plain: [UInt8], to peer: NodeID, context: [UInt8], purpose: [UInt8], random: inout some RandomNumberGenerator) throws(SecureAggregationError) -> [UInt8] {
        try Self.seal(plain, under: try key(with: peer, purpose: purpose), for: peer, context: context, random: &random)
    }

    static func seal(_ plain: [UInt8], under key: SymmetricKey, for peer: NodeID, context: [UInt8], random: inout some RandomNumberGenerator) throws(SecureAggregationError) -> [UInt8] {
        do {
            let nonce = try ChaChaPoly.Nonce(data: MaskExpansion.randomBytes(12, using: &random))
            return Array(try ChaChaPoly.seal(plain, using: key, nonce: nonce, authenticating: context).combined)
        } catch {
            throw SecureAggregationError("cannot encrypt for \(peer): \(error)", nodes: [peer])
        }
    }

    func open(_ ciphertext: [UInt8], from peer: NodeID, context: [UInt8], purpose: [UInt8]) throws(SecureAggregationError) -> [UInt8] {
        try open(ciphertext, under: try key(with: peer, purpose: purpose), from: peer, context: context)
    }

    func open(_ ciphertext: [UInt8], under key: SymmetricKey, from peer: NodeID, context: [UInt8]) throws(SecureAggregationError) -> [UInt8] {
        do {
            return Array(try ChaChaPoly.open(try ChaChaPoly.SealedBox(combined: ciphertext), using: key, authenticating: context))
        } catch {
            throw SecureAggregationError("what \(peer) encrypted for \(node) does not decrypt", nodes: [peer])
        }
    }
}
