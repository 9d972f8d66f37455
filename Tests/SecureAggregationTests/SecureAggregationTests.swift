import Crypto
import MeshCore
import Testing

@testable import SecureAggregation

/// The secure-aggregation core (docs/PRIVACY.md, "Secure aggregation"), run as whole
/// federations in one process: announce, mask, sum, reveal, unmask, with participants
/// dropping at every round.
@Suite struct SecureAggregationTests {
    struct Federation {
        let nodes: [NodeID]
        let graph: MaskingGraph
        let queryID: [UInt8]
        var participants: [NodeID: SecureAggregationParticipant]
        let inputs: [NodeID: RingVector]
    }

    static func federation(size: Int, length: Int, random: inout SeededRandom) throws -> Federation {
        let nodes = (0..<size).map { try! NodeID(String(format: "p%03d", $0)) }
        let queryID = (0..<16).map { _ in UInt8.random(in: 0...255, using: &random) }
        let graph = MaskingGraph(queryID: queryID, participants: nodes)
        var longTerm: [NodeID: Curve25519.KeyAgreement.PrivateKey] = [:]
        for node in nodes {
            longTerm[node] = try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: (0..<32).map { _ in UInt8.random(in: 0...255, using: &random) })
        }
        let published = longTerm.mapValues { Array($0.publicKey.rawRepresentation) }
        var participants: [NodeID: SecureAggregationParticipant] = [:]
        var inputs: [NodeID: RingVector] = [:]
        for node in nodes {
            participants[node] = try SecureAggregationParticipant(
                node: node, queryID: queryID, graph: graph, longTermKey: longTerm[node]!, neighbourKeys: published, random: &random
            )
            inputs[node] = RingVector(signed: (0..<length).map { _ in Int128(Int64.random(in: -(1 << 60)...(1 << 60), using: &random)) })
        }
        return Federation(nodes: nodes, graph: graph, queryID: queryID, participants: participants, inputs: inputs)
    }

    /// Runs the protocol; `dropped` says who stops before announcing, before masking and
    /// before revealing. Returns the outcome and the sum it should be.
    static func run(
        _ federation: inout Federation, beforeAnnouncing: Set<NodeID>, beforeMasking: Set<NodeID>, beforeRevealing: Set<NodeID>, random: inout SeededRandom
    ) throws -> (result: Result<RingVector, SecureAggregationError>, expected: RingVector, responders: Set<NodeID>) {
        var announcements: [NodeID: SecureAggregationParticipant.Announcement] = [:]
        for node in federation.nodes where !beforeAnnouncing.contains(node) {
            announcements[node] = try federation.participants[node]!.announce(random: &random)
        }
        let announced = announcements.mapValues(\.publicKey)
        let length = federation.inputs.values.first!.count
        var sum = RingVector(zeros: length)
        var expected = RingVector(zeros: length)
        var responders: Set<NodeID> = []
        for node in announced.keys where !beforeMasking.contains(node) {
            sum.add(try federation.participants[node]!.mask(federation.inputs[node]!, announced: announced))
            expected.add(federation.inputs[node]!)
            responders.insert(node)
        }
        let unmasker = SecureAggregationUnmasker(queryID: federation.queryID, graph: federation.graph, publicKeys: announced)
        let request = unmasker.request(responders: responders)
        var revealed: [NodeID: SecureAggregationParticipant.Revealed] = [:]
        for holder in responders.subtracting(beforeRevealing) {
            var addressed: [NodeID: [UInt8]] = [:]
            for (sender, announcement) in announcements { if let share = announcement.shares[holder] { addressed[sender] = share } }
            revealed[holder] = try federation.participants[holder]!.reveal(request, shares: addressed)
        }
        let result = Result { () throws(SecureAggregationError) in try unmasker.unmask(sum: sum, responders: responders, revealed: revealed) }
        return (result, expected, responders)
    }

    /// Whether the tolerance holds: every responder and every dropped announcer keeps a
    /// threshold of neighbours among the holders that revealed.
    static func recoverable(_ federation: Federation, announced: Set<NodeID>, responders: Set<NodeID>, holders: Set<NodeID>) -> Bool {
        announced.allSatisfy { node in
            Set(federation.graph.neighbours(of: node)).intersection(holders).count >= federation.graph.threshold
        }
    }

    /// Random federations of 2 to 200 participants with random dropouts at every round: the
    /// sum is exact over the responders whenever the tolerance holds, and an error naming
    /// nodes otherwise, never a wrong number.
    @Test(arguments: 0..<40)
    func theSumIsExactWithinTheToleranceAndAnErrorBeyondIt(trial: Int) throws {
        var random = SeededRandom(seed: UInt64(1000 + trial))
        let size = trial == 39 ? 200 : [2, 3, 5, 8, 13, 30, 64, 100][trial % 8]
        var federation = try Self.federation(size: size, length: 5, random: &random)
        let rate = [0.0, 0.05, 0.15, 0.3][trial % 4]
        func draw() -> Set<NodeID> { Set(federation.nodes.filter { _ in Double.random(in: 0..<1, using: &random) < rate }) }
        let (a, m, r) = (draw(), draw(), draw())
        let (result, expected, responders) = try Self.run(&federation, beforeAnnouncing: a, beforeMasking: m, beforeRevealing: r, random: &random)
        let announced = Set(federation.nodes).subtracting(a)
        let holders = responders.subtracting(r)
        switch result {
        case .success(let sum):
            #expect(Self.recoverable(federation, announced: announced, responders: responders, holders: holders), "unmasked beyond the tolerance (n \(size))")
            #expect(sum == expected, "n \(size), \(responders.count) responders: the unmasked sum is not the sum of their inputs")
        case .failure(let error):
            #expect(!Self.recoverable(federation, announced: announced, responders: responders, holders: holders), "n \(size): \(error)")
            #expect(!error.nodes.isEmpty)
        }
    }

    @Test func withoutDropoutsEveryFederationSizeSumsExactly() throws {
        for size in [2, 3, 4, 7, 31, 120] {
            var random = SeededRandom(seed: UInt64(size))
            var federation = try Self.federation(size: size, length: 3, random: &random)
            let (result, expected, _) = try Self.run(&federation, beforeAnnouncing: [], beforeMasking: [], beforeRevealing: [], random: &random)
            #expect(try result.get() == expected, "n \(size)")
        }
    }

    /// A third of a 100-node federation drops after announcing: the sum over the others is
    /// still exact (the default degree keeps a majority of live neighbours).
    @Test func aThirdDroppingAfterAnnouncingStillSumsExactly() throws {
        var random = SeededRandom(seed: 77)
        var federation = try Self.federation(size: 100, length: 4, random: &random)
        let dropped = Set(federation.nodes.shuffled(using: &random).prefix(33))
        let (result, expected, responders) = try Self.run(&federation, beforeAnnouncing: [], beforeMasking: dropped, beforeRevealing: [], random: &random)
        #expect(responders.count == 67)
        #expect(try result.get() == expected)
    }

    @Test func tooFewHoldersIsAnErrorNamingTheNode() throws {
        var random = SeededRandom(seed: 5)
        var federation = try Self.federation(size: 30, length: 2, random: &random)
        let victim = federation.nodes[0]
        let silent = Set(federation.graph.neighbours(of: victim))
        let (result, _, _) = try Self.run(&federation, beforeAnnouncing: [], beforeMasking: [], beforeRevealing: silent, random: &random)
        guard case .failure(let error) = result else {
            Issue.record("unmasked with none of \(victim)'s holders")
            return
        }
        #expect(error.nodes.contains(victim), "\(error)")
    }

    /// What a parent receives for one position does not depend on the data: over many
    /// seeds, a masked zero and a masked 2^100 are both uniform in their top bits.
    @Test func theMaskedVectorDoesNotDependOnTheData() throws {
        func topBits(_ input: Int128) throws -> [Int] {
            var counts = [Int](repeating: 0, count: 16)
            for seed in 0..<800 {
                var random = SeededRandom(seed: UInt64(seed))
                let federation = try Self.federation(size: 4, length: 1, random: &random)
                let node = federation.nodes[1]
                var announced: [NodeID: [UInt8]] = [:]
                for other in federation.nodes { announced[other] = try federation.participants[other]!.announce(random: &random).publicKey }
                let masked = try federation.participants[node]!.mask(RingVector(signed: [input]), announced: announced)
                counts[Int(masked.elements[0] >> 124)] += 1
            }
            return counts
        }
        for input: Int128 in [0, 1 << 100] {
            let counts = try topBits(input)
            let expected = 800.0 / 16
            let chiSquare = counts.map { (Double($0) - expected) * (Double($0) - expected) / expected }.reduce(0, +)
            // 15 degrees of freedom: 37.7 is the 99.9% quantile.
            #expect(chiSquare < 37.7, "input \(input): top-bit counts \(counts), chi-square \(chiSquare)")
        }
    }

    /// No holder hands out both secrets of one node, in one request or across two.
    @Test func noHolderRevealsBothSecretsOfANode() throws {
        var random = SeededRandom(seed: 9)
        var federation = try Self.federation(size: 8, length: 1, random: &random)
        var announcements: [NodeID: SecureAggregationParticipant.Announcement] = [:]
        for node in federation.nodes { announcements[node] = try federation.participants[node]!.announce(random: &random) }
        let holder = federation.nodes[0]
        let neighbour = federation.graph.neighbours(of: holder)[0]
        let addressed = [neighbour: announcements[neighbour]!.shares[holder]!]
        #expect(throws: SecureAggregationError.self) {
            try federation.participants[holder]!.reveal(.init(responders: [neighbour], dropped: [neighbour]), shares: addressed)
        }
        let first = try federation.participants[holder]!.reveal(.init(responders: [neighbour], dropped: []), shares: addressed)
        #expect(first.selfMaskShares[neighbour] != nil && first.maskKeyShares.isEmpty)
        #expect(throws: SecureAggregationError.self) {
            try federation.participants[holder]!.reveal(.init(responders: [], dropped: [neighbour]), shares: addressed)
        }
    }

    @Test func shamirSharesRebuildAtTheThresholdOnly() {
        var random = SeededRandom(seed: 3)
        let secret = (0..<32).map { _ in UInt8.random(in: 0...255, using: &random) }
        let shares = ShamirSharing.split(secret, threshold: 4, at: [1, 2, 3, 4, 5, 6, 7], using: &random)
        for _ in 0..<20 {
            let subset = Array(shares.shuffled(using: &random).prefix(4))
            #expect(ShamirSharing.combine(subset) == secret)
            #expect(ShamirSharing.combine(Array(subset.prefix(3))) != secret)
        }
    }

    @Test func theGraphIsSymmetricWithLogarithmicDegree() {
        for size in [2, 10, 100, 1000] {
            let nodes = (0..<size).map { try! NodeID(String(format: "n%04d", $0)) }
            let graph = MaskingGraph(queryID: [1, 2, 3], participants: nodes)
            #expect(graph.degree == MaskingGraph.defaultDegree(for: size) || graph.degree == size - 1)
            for node in nodes.prefix(50) {
                let neighbours = graph.neighbours(of: node)
                #expect(neighbours.count == graph.degree && !neighbours.contains(node))
                for other in neighbours { #expect(graph.neighbours(of: other).contains(node)) }
            }
            #expect(MaskingGraph(queryID: [1, 2, 3], participants: nodes.reversed()) == graph, "the graph depends on the query id and the set only")
        }
        #expect(MaskingGraph.defaultDegree(for: 1000) == 60)
    }
}
