import Crypto
import MeshCore

/// The origin's last step of secure aggregation: from the sum of the responders' masked
/// vectors (interior nodes only add them) and what the holders revealed, it rebuilds each
/// responder's self-mask seed from the threshold of shares, removes the pairwise masks the
/// responders made with dropped participants from the seeds those responders revealed, and
/// returns the exact sum of the responders' inputs. It never holds a single provider's
/// input: only masked vectors and their sum reach it.
///
/// The sum is exact while every responder has at least the graph's threshold of neighbours
/// that revealed, and every responder next to a dropped participant revealed its seed with
/// it; otherwise the result is an error naming the nodes, never a wrong number.
public struct SecureAggregationUnmasker: Sendable {
    public let graph: MaskingGraph

    public init(graph: MaskingGraph) {
        self.graph = graph
    }

    /// The request of the unmasking round once the responders are fixed: every other
    /// participant dropped.
    public func request(responders: Set<NodeID>) -> SecureAggregationHolder.Request {
        SecureAggregationHolder.Request(responders: responders, dropped: Set(graph.participants).subtracting(responders))
    }

    /// Whether reveals from `holders` are enough to unmask the responders' sum, by the rule
    /// ``unmask(sum:responders:revealed:)`` applies: every responder has the threshold of
    /// neighbours among them, and every responder next to a dropped participant is among
    /// them. The origin stops waiting once this holds (SecAgg+, Bell et al., CCS 2020,
    /// section 3: the server proceeds with the first t answers), so the round costs the
    /// threshold-th fastest holder of each responder rather than the slowest of all. A
    /// reveal that then does not open ends the query with an error naming the holder.
    public func suffices(responders: Set<NodeID>, revealedBy holders: Set<NodeID>) -> Bool {
        var progress = progress(responders: responders)
        for holder in holders { progress.heard(from: holder) }
        return progress.suffices
    }

    /// The same rule kept as reveals arrive one by one, so that the origin can ask after
    /// each whether it may stop, in O(degree) per reveal instead of O(N · degree).
    public func progress(responders: Set<NodeID>) -> Progress {
        Progress(graph: graph, responders: responders)
    }

    public struct Progress: Sendable {
        let graph: MaskingGraph
        /// Responders short of the threshold, with how many more holders each needs.
        private var shortOfShares: [NodeID: Int] = [:]
        /// Responders next to a dropped participant that have not revealed their seed.
        private var seedsMissing: Set<NodeID> = []
        private var heard: Set<NodeID> = []

        init(graph: MaskingGraph, responders: Set<NodeID>) {
            self.graph = graph
            for responder in responders { shortOfShares[responder] = graph.threshold }
            for node in Set(graph.participants).subtracting(responders) {
                for neighbour in graph.neighbours(of: node) where responders.contains(neighbour) { seedsMissing.insert(neighbour) }
            }
        }

        /// `holder`'s reveal arrived (again: counted once).
        public mutating func heard(from holder: NodeID) {
            guard graph.contains(holder), heard.insert(holder).inserted else { return }
            seedsMissing.remove(holder)
            for responder in graph.neighbours(of: holder) {
                guard let missing = shortOfShares[responder] else { continue }
                shortOfShares[responder] = missing == 1 ? nil : missing - 1
            }
        }

        public var suffices: Bool { shortOfShares.isEmpty && seedsMissing.isEmpty }
    }

    public func unmask(sum: RingVector, responders: Set<NodeID>, revealed: [NodeID: SecureAggregationHolder.Revealed]) throws(SecureAggregationError) -> RingVector {
        var result = sum
        let dropped = Set(graph.participants).subtracting(responders)
        var shortOfShares: [NodeID] = []
        var seedsMissing: [(responder: NodeID, dropped: NodeID)] = []
        for responder in responders.sorted() {
            // Shares only count from the responder's own neighbours, one per holder.
            let shares = graph.neighbours(of: responder).compactMap { revealed[$0]?.selfMaskShares[responder] }
            let distinct = Dictionary(shares.map { ($0.x, $0) }, uniquingKeysWith: { first, _ in first }).values.sorted { $0.x < $1.x }
            guard distinct.count >= graph.threshold, let seed = ShamirSharing.combine(Array(distinct.prefix(graph.threshold))), seed.count == 32 else {
                shortOfShares.append(responder)
                continue
            }
            result.subtract(MaskExpansion.stream(seedBytes: seed, count: sum.count))
        }
        for node in dropped.sorted() {
            for neighbour in graph.neighbours(of: node) where responders.contains(neighbour) {
                guard let seed = revealed[neighbour]?.pairSeeds[node], seed.count == 32 else {
                    seedsMissing.append((neighbour, node))
                    continue
                }
                // The responder added the stream if its ID is the lower one.
                let stream = MaskExpansion.stream(seedBytes: seed, count: sum.count)
                if neighbour < node { result.subtract(stream) } else { result.add(stream) }
            }
        }
        var reasons: [String] = []
        if !shortOfShares.isEmpty {
            reasons.append(
                "too few neighbours revealed the self-mask shares of \(shortOfShares.map(\.rawValue).joined(separator: ", ")) (each needs \(graph.threshold) of its \(graph.degree))"
            )
        }
        if !seedsMissing.isEmpty {
            let pairs = seedsMissing.map { "\($0.responder) with \($0.dropped)" }
            reasons.append("no seed of the masks between \(pairs.joined(separator: ", ")) (the responder did not reveal after its neighbour dropped)")
        }
        guard reasons.isEmpty else {
            let nodes = Set(shortOfShares + seedsMissing.map(\.responder)).sorted()
            throw SecureAggregationError(reasons.joined(separator: "; ") + "; the sum cannot be unmasked", nodes: nodes)
        }
        return result
    }
}
