import Aggregation
import Crypto
import MeshCore
import QueryPlanner
import SecureAggregation
import Testing

/// Real partials through the secure-aggregation core: each provider's partial encoded on
/// the plan's layout, masked, summed as interior nodes would, unmasked at the origin and
/// decoded: the result equals the plaintext merge of the providers that answered.
@Suite struct SecureAggregationPathTests {
    @Test(arguments: [UInt64(1), 2, 3])
    func maskedPartialsSumToTheMergeOfTheResponders(seed: UInt64) throws {
        var random = SeededRandom(seed: seed)
        let query = Query(aggregates: [.studyCount, .subjectCount, .mean("age")], groupBy: [.attribute("modality")])
        let nodes = (0..<12).map { try! NodeID(String(format: "site-%02d", $0)) }
        var plan = QueryCoordinatorTests.plan(targets: nodes, origin: nodes[0], query: query)
        plan.cells = CellSpace(dimensions: [[.code("CT"), .code("MR"), .code("PT"), .null]])
        let encoding = PartialRingEncoding(plan: plan)
        var partials: [NodeID: QueryPartial] = [:]
        for node in nodes {
            var cells: [[GroupValue]: CellPartial] = [:]
            for key in encoding.cells where Bool.random(using: &random) {
                let studies = Int64.random(in: 1...40, using: &random)
                let values = Int64.random(in: 0...studies, using: &random)
                cells[key] = CellPartial(
                    studies: studies, subjects: Int64.random(in: 1...studies, using: &random),
                    statistics: [NumericPartial(count: values, sum: Int128(values) * 600, sumOfSquares: Int128(values) * 360_000, key: random.next())],
                    studyKey: random.next(), subjectKey: random.next()
                )
            }
            partials[node] = QueryPartial(statisticAttributes: ["age"], cells: cells)
        }
        // Plaintext round trip first.
        for partial in partials.values { #expect(try encoding.decode(encoding.encode(partial)) == partial) }

        let graph = MaskingGraph(queryID: plan.queryID.bytes, participants: nodes)
        var longTerm: [NodeID: Curve25519.KeyAgreement.PrivateKey] = [:]
        for node in nodes { longTerm[node] = try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: (0..<32).map { _ in UInt8.random(in: 0...255, using: &random) }) }
        let published = longTerm.mapValues { Array($0.publicKey.rawRepresentation) }
        var contributions: [NodeID: SecureAggregationParticipant.Contribution] = [:]
        for node in nodes {
            let participant = try SecureAggregationParticipant(
                node: node, queryID: plan.queryID.bytes, graph: graph, longTermKey: longTerm[node]!, neighbourKeys: published, random: &random
            )
            contributions[node] = try participant.contribute(encoding.encode(partials[node]!), random: &random)
        }
        // Two sites crash before their contributions reach the origin; the others' masked
        // vectors are summed as interior nodes would, and every live site reveals.
        let crashed = Set(nodes.shuffled(using: &random).prefix(2))
        let responders = Set(nodes).subtracting(crashed)
        var sum = RingVector(zeros: encoding.length)
        var merged = QueryPartial(statisticAttributes: ["age"])
        for node in responders {
            sum.add(contributions[node]!.masked)
            merged.merge(partials[node]!)
        }
        let unmasker = SecureAggregationUnmasker(graph: graph)
        let request = unmasker.request(responders: responders)
        #expect(request.dropped == crashed)
        var revealed: [NodeID: SecureAggregationHolder.Revealed] = [:]
        for holder in responders {
            let addressed = contributions.filter { responders.contains($0.key) }.compactMapValues { $0.shares[holder] }
            revealed[holder] = try SecureAggregationHolder.reveal(
                request, holder: holder, queryID: plan.queryID.bytes, graph: graph, longTermKey: longTerm[holder]!, publicKeys: published, shares: addressed
            )
        }
        let total = try encoding.decode(try unmasker.unmask(sum: sum, responders: responders, revealed: revealed))
        #expect(total == merged)
    }
}
