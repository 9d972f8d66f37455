import Crypto
import Foundation
import MeshCore

/// A participant's part in the unmasking round (docs/PRIVACY.md, "Secure aggregation"):
/// holding its neighbours' encrypted self-mask shares, it answers the origin's request,
/// which names who answered and who dropped, with
/// - its share of the self-mask seed of each neighbour that answered, and
/// - the pairwise-mask seed it shares with each neighbour that dropped,
///
/// sealed to the origin so that the interior nodes that carry it learn nothing. It never
/// hands out both kinds of secret of one node: a request naming a node as both answered and
/// dropped is refused here, and the shell answers one request per query (SecAgg+, Bell et
/// al. 2020, section 3: the honest holders' one-kind rule is what keeps an origin that
/// claims a node dropped after its vector arrived from unmasking it).
public enum SecureAggregationHolder {
    /// The origin's request: who answered and who dropped, among the graph's participants.
    public struct Request: Sendable, Equatable {
        public var responders: Set<NodeID>
        public var dropped: Set<NodeID>

        public init(responders: Set<NodeID>, dropped: Set<NodeID>) {
            self.responders = responders
            self.dropped = dropped
        }
    }

    /// What a holder reveals, before sealing.
    public struct Revealed: Sendable, Equatable {
        public var selfMaskShares: [NodeID: ShamirSharing.Share] = [:]
        /// The pairwise-mask seed with each dropped neighbour (32 bytes).
        public var pairSeeds: [NodeID: [UInt8]] = [:]

        public init(selfMaskShares: [NodeID: ShamirSharing.Share] = [:], pairSeeds: [NodeID: [UInt8]] = [:]) {
            self.selfMaskShares = selfMaskShares
            self.pairSeeds = pairSeeds
        }
    }

    /// Answers `request` as `holder`. `shares` are the encrypted shares its neighbours sent
    /// it, by sender; `publicKeys` the long-term X25519 keys of its neighbours.
    public static func reveal(
        _ request: Request, holder: NodeID, queryID: [UInt8], graph: MaskingGraph, longTermKey: Curve25519.KeyAgreement.PrivateKey,
        publicKeys: [NodeID: [UInt8]], shares: [NodeID: [UInt8]], cache: AgreementCache? = nil
    ) throws(SecureAggregationError) -> Revealed {
        let both = request.responders.intersection(request.dropped)
        guard both.isEmpty else {
            throw SecureAggregationError(
                "the unmasking request names \(both.sorted().map(\.rawValue)) as both answered and dropped; no holder reveals both secrets of a node", nodes: both.sorted()
            )
        }
        let neighbours = graph.neighbours(of: holder)
        let keys = try PairKeys(node: holder, queryID: queryID, longTermKey: longTermKey, peers: neighbours, publicKeys: publicKeys, cache: cache)
        var answer = Revealed()
        for neighbour in neighbours {
            if request.responders.contains(neighbour) {
                // A responder whose share did not reach this holder, or does not open here, is
                // simply not revealed: one bad share must not silence the holder for the
                // others. The origin counts the shares it gets.
                guard let ciphertext = shares[neighbour],
                    let plain = try? keys.open(
                        ciphertext, under: try keys.pair(with: neighbour).shareKey, from: neighbour,
                        context: SecureAggregationParticipant.shareContext(from: neighbour, to: holder)
                    ),
                    plain.count == 33, plain[0] != 0
                else { continue }
                answer.selfMaskShares[neighbour] = ShamirSharing.Share(x: plain[0], bytes: Array(plain[1...]))
            } else if request.dropped.contains(neighbour) {
                answer.pairSeeds[neighbour] = try keys.pair(with: neighbour).maskSeed.withUnsafeBytes { Array($0) }
            }
        }
        return answer
    }

    /// `revealed` encrypted from `holder` to `origin` under their long-term keys.
    public static func seal(
        _ revealed: Revealed, holder: NodeID, origin: NodeID, queryID: [UInt8], longTermKey: Curve25519.KeyAgreement.PrivateKey, originKey: [UInt8],
        cache: AgreementCache? = nil, random: inout some RandomNumberGenerator
    ) throws(SecureAggregationError) -> [UInt8] {
        let keys = try PairKeys(node: holder, queryID: queryID, longTermKey: longTermKey, peers: [origin], publicKeys: [origin: originKey], cache: cache)
        return try keys.seal(RevealedCoding.encode(revealed), to: origin, context: revealContext(holder: holder, origin: origin), purpose: MaskExpansion.revealInfo, random: &random)
    }

    /// The origin's side of ``seal(_:holder:origin:queryID:longTermKey:originKey:random:)``.
    public static func open(
        _ sealed: [UInt8], holder: NodeID, origin: NodeID, queryID: [UInt8], longTermKey: Curve25519.KeyAgreement.PrivateKey, holderKey: [UInt8],
        cache: AgreementCache? = nil
    ) throws(SecureAggregationError) -> Revealed {
        let keys = try PairKeys(node: origin, queryID: queryID, longTermKey: longTermKey, peers: [holder], publicKeys: [holder: holderKey], cache: cache)
        let plain = try keys.open(sealed, from: holder, context: revealContext(holder: holder, origin: origin), purpose: MaskExpansion.revealInfo)
        guard let revealed = RevealedCoding.decode(plain) else {
            throw SecureAggregationError("what \(holder) revealed does not decode", nodes: [holder])
        }
        return revealed
    }

    static func revealContext(holder: NodeID, origin: NodeID) -> [UInt8] {
        Array("oncomesh-secagg-reveal".utf8) + [0] + Array(holder.rawValue.utf8) + [0] + Array(origin.rawValue.utf8)
    }
}

/// The bytes of a ``SecureAggregationHolder/Revealed`` inside its sealed box: entries of
/// `kind (1: self-mask share, 2: pair seed) | u8 ID length | ID | x (shares only) | 32 bytes`.
enum RevealedCoding {
    static func encode(_ revealed: SecureAggregationHolder.Revealed) -> [UInt8] {
        var bytes: [UInt8] = []
        for (node, share) in revealed.selfMaskShares.sorted(by: { $0.key < $1.key }) {
            bytes += [1, UInt8(node.rawValue.utf8.count)] + Array(node.rawValue.utf8) + [share.x] + share.bytes
        }
        for (node, seed) in revealed.pairSeeds.sorted(by: { $0.key < $1.key }) {
            bytes += [2, UInt8(node.rawValue.utf8.count)] + Array(node.rawValue.utf8) + seed
        }
        return bytes
    }

    static func decode(_ bytes: [UInt8]) -> SecureAggregationHolder.Revealed? {
        var revealed = SecureAggregationHolder.Revealed()
        var index = 0
        while index < bytes.count {
            guard index + 2 <= bytes.count else { return nil }
            let kind = bytes[index]
            let length = Int(bytes[index + 1])
            index += 2
            guard index + length <= bytes.count, let node = try? NodeID(String(decoding: bytes[index..<(index + length)], as: UTF8.self)) else { return nil }
            index += length
            switch kind {
            case 1:
                guard index + 33 <= bytes.count, bytes[index] != 0 else { return nil }
                revealed.selfMaskShares[node] = ShamirSharing.Share(x: bytes[index], bytes: Array(bytes[(index + 1)..<(index + 33)]))
                index += 33
            case 2:
                guard index + 32 <= bytes.count else { return nil }
                revealed.pairSeeds[node] = Array(bytes[index..<(index + 32)])
                index += 32
            default:
                return nil
            }
        }
        return revealed
    }
}
