import Crypto
import Foundation
import MeshCore

/// One provider's side of secure aggregation for one query (SecAgg+, Bell et al. 2020,
/// adapted to a tree; docs/PRIVACY.md, "Secure aggregation"). A pure state machine:
/// randomness is an input, messages are values the shell carries.
///
/// 1. ``announce(random:)``: a fresh X25519 key and a fresh self-mask seed for this query;
///    both are split into Shamir shares, one for each neighbour in the masking graph,
///    encrypted to that neighbour's long-term key (the X25519 key its catalogue publishes),
///    and sent to the origin with the public key. Shares leave before anything is masked,
///    so a participant that drops later can still be unmasked around.
/// 2. ``mask(_:announced:)``: given the announced keys, the provider adds to its partial the
///    self mask and, for each announced neighbour, a pairwise mask that the neighbour
///    subtracts. Only the masked vector leaves the node.
/// 3. ``reveal(_:shares:)``: when the origin has fixed who answered, the provider, holding
///    its neighbours' shares, returns the self-mask share of each neighbour that answered
///    and the key share of each that dropped, and never both kinds for one node.
public struct SecureAggregationParticipant: Sendable {
    public let node: NodeID
    public let queryID: [UInt8]
    public let graph: MaskingGraph
    private let longTermKey: Curve25519.KeyAgreement.PrivateKey
    private let neighbourKeys: [NodeID: Curve25519.KeyAgreement.PublicKey]
    private let maskKey: Curve25519.KeyAgreement.PrivateKey
    private let selfSeed: [UInt8]
    /// What this holder has revealed of each neighbour, so that it never reveals both.
    private var revealed: [NodeID: SecretKind] = [:]

    public enum SecretKind: String, Sendable, Equatable {
        /// A share of the seed of a participant's self mask (it answered).
        case selfMask
        /// A share of a participant's ephemeral private key (it dropped).
        case maskKey
    }

    /// - Parameters:
    ///   - longTermKey: this node's X25519 key (`aggregation.key`).
    ///   - neighbourKeys: the long-term X25519 public keys of the graph's neighbours, from
    ///     their verified catalogues.
    public init(
        node: NodeID, queryID: [UInt8], graph: MaskingGraph, longTermKey: Curve25519.KeyAgreement.PrivateKey, neighbourKeys: [NodeID: [UInt8]],
        random: inout some RandomNumberGenerator
    ) throws(SecureAggregationError) {
        self.node = node
        self.queryID = queryID
        self.graph = graph
        self.longTermKey = longTermKey
        var keys: [NodeID: Curve25519.KeyAgreement.PublicKey] = [:]
        for neighbour in graph.neighbours(of: node) {
            guard let raw = neighbourKeys[neighbour], let key = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: raw) else {
                throw SecureAggregationError("no valid X25519 key in the catalogue of \(neighbour), a neighbour of \(node)", nodes: [neighbour])
            }
            keys[neighbour] = key
        }
        self.neighbourKeys = keys
        // 32 random bytes are a valid X25519 private key (clamped by the algorithm).
        maskKey = try! Curve25519.KeyAgreement.PrivateKey(rawRepresentation: MaskExpansion.randomBytes(32, using: &random))
        selfSeed = MaskExpansion.randomBytes(32, using: &random)
    }

    /// What a participant sends in the first round: its ephemeral public key and its
    /// encrypted shares, by the neighbour that will hold them.
    public struct Announcement: Sendable, Equatable {
        public var publicKey: [UInt8]
        public var shares: [NodeID: [UInt8]]
    }

    public func announce(random: inout some RandomNumberGenerator) throws(SecureAggregationError) -> Announcement {
        let holders = graph.neighbours(of: node)
        // Share points 1...d in the order of the holders' IDs.
        let points = holders.indices.map { UInt8($0 + 1) }
        let selfShares = ShamirSharing.split(selfSeed, threshold: graph.threshold, at: points, using: &random)
        let keyShares = ShamirSharing.split(Array(maskKey.rawRepresentation), threshold: graph.threshold, at: points, using: &random)
        var shares: [NodeID: [UInt8]] = [:]
        for (index, holder) in holders.enumerated() {
            let plain = [points[index]] + selfShares[index].bytes + keyShares[index].bytes
            do {
                let key = try MaskExpansion.pairKey(longTermKey, node, peerKey: neighbourKeys[holder]!, holder, queryID: queryID, purpose: MaskExpansion.shareInfo)
                let nonce = try ChaChaPoly.Nonce(data: MaskExpansion.randomBytes(12, using: &random))
                shares[holder] = Array(try ChaChaPoly.seal(plain, using: key, nonce: nonce, authenticating: Self.context(from: node, to: holder)).combined)
            } catch {
                throw SecureAggregationError("cannot encrypt a share for \(holder): \(error)", nodes: [holder])
            }
        }
        return Announcement(publicKey: Array(maskKey.publicKey.rawRepresentation), shares: shares)
    }

    /// Masks `input` with the self mask and a pairwise mask for every neighbour that
    /// announced a key (`announced`: ephemeral public keys by node).
    public func mask(_ input: RingVector, announced: [NodeID: [UInt8]]) throws(SecureAggregationError) -> RingVector {
        var masked = input
        masked.add(MaskExpansion.stream(seedBytes: selfSeed, count: input.count))
        for neighbour in graph.neighbours(of: node) {
            guard let raw = announced[neighbour] else { continue }
            let seed: SymmetricKey
            do {
                let peer = try Curve25519.KeyAgreement.PublicKey(rawRepresentation: raw)
                seed = try MaskExpansion.pairKey(maskKey, node, peerKey: peer, neighbour, queryID: queryID, purpose: MaskExpansion.maskInfo)
            } catch {
                throw SecureAggregationError("no key agreement with \(neighbour): \(error)", nodes: [neighbour])
            }
            let stream = MaskExpansion.stream(seed, count: input.count)
            if node < neighbour { masked.add(stream) } else { masked.subtract(stream) }
        }
        return masked
    }

    /// The origin's request in the unmasking round: who answered and who dropped.
    public struct UnmaskRequest: Sendable, Equatable {
        public var responders: Set<NodeID>
        public var dropped: Set<NodeID>

        public init(responders: Set<NodeID>, dropped: Set<NodeID>) {
            self.responders = responders
            self.dropped = dropped
        }
    }

    /// A holder's answer: one share per neighbour named in the request.
    public struct Revealed: Sendable, Equatable {
        public var selfMaskShares: [NodeID: ShamirSharing.Share] = [:]
        public var maskKeyShares: [NodeID: ShamirSharing.Share] = [:]
    }

    /// Decrypts the shares its neighbours announced for it (`shares`, by sender) and reveals
    /// what the request asks for. Refuses a request that names a node as both answered and
    /// dropped, or that asks for the other kind of secret of a node it already revealed one
    /// of: no node ever hands out both secrets of another.
    public mutating func reveal(_ request: UnmaskRequest, shares: [NodeID: [UInt8]]) throws(SecureAggregationError) -> Revealed {
        let both = request.responders.intersection(request.dropped)
        guard both.isEmpty else {
            throw SecureAggregationError("the request names \(both.sorted()) as both answered and dropped; no holder reveals both secrets of a node", nodes: both.sorted())
        }
        var answer = Revealed()
        for (sender, ciphertext) in shares.sorted(by: { $0.key < $1.key }) {
            let kind: SecretKind
            if request.responders.contains(sender) {
                kind = .selfMask
            } else if request.dropped.contains(sender) {
                kind = .maskKey
            } else {
                continue
            }
            if let earlier = revealed[sender], earlier != kind {
                throw SecureAggregationError(
                    "\(node) already revealed a \(earlier.rawValue) share of \(sender); it never reveals both of a node's secrets", nodes: [sender]
                )
            }
            guard let senderKey = neighbourKeys[sender] else { continue }
            let plain: [UInt8]
            do {
                let key = try MaskExpansion.pairKey(longTermKey, node, peerKey: senderKey, sender, queryID: queryID, purpose: MaskExpansion.shareInfo)
                plain = Array(try ChaChaPoly.open(try ChaChaPoly.SealedBox(combined: ciphertext), using: key, authenticating: Self.context(from: sender, to: node)))
            } catch {
                throw SecureAggregationError("the share from \(sender) does not decrypt at \(node)", nodes: [sender])
            }
            guard plain.count == 65 else {
                throw SecureAggregationError("the share from \(sender) has \(plain.count) bytes, not 65", nodes: [sender])
            }
            revealed[sender] = kind
            switch kind {
            case .selfMask: answer.selfMaskShares[sender] = ShamirSharing.Share(x: plain[0], bytes: Array(plain[1..<33]))
            case .maskKey: answer.maskKeyShares[sender] = ShamirSharing.Share(x: plain[0], bytes: Array(plain[33..<65]))
            }
        }
        return answer
    }

    /// What the share encryption binds: sender and holder, so a share cannot be replayed
    /// as another pair's.
    static func context(from sender: NodeID, to holder: NodeID) -> [UInt8] {
        Array("oncomesh-secagg-share".utf8) + [0] + Array(sender.rawValue.utf8) + [0] + Array(holder.rawValue.utf8)
    }
}
