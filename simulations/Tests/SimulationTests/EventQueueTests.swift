import MeshCore
import Simulation
import Testing

@Suite struct EventQueueTests {
    @Test func popsInTimeOrderAndTiesInSchedulingOrder() {
        var queue = EventQueue<String>()
        queue.schedule("c", at: .milliseconds(30))
        queue.schedule("a1", at: .milliseconds(10))
        queue.schedule("b", at: .milliseconds(20))
        queue.schedule("a2", at: .milliseconds(10))
        queue.schedule("a3", at: .milliseconds(10))
        var order: [String] = []
        while let next = queue.popFirst() { order.append(next.payload) }
        #expect(order == ["a1", "a2", "a3", "b", "c"])
    }

    @Test func matchesASortedReferenceOnRandomInput() {
        var random = SeededRandom(seed: 99)
        var queue = EventQueue<Int>()
        var reference: [(Int64, Int)] = []
        for index in 0..<2000 {
            let time = Int64(random.next() % 50)
            queue.schedule(index, at: .nanoseconds(time))
            reference.append((time, index))
        }
        reference.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
        var popped: [Int] = []
        while let next = queue.popFirst() { popped.append(next.payload) }
        #expect(popped == reference.map(\.1))
    }
}
