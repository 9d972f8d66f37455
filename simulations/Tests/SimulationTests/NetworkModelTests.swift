import MeshCore
import Simulation
import Testing

@Suite struct NetworkModelTests {
    @Test func lossRateIsHonouredWithinStatisticalBounds() {
        var model = NetworkModel(profile: .lan)
        model.lossRate = 0.2
        var random = SeededRandom(seed: 5)
        let trials = 20_000
        let lost = (0..<trials).filter { _ in model.deliveryDelays(from: 0, to: 1, using: &random).isEmpty }.count
        // Binomial(20000, 0.2): standard deviation about 57; allow 5 of them.
        #expect(abs(lost - 4000) < 285, "lost \(lost) of \(trials)")
    }

    @Test func delaysStayWithinTheProfile() {
        let model = NetworkModel(profile: .wan)
        var random = SeededRandom(seed: 6)
        for _ in 0..<5000 {
            let delays = model.deliveryDelays(from: 0, to: 1, using: &random)
            #expect(delays.count == 1)
            #expect(delays[0] >= .milliseconds(10) && delays[0] <= .milliseconds(100))
        }
    }

    @Test func symmetricPartitionsCutBothWaysAsymmetricOnlyOne() {
        var model = NetworkModel(profile: .lan)
        var random = SeededRandom(seed: 7)
        model.partitions[1] = Partition(side: [0, 1], symmetric: true)
        #expect(model.deliveryDelays(from: 0, to: 2, using: &random).isEmpty)
        #expect(model.deliveryDelays(from: 2, to: 0, using: &random).isEmpty)
        #expect(model.deliveryDelays(from: 0, to: 1, using: &random).count == 1)
        model.partitions[1] = Partition(side: [0, 1], symmetric: false)
        #expect(model.deliveryDelays(from: 0, to: 2, using: &random).isEmpty)
        #expect(model.deliveryDelays(from: 2, to: 0, using: &random).count == 1)
        model.partitions[1] = nil
        #expect(model.deliveryDelays(from: 0, to: 2, using: &random).count == 1)
    }

    @Test func duplicationDeliversTwice() {
        var model = NetworkModel(profile: .lan)
        model.duplicationRate = 1
        var random = SeededRandom(seed: 8)
        #expect(model.deliveryDelays(from: 0, to: 1, using: &random).count == 2)
    }
}
