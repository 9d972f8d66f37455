import Crypto
import MeshCore
import Testing

@testable import SecureAggregation

/// The secure-aggregation core (docs/PRIVACY.md, "Secure aggregation"), run as whole
/// federations in one process: contribute, sum, reveal, unmask, with participants
/// dropping before contributing, contributions lost on the way and holders failing before
/// revealing.
@Suite struct SecureAggregationTests {
    struct Federation {
        let nodes: [NodeID]
        let graph: MaskingGraph
        let queryID: [UInt8]
        let longTerm: [NodeID: Curve25519.KeyAgreement.PrivateKey]
        /// The long-term public keys, as the catalogues publish them.
        let published: [NodeID: [UInt8]]
        let participants: [NodeID: SecureAggregationParticipant]
        let inputs: [NodeID: RingVector]
    }

    /// Long-term X25519 keys of up to 200 nodes, made once: like the keys in a federation's
    /// catalogues they serve every query, whose masks still differ (bound to its query id).
    /// Key generation is the slow part of a debug build; the masks are not.
    static let longTermKeys: [Curve25519.KeyAgreement.PrivateKey] = {
        var random = SeededRandom(seed: 0x5EC_A66)
        return (0..<200).map { _ in try! Curve25519.KeyAgreement.PrivateKey(rawRepresentation: (0..<32).map { _ in UInt8.random(in: 0...255, using: &random) }) }
    }()
    static let publishedKeys: [[UInt8]] = longTermKeys.map { Array($0.publicKey.rawRepresentation) }

    static func nodes(_ size: Int) -> [NodeID] { (0..<size).map { try! NodeID(String(format: "p%03d", $0)) } }

    static func randomQueryID(_ random: inout SeededRandom) -> [UInt8] { (0..<16).map { _ in UInt8.random(in: 0...255, using: &random) } }

    /// A federation of `size` nodes with random inputs of `length` elements; `degree` nil
    /// takes the graph's default.
    static func federation(size: Int, length: Int, degree: Int? = nil, queryID: [UInt8]? = nil, random: inout SeededRandom) throws -> Federation {
        let nodes = Self.nodes(size)
        let queryID = queryID ?? randomQueryID(&random)
        let graph = MaskingGraph(queryID: queryID, participants: nodes, degree: degree)
        var longTerm: [NodeID: Curve25519.KeyAgreement.PrivateKey] = [:]
        var published: [NodeID: [UInt8]] = [:]
        for (index, node) in nodes.enumerated() {
            longTerm[node] = longTermKeys[index]
            published[node] = publishedKeys[index]
        }
        var participants: [NodeID: SecureAggregationParticipant] = [:]
        var inputs: [NodeID: RingVector] = [:]
        for node in nodes {
            participants[node] = try SecureAggregationParticipant(
                node: node, queryID: queryID, graph: graph, longTermKey: longTerm[node]!, neighbourKeys: published, random: &random
            )
            inputs[node] = RingVector(signed: (0..<length).map { _ in Int128(Int64.random(in: -(1 << 60)...(1 << 60), using: &random)) })
        }
        return Federation(nodes: nodes, graph: graph, queryID: queryID, longTerm: longTerm, published: published, participants: participants, inputs: inputs)
    }

    struct Outcome {
        var result: Result<RingVector, SecureAggregationError>
        /// The plain sum of the responders' inputs.
        var expected: RingVector
        var responders: Set<NodeID>
        /// The nodes whose reveal reached the origin.
        var holders: Set<NodeID>
        var revealed: [NodeID: SecureAggregationHolder.Revealed]
    }

    /// Runs one query. `crashed` nodes stop before contributing and never come back; the
    /// contributions of `lost` nodes never reach the origin, though those nodes stay up and
    /// reveal; `silent` nodes fail before revealing. The origin fixes the responders (the
    /// contributions it summed), every live holder answers its request with the shares
    /// those responders addressed to it, and the origin unmasks.
    static func run(
        _ federation: Federation, crashed: Set<NodeID> = [], lost: Set<NodeID> = [], silent: Set<NodeID> = [], random: inout SeededRandom
    ) throws -> Outcome {
        var contributions: [NodeID: SecureAggregationParticipant.Contribution] = [:]
        for node in federation.nodes where !crashed.contains(node) && !lost.contains(node) {
            contributions[node] = try federation.participants[node]!.contribute(federation.inputs[node]!, random: &random)
        }
        let responders = Set(contributions.keys)
        let length = federation.inputs.values.first!.count
        var sum = RingVector(zeros: length)
        var expected = RingVector(zeros: length)
        // Interior nodes only add the masked vectors.
        for (node, contribution) in contributions {
            sum.add(contribution.masked)
            expected.add(federation.inputs[node]!)
        }
        let unmasker = SecureAggregationUnmasker(graph: federation.graph)
        let request = unmasker.request(responders: responders)
        let holders = Set(federation.nodes).subtracting(crashed).subtracting(silent)
        var revealed: [NodeID: SecureAggregationHolder.Revealed] = [:]
        for holder in holders.sorted() {
            let addressed = contributions.compactMapValues { $0.shares[holder] }
            revealed[holder] = try SecureAggregationHolder.reveal(
                request, holder: holder, queryID: federation.queryID, graph: federation.graph, longTermKey: federation.longTerm[holder]!,
                publicKeys: federation.published, shares: addressed
            )
        }
        let result = Result { () throws(SecureAggregationError) in try unmasker.unmask(sum: sum, responders: responders, revealed: revealed) }
        return Outcome(result: result, expected: expected, responders: responders, holders: holders, revealed: revealed)
    }

    /// The responders the tolerance fails for, empty when the sum can be unmasked: a
    /// responder needs the threshold of its neighbours among the holders that revealed, and
    /// a responder next to a dropped participant must have revealed itself, since only the
    /// two ends of a pair know the seed of its mask.
    static func beyondTolerance(_ graph: MaskingGraph, responders: Set<NodeID>, holders: Set<NodeID>) -> Set<NodeID> {
        let dropped = Set(graph.participants).subtracting(responders)
        return responders.filter { responder in
            let neighbours = graph.neighbours(of: responder)
            let enoughShares = neighbours.filter(holders.contains).count >= graph.threshold
            let seedsKnown = holders.contains(responder) || !neighbours.contains(where: dropped.contains)
            return !(enoughShares && seedsKnown)
        }
    }

    /// One random trial of the property test: who is there, and who fails when.
    struct Scenario {
        let size: Int
        let degree: Int?
        let queryID: [UInt8]
        let graph: MaskingGraph
        let crashed: Set<NodeID>
        let lost: Set<NodeID>
        let silent: Set<NodeID>

        var responders: Set<NodeID> { Set(graph.participants).subtracting(crashed).subtracting(lost) }
        var holders: Set<NodeID> { Set(graph.participants).subtracting(crashed).subtracting(silent) }
        var recoverable: Bool { SecureAggregationTests.beyondTolerance(graph, responders: responders, holders: holders).isEmpty }
    }

    static let trials = 0..<40

    /// Sizes 2, 3, 137 and 200, and otherwise as many in each octave from 2-3 to 64-127;
    /// the default graph up to 16 nodes (a complete one), sparse ones above (the default
    /// degree's X25519 agreements are too slow in a debug build, and a low degree lets
    /// shares run short as well as seeds); failure rates from none to a third at each step.
    static func scenario(trial: Int) -> Scenario {
        var random = SeededRandom(seed: UInt64(1000 + trial))
        let size: Int
        switch trial {
        case 0: size = 2
        case 1: size = 3
        case 2: size = 200
        case 3: size = 137
        default:
            let octave = Int.random(in: 1...6, using: &random)
            size = Int.random(in: (1 << octave)...((2 << octave) - 1), using: &random)
        }
        let degree = size <= 16 ? nil : (size <= 64 ? [4, 6, 8] : [4, 6]).randomElement(using: &random)
        let queryID = randomQueryID(&random)
        let graph = MaskingGraph(queryID: queryID, participants: nodes(size), degree: degree)
        func draw(_ rates: [Double]) -> Set<NodeID> {
            let rate = rates.randomElement(using: &random)!
            return Set(graph.participants.filter { _ in Double.random(in: 0..<1, using: &random) < rate })
        }
        let crashed = draw([0, 0.02, 0.1, 0.33])
        let lost = draw([0, 0, 0.05])
        let silent = draw([0, 0.02, 0.1, 0.3])
        return Scenario(size: size, degree: degree, queryID: queryID, graph: graph, crashed: crashed, lost: lost, silent: silent)
    }

    /// Random federations of 2 to 200 participants with random dropouts before
    /// contributing and holders failing before revealing: the sum is exact over the
    /// responders whenever the tolerance holds, and an error naming exactly the responders
    /// it fails for otherwise, never a wrong number. Over all holders, no node's self-mask
    /// share and a pair seed with it are both revealed.
    @Test(arguments: trials)
    func theSumIsExactWithinTheToleranceAndAnErrorBeyondIt(trial: Int) throws {
        let scenario = Self.scenario(trial: trial)
        var random = SeededRandom(seed: UInt64(5000 + trial))
        let federation = try Self.federation(size: scenario.size, length: 3, degree: scenario.degree, queryID: scenario.queryID, random: &random)
        #expect(federation.graph == scenario.graph)
        let outcome = try Self.run(federation, crashed: scenario.crashed, lost: scenario.lost, silent: scenario.silent, random: &random)
        #expect(outcome.responders == scenario.responders && outcome.holders == scenario.holders)
        let beyond = Self.beyondTolerance(federation.graph, responders: outcome.responders, holders: outcome.holders)
        let context = "n \(scenario.size), degree \(federation.graph.degree), \(outcome.responders.count) responders, \(outcome.holders.count) holders"
        // The origin stops waiting by this rule: it must agree with what unmasking needs.
        let suffices = SecureAggregationUnmasker(graph: federation.graph).suffices(responders: outcome.responders, revealedBy: outcome.holders)
        #expect(suffices == beyond.isEmpty, "\(context): the origin's stopping rule says \(suffices), the tolerance fails for \(beyond.sorted())")
        switch outcome.result {
        case .success(let sum):
            #expect(beyond.isEmpty, "unmasked beyond the tolerance (\(context))")
            #expect(sum == outcome.expected, "\(context): the unmasked sum is not the sum of the responders' inputs")
        case .failure(let error):
            #expect(!beyond.isEmpty, "\(context): \(error)")
            #expect(Set(error.nodes) == beyond, "\(context): the error names \(error.nodes), the tolerance fails for \(beyond.sorted())")
        }
        let sharesOf = Set(outcome.revealed.values.flatMap(\.selfMaskShares.keys))
        let seedsWith = Set(outcome.revealed.values.flatMap(\.pairSeeds.keys))
        #expect(sharesOf.isDisjoint(with: seedsWith), "both secrets of \(sharesOf.intersection(seedsWith).sorted()) revealed (\(context))")
        #expect(sharesOf.isSubset(of: outcome.responders) && seedsWith.isDisjoint(with: outcome.responders))
    }

    /// The property test above sees both sides of the tolerance, at small and large sizes,
    /// and both ways of leaving it: a responder short of shares, and a seed with a dropped
    /// participant that went down with its responder.
    @Test func thePropertyTrialsCoverBothSidesOfTheTolerance() {
        let scenarios = Self.trials.map(Self.scenario(trial:))
        let recoverable = scenarios.filter(\.recoverable)
        let beyond = scenarios.filter { !$0.recoverable }
        #expect(recoverable.count >= 10 && beyond.count >= 10, "\(recoverable.count) trials within the tolerance, \(beyond.count) beyond")
        #expect(recoverable.contains { $0.size >= 64 } && beyond.contains { $0.size >= 100 })
        #expect(recoverable.contains { $0.responders.count < $0.size && !$0.silent.isEmpty }, "dropouts and failed holders within the tolerance")
        #expect(recoverable.contains { !$0.lost.isEmpty }, "a node whose contribution was lost still reveals")
        let shortOfShares = beyond.filter { scenario in
            scenario.responders.contains { Set(scenario.graph.neighbours(of: $0)).intersection(scenario.holders).count < scenario.graph.threshold }
        }
        let seedMissing = beyond.filter { scenario in
            let dropped = Set(scenario.graph.participants).subtracting(scenario.responders)
            return scenario.responders.contains { !scenario.holders.contains($0) && scenario.graph.neighbours(of: $0).contains(where: dropped.contains) }
        }
        #expect(!shortOfShares.isEmpty && !seedMissing.isEmpty)
        #expect(scenarios.map(\.size).min() == 2 && scenarios.map(\.size).max() == 200)
    }

    /// Every size from 2 to 40 sums exactly without dropouts: complete graphs of both
    /// parities up to 10 nodes (the default), Harary circles of degree 2 and 4 above.
    @Test func withoutDropoutsEveryFederationSizeSumsExactly() throws {
        for size in 2...40 {
            var random = SeededRandom(seed: UInt64(size))
            let degree = size <= 10 ? nil : 2 + 2 * (size % 2)
            let federation = try Self.federation(size: size, length: 2, degree: degree, random: &random)
            let outcome = try Self.run(federation, random: &random)
            #expect(try outcome.result.get() == outcome.expected, "n \(size), degree \(federation.graph.degree)")
        }
    }

    /// A third of a 100-node federation drops before contributing: the sum over the others
    /// is still exact with the default degree (42, threshold 17).
    @Test func aThirdDroppingStillSumsExactly() throws {
        var random = SeededRandom(seed: 77)
        let federation = try Self.federation(size: 100, length: 4, random: &random)
        #expect(federation.graph.degree == 42 && federation.graph.threshold == 17)
        let dropped = Set(federation.nodes.shuffled(using: &random).prefix(33))
        #expect(Self.beyondTolerance(federation.graph, responders: Set(federation.nodes).subtracting(dropped), holders: Set(federation.nodes).subtracting(dropped)).isEmpty)
        let outcome = try Self.run(federation, crashed: dropped, random: &random)
        #expect(outcome.responders.count == 67)
        #expect(try outcome.result.get() == outcome.expected)
    }

    @Test func tooFewHoldersIsAnErrorNamingTheNode() throws {
        var random = SeededRandom(seed: 5)
        let federation = try Self.federation(size: 20, length: 2, degree: 6, random: &random)
        #expect(federation.graph.threshold == 3)
        let victim = federation.nodes[0]
        let neighbours = federation.graph.neighbours(of: victim)
        // All but two of the victim's holders fail: two shares, one short.
        let silent = Set(neighbours.dropFirst(2))
        let outcome = try Self.run(federation, silent: silent, random: &random)
        guard case .failure(let error) = outcome.result else {
            Issue.record("unmasked with two of \(victim)'s holders")
            return
        }
        #expect(error.nodes.contains(victim), "\(error)")
        #expect(error.message.contains(victim.rawValue))
        // One holder more is enough.
        let enough = try Self.run(federation, silent: Set(neighbours.dropFirst(3)), random: &random)
        #expect(try enough.result.get() == enough.expected)
    }

    /// A responder next to a dropped participant that fails before revealing takes the only
    /// other copy of their pair seed with it: the error names that responder.
    @Test func aMissingPairSeedIsAnErrorNamingTheResponder() throws {
        var random = SeededRandom(seed: 6)
        let federation = try Self.federation(size: 20, length: 2, degree: 6, random: &random)
        let dropped = federation.nodes[3]
        let responder = federation.graph.neighbours(of: dropped)[0]
        let outcome = try Self.run(federation, crashed: [dropped], silent: [responder], random: &random)
        guard case .failure(let error) = outcome.result else {
            Issue.record("unmasked without the seed between \(responder) and \(dropped)")
            return
        }
        #expect(error.nodes == [responder], "\(error)")
    }

    /// What a parent receives for one position does not depend on the data: over 1000
    /// queries each, a masked zero and a masked 2^60 are uniform in their top four bits and
    /// in bits 60 to 63 (where 2^60 would show), and alike. The seeds are fixed, so the
    /// check is repeatable, never flaky; chi-square bounds at the 99.9% quantile.
    @Test func theMaskedVectorDoesNotDependOnTheData() throws {
        let length = 8
        func histograms(_ input: Int128, seeds: Range<UInt64>) throws -> (top: [Int], middle: [Int]) {
            var top = [Int](repeating: 0, count: 16)
            var middle = [Int](repeating: 0, count: 16)
            for seed in seeds {
                var random = SeededRandom(seed: seed)
                let federation = try Self.federation(size: 3, length: length, random: &random)
                let masked = try federation.participants[federation.nodes[1]]!.contribute(RingVector(signed: Array(repeating: input, count: length)), random: &random).masked
                for element in masked.elements {
                    top[Int(element >> 124)] += 1
                    middle[Int((element >> 60) & 15)] += 1
                }
            }
            return (top, middle)
        }
        // 15 degrees of freedom: 37.7 is the 99.9% quantile.
        let bound = 37.7
        func uniformity(_ counts: [Int]) -> Double {
            let expected = Double(counts.reduce(0, +)) / 16
            return counts.map { (Double($0) - expected) * (Double($0) - expected) / expected }.reduce(0, +)
        }
        func difference(_ a: [Int], _ b: [Int]) -> Double {
            zip(a, b).map { a, b in a + b == 0 ? 0 : Double((a - b) * (a - b)) / Double(a + b) }.reduce(0, +)
        }
        let zero = try histograms(0, seeds: 0..<1000)
        let large = try histograms(1 << 60, seeds: 1000..<2000)
        for (name, counts) in [("0, top", zero.top), ("0, bits 60-63", zero.middle), ("2^60, top", large.top), ("2^60, bits 60-63", large.middle)] {
            #expect(uniformity(counts) < bound, "input \(name): counts \(counts), chi-square \(uniformity(counts))")
        }
        #expect(difference(zero.top, large.top) < bound, "top bits: \(zero.top) against \(large.top)")
        #expect(difference(zero.middle, large.middle) < bound, "bits 60-63: \(zero.middle) against \(large.middle)")
    }

    /// No holder hands out both secrets of one node: a request naming a node as both
    /// answered and dropped is refused, and the origin's request never does.
    @Test func noHolderRevealsBothSecretsOfANode() throws {
        var random = SeededRandom(seed: 9)
        let federation = try Self.federation(size: 8, length: 1, random: &random)
        let holder = federation.nodes[0]
        let neighbour = federation.graph.neighbours(of: holder)[0]
        let contribution = try federation.participants[neighbour]!.contribute(federation.inputs[neighbour]!, random: &random)
        let addressed = [neighbour: contribution.shares[holder]!]
        func reveal(_ request: SecureAggregationHolder.Request) throws(SecureAggregationError) -> SecureAggregationHolder.Revealed {
            try SecureAggregationHolder.reveal(
                request, holder: holder, queryID: federation.queryID, graph: federation.graph, longTermKey: federation.longTerm[holder]!,
                publicKeys: federation.published, shares: addressed
            )
        }
        let error = #expect(throws: SecureAggregationError.self) { try reveal(.init(responders: [neighbour], dropped: [neighbour])) }
        #expect(error?.nodes == [neighbour])
        let answered = try reveal(.init(responders: [neighbour], dropped: []))
        #expect(answered.selfMaskShares[neighbour] != nil && answered.pairSeeds.isEmpty)
        let droppedOut = try reveal(.init(responders: [], dropped: [neighbour]))
        #expect(droppedOut.selfMaskShares.isEmpty && droppedOut.pairSeeds[neighbour]?.count == 32)
        // The origin's request splits the participants.
        let request = SecureAggregationUnmasker(graph: federation.graph).request(responders: [neighbour, holder])
        #expect(request.responders.isDisjoint(with: request.dropped) && request.responders.union(request.dropped) == Set(federation.nodes))
    }

    /// A share is bound to its sender and holder: handed to another holder, or claimed to
    /// come from another sender, it does not open and is left out, while the holder still
    /// reveals what it can for the others: one bad share must not silence a holder.
    @Test func aShareOpensOnlyForItsHolderFromItsSender() throws {
        var random = SeededRandom(seed: 10)
        let federation = try Self.federation(size: 8, length: 1, random: &random)
        let sender = federation.nodes[2]
        let other = federation.nodes[3]
        let (first, second) = (federation.nodes[0], federation.nodes[1])
        let contribution = try federation.participants[sender]!.contribute(federation.inputs[sender]!, random: &random)
        let honest = try federation.participants[other]!.contribute(federation.inputs[other]!, random: &random)
        let request = SecureAggregationUnmasker(graph: federation.graph).request(responders: Set(federation.nodes))
        func reveal(_ holder: NodeID, _ shares: [NodeID: [UInt8]]) throws(SecureAggregationError) -> SecureAggregationHolder.Revealed {
            try SecureAggregationHolder.reveal(
                request, holder: holder, queryID: federation.queryID, graph: federation.graph, longTermKey: federation.longTerm[holder]!,
                publicKeys: federation.published, shares: shares
            )
        }
        #expect(try reveal(first, [sender: contribution.shares[first]!]).selfMaskShares[sender] != nil)
        let replayed = try reveal(second, [sender: contribution.shares[first]!, other: honest.shares[second]!])
        #expect(replayed.selfMaskShares[sender] == nil && replayed.selfMaskShares[other] != nil)
        let misattributed = try reveal(first, [second: contribution.shares[first]!, other: honest.shares[first]!])
        #expect(misattributed.selfMaskShares[second] == nil && misattributed.selfMaskShares[other] != nil)
    }

    /// A neighbour without a usable key in its catalogue is an error naming it: a mask its
    /// partner cannot cancel would spoil the sum.
    @Test func aNeighbourWithoutAKeyIsAnError() throws {
        let nodes = Self.nodes(5)
        let graph = MaskingGraph(queryID: [7], participants: nodes)
        var published = Dictionary(uniqueKeysWithValues: nodes.enumerated().map { ($1, Self.publishedKeys[$0]) })
        published[nodes[3]] = nil
        var random = SeededRandom(seed: 11)
        let error = #expect(throws: SecureAggregationError.self) {
            try SecureAggregationParticipant(node: nodes[0], queryID: [7], graph: graph, longTermKey: Self.longTermKeys[0], neighbourKeys: published, random: &random)
        }
        #expect(error?.nodes == [nodes[3]])
        published[nodes[3]] = [1, 2, 3]
        #expect(throws: SecureAggregationError.self) {
            try SecureAggregationParticipant(node: nodes[0], queryID: [7], graph: graph, longTermKey: Self.longTermKeys[0], neighbourKeys: published, random: &random)
        }
    }

    /// What a holder reveals reaches the origin sealed under their long-term keys: the origin
    /// opens it intact; altered, sent as another holder's or opened by another node, it is an
    /// error naming the holder.
    @Test func aSealedRevealOpensAtTheOriginOnly() throws {
        var random = SeededRandom(seed: 12)
        let federation = try Self.federation(size: 10, length: 1, random: &random)
        let (holder, origin, other) = (federation.nodes[4], federation.nodes[0], federation.nodes[7])
        let dropped = federation.graph.neighbours(of: holder).first { $0 != origin }!
        let responders = Set(federation.nodes).subtracting([dropped])
        var addressed: [NodeID: [UInt8]] = [:]
        for sender in federation.graph.neighbours(of: holder) where responders.contains(sender) {
            addressed[sender] = try federation.participants[sender]!.contribute(federation.inputs[sender]!, random: &random).shares[holder]!
        }
        let revealed = try SecureAggregationHolder.reveal(
            SecureAggregationUnmasker(graph: federation.graph).request(responders: responders), holder: holder, queryID: federation.queryID,
            graph: federation.graph, longTermKey: federation.longTerm[holder]!, publicKeys: federation.published, shares: addressed
        )
        #expect(revealed.selfMaskShares.count == federation.graph.degree - 1 && revealed.pairSeeds.keys.sorted() == [dropped])
        let sealed = try SecureAggregationHolder.seal(
            revealed, holder: holder, origin: origin, queryID: federation.queryID, longTermKey: federation.longTerm[holder]!,
            originKey: federation.published[origin]!, random: &random
        )
        func open(_ box: [UInt8], as claimed: NodeID = holder, by receiver: NodeID = origin) throws(SecureAggregationError) -> SecureAggregationHolder.Revealed {
            try SecureAggregationHolder.open(
                box, holder: claimed, origin: receiver, queryID: federation.queryID, longTermKey: federation.longTerm[receiver]!,
                holderKey: federation.published[claimed]!
            )
        }
        #expect(try open(sealed) == revealed)
        var tampered = sealed
        tampered[tampered.count / 2] ^= 1
        let error = #expect(throws: SecureAggregationError.self) { try open(tampered) }
        #expect(error?.nodes == [holder])
        #expect(throws: SecureAggregationError.self) { try open(Array(sealed.dropLast())) }
        #expect(throws: SecureAggregationError.self) { try open(sealed, as: other) }
        #expect(throws: SecureAggregationError.self) { try open(sealed, by: other) }
        // The coding inside the box round-trips, and rejects a truncated entry.
        #expect(RevealedCoding.decode(RevealedCoding.encode(revealed)) == revealed)
        #expect(RevealedCoding.decode(Array(RevealedCoding.encode(revealed).dropLast())) == nil)
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

    /// The constant-time neighbour test the coordinators use on every share agrees with
    /// the neighbour lists.
    @Test func theNeighbourTestAgreesWithTheLists() {
        for (size, degree) in [(2, nil), (5, nil), (12, 4 as Int?), (40, nil), (97, 10)] {
            let nodes = (0..<size).map { try! NodeID(String(format: "n%04d", $0)) }
            let graph = MaskingGraph(queryID: [9, size == 40 ? 1 : 2], participants: nodes, degree: degree)
            for a in nodes {
                let listed = Set(graph.neighbours(of: a))
                for b in nodes { #expect(graph.areNeighbours(a, b) == listed.contains(b), "\(a) \(b) in \(size) nodes of degree \(graph.degree)") }
            }
        }
    }

    @Test func theGraphIsSymmetricWithLogarithmicDegree() {
        for size in [2, 3, 4, 10, 26, 100, 1000] {
            let nodes = (0..<size).map { try! NodeID(String(format: "n%04d", $0)) }
            let graph = MaskingGraph(queryID: [1, 2, 3], participants: nodes)
            #expect(graph.degree == min(size - 1, MaskingGraph.defaultDegree(for: size) & ~1) || graph.degree == size - 1)
            // More than 40% of the neighbours: ⌊2d/5⌋ + 1.
            #expect(graph.threshold == graph.degree * 2 / 5 + 1, "n \(size)")
            for node in nodes.prefix(50) {
                let neighbours = graph.neighbours(of: node)
                #expect(neighbours.count == graph.degree && !neighbours.contains(node))
                for other in neighbours { #expect(graph.neighbours(of: other).contains(node)) }
            }
            #expect(MaskingGraph(queryID: [1, 2, 3], participants: nodes.reversed()) == graph, "the graph depends on the query id and the set only")
        }
        #expect(MaskingGraph.defaultDegree(for: 1000) == 60)
        #expect(MaskingGraph(queryID: [1], participants: Self.nodes(1000)).threshold == 25)
        #expect(MaskingGraph(queryID: [1], participants: Self.nodes(4)).threshold == 2, "a federation of four: one crash still leaves two holders")
        #expect(MaskingGraph(queryID: [1], participants: Self.nodes(100), degree: 7).degree == 6, "an even degree below n")
    }
}
