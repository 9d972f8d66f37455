import Crypto
import MeshCore

/// Who masks with whom in one query: a random Harary graph over the participants, as in
/// SecAgg+ (Bell, Bonawitz, Gascón, Lepoint, Raykova, CCS 2020, section 3.2): the
/// participants in an order drawn from the query id, each linked to the `degree / 2` next
/// and previous ones around the circle. Every node derives the same graph from the same
/// query id; the degree grows as O(log n), so each participant's work and traffic does too.
public struct MaskingGraph: Sendable, Equatable {
    public let participants: [NodeID]
    public let degree: Int
    /// Shares of a participant's self-mask seed needed to rebuild it: ⌊2d/5⌋ + 1, more than
    /// 40% of its d neighbours. With a third of the participants dropping, a node keeps two
    /// thirds of its neighbours on average, well above it; fewer colluding neighbours than
    /// this learn nothing of the seed. In a federation of four (d = 3, threshold 2) one
    /// crash still leaves every responder two holders.
    public let threshold: Int
    private let position: [NodeID: Int]
    private let order: [NodeID]

    /// - Parameter degree: neighbours per participant; nil takes ``defaultDegree(for:)``.
    public init(queryID: [UInt8], participants: [NodeID], degree: Int? = nil) {
        let unique = Array(Set(participants)).sorted()
        self.participants = unique
        let n = unique.count
        let wanted = degree ?? Self.defaultDegree(for: n)
        // An even degree below n, so that each node has degree / 2 neighbours on each side.
        // At least 2 once there are three participants: a degree of 0 would leave every
        // vector unmasked by pairwise masks.
        let even = max(n >= 3 ? 2 : 0, min(wanted, n - 1, 254)) & ~1
        self.degree = n - 1 <= wanted ? n - 1 : even
        self.threshold = max(1, min(self.degree, self.degree * 2 / 5 + 1))
        order = unique.map { (Self.rank(queryID, $0), $0) }.sorted { $0.0.lexicographicallyPrecedes($1.0) }.map(\.1)
        position = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })
    }

    /// 6⌈log2 n⌉, at least 8 and at most n − 1: with a third of the participants dropping,
    /// the chance that a node keeps fewer than the threshold of live neighbours is below
    /// 10^-4 at 100 nodes and 10^-5 at 1000 (binomial tails; SecAgg+, section 4, chooses
    /// the degree the same way), while each node's work and traffic stay logarithmic.
    public static func defaultDegree(for n: Int) -> Int {
        guard n > 1 else { return 0 }
        var log2 = 0
        while (1 << log2) < n { log2 += 1 }
        return min(n - 1, max(8, 6 * log2))
    }

    public func neighbours(of node: NodeID) -> [NodeID] {
        guard let index = position[node] else { return [] }
        let n = order.count
        if degree >= n - 1 { return order.filter { $0 != node } }
        var result: [NodeID] = []
        for step in 1...(degree / 2) {
            result.append(order[(index + step) % n])
            result.append(order[(index - step + n) % n])
        }
        return result.sorted()
    }

    public func contains(_ node: NodeID) -> Bool { position[node] != nil }

    /// Whether `a` and `b` mask with each other: their distance around the circle is at
    /// most half the degree. Constant time, for checks over many shares.
    public func areNeighbours(_ a: NodeID, _ b: NodeID) -> Bool {
        guard a != b, let first = position[a], let second = position[b] else { return false }
        let n = order.count
        if degree >= n - 1 { return true }
        let distance = abs(first - second)
        return min(distance, n - distance) <= degree / 2
    }

    private static func rank(_ queryID: [UInt8], _ node: NodeID) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: Array("oncomesh-secagg-order-v1".utf8) + [0] + queryID + Array(node.rawValue.utf8))
        return Array(hasher.finalize())
    }
}
