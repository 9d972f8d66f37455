import Crypto
import MeshCore

/// The origin's last step of secure aggregation: from the sum of the responders' masked
/// vectors (interior nodes only add them) and the shares the holders revealed, it rebuilds
/// each responder's self-mask seed and each dropped participant's ephemeral key, removes
/// their masks, and returns the exact sum of the responders' inputs. It never holds a
/// single provider's input: only masked vectors and their sum reach it.
///
/// The sum is exact while every responder, and every dropped participant that announced a
/// key, has at least the graph's threshold of neighbours whose holders revealed; otherwise
/// the result is an error naming them, never a wrong number.
public struct SecureAggregationUnmasker: Sendable {
    public let queryID: [UInt8]
    public let graph: MaskingGraph
    /// The ephemeral public keys the participants announced.
    public let publicKeys: [NodeID: [UInt8]]

    public init(queryID: [UInt8], graph: MaskingGraph, publicKeys: [NodeID: [UInt8]]) {
        self.queryID = queryID
        self.graph = graph
        self.publicKeys = publicKeys
    }

    /// Who to ask in the unmasking round, and what: the responders' and the dropped
    /// announcers' neighbours.
    public func request(responders: Set<NodeID>) -> SecureAggregationParticipant.UnmaskRequest {
        SecureAggregationParticipant.UnmaskRequest(responders: responders, dropped: Set(publicKeys.keys).subtracting(responders))
    }

    public func unmask(
        sum: RingVector, responders: Set<NodeID>, revealed: [NodeID: SecureAggregationParticipant.Revealed]
    ) throws(SecureAggregationError) -> RingVector {
        var result = sum
        let dropped = Set(publicKeys.keys).subtracting(responders)
        var short: [NodeID] = []
        for responder in responders.sorted() {
            let shares = revealed.values.compactMap { $0.selfMaskShares[responder] }
            guard shares.count >= graph.threshold, let seed = ShamirSharing.combine(Array(shares.prefix(graph.threshold))) else {
                short.append(responder)
                continue
            }
            result.subtract(MaskExpansion.stream(seedBytes: seed, count: sum.count))
        }
        for node in dropped.sorted() {
            let shares = revealed.values.compactMap { $0.maskKeyShares[node] }
            guard shares.count >= graph.threshold, let raw = ShamirSharing.combine(Array(shares.prefix(graph.threshold))),
                let key = try? Curve25519.KeyAgreement.PrivateKey(rawRepresentation: raw),
                Array(key.publicKey.rawRepresentation) == publicKeys[node]
            else {
                short.append(node)
                continue
            }
            // Remove the pairwise masks the responders made with the dropped node.
            for neighbour in graph.neighbours(of: node) where responders.contains(neighbour) {
                guard let rawPeer = publicKeys[neighbour], let peer = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: rawPeer),
                    let seed = try? MaskExpansion.pairKey(key, node, peerKey: peer, neighbour, queryID: queryID, purpose: MaskExpansion.maskInfo)
                else {
                    short.append(neighbour)
                    continue
                }
                let stream = MaskExpansion.stream(seed, count: sum.count)
                if neighbour < node { result.subtract(stream) } else { result.add(stream) }
            }
        }
        guard short.isEmpty else {
            throw SecureAggregationError(
                "too few holders revealed the secrets of \(short.sorted().map(\.rawValue).joined(separator: ", ")) (each needs \(graph.threshold) of its neighbours); the sum cannot be unmasked",
                nodes: short.sorted()
            )
        }
        return result
    }
}
