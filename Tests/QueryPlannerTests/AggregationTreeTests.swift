import MeshCore
import QueryPlanner
import Testing

@Suite struct AggregationTreeTests {
    let nodes = (0..<100).map { try! NodeID("site-\($0)") }

    @Test func isTheSameForEveryNodeThatComputesIt() throws {
        let queryID: [UInt8] = Array(repeating: 7, count: 16)
        let a = AggregationTree(queryID: queryID, origin: nodes[0], targets: nodes, fanout: 8)
        let b = AggregationTree(queryID: queryID, origin: nodes[0], targets: nodes.reversed(), fanout: 8)
        #expect(a == b)
        let other = AggregationTree(queryID: Array(repeating: 8, count: 16), origin: nodes[0], targets: nodes, fanout: 8)
        #expect(other.order != a.order, "another query spreads the merging work differently")
    }

    @Test func coversEveryTargetOnceWithConsistentParents() {
        let tree = AggregationTree(queryID: [1, 2, 3], origin: nodes[5], targets: nodes, fanout: 8)
        #expect(tree.root == nodes[5])
        #expect(Set(tree.order) == Set(nodes))
        #expect(tree.order.count == nodes.count)
        #expect(tree.descendants(of: tree.root).count == nodes.count - 1)
        for node in tree.order {
            #expect(tree.children(of: node).count <= 8)
            for child in tree.children(of: node) {
                #expect(tree.parent(of: child) == node)
            }
        }
        #expect(tree.parent(of: tree.root) == nil)
        #expect(tree.depth == 3)  // 1 + 8 + 64 < 100 <= 1 + 8 + 64 + 512
    }

    @Test func includesTheOriginEvenWhenItIsNotATarget() {
        let tree = AggregationTree(queryID: [9], origin: nodes[0], targets: nodes[1...3], fanout: 2)
        #expect(tree.order.count == 4)
        #expect(tree.depth == 2)
        #expect(tree.children(of: nodes[0]).count == 2)
    }
}
