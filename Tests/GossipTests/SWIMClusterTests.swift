import Gossip
import MeshCore
import Testing

/// A small deterministic multi-node driver: N instances, a virtual clock, a seeded message
/// queue with latency and optional loss, every message through the wire encoding. Enough to
/// check convergence and detection end to end; the full simulator is a separate tool.
struct VirtualCluster {
    enum Event {
        case deliver([UInt8], from: NodeID, to: NodeID)
        case timer(SWIMTimer, node: NodeID)
    }

    struct Scheduled {
        var time: Duration
        var order: UInt64
        var event: Event
    }

    var nodes: [NodeID: SWIMInstance] = [:]
    var nodeAt: [String: NodeID] = [:]
    var crashed: Set<NodeID> = []
    /// Death events about live nodes: false positives.
    var falseDeaths: [(observer: NodeID, member: NodeID)] = []
    var now: Duration = .zero
    var lossRate: Double
    private var random: SeededRandom
    private var queue: [Scheduled] = []
    private var order: UInt64 = 0
    private(set) var delivered = 0

    init(seed: UInt64, lossRate: Double = 0) {
        self.random = SeededRandom(seed: seed)
        self.lossRate = lossRate
    }

    mutating func add(_ node: NodeID, settings: SWIMSettings, joining seeds: [String], at time: Duration) {
        let address = "\(node).sim:7946"
        nodeAt[address] = node
        var instance = SWIMInstance(localNode: node, localAddress: address, settings: settings, seed: random.next(), now: time)
        let actions = instance.join(seeds: seeds, now: time)
        nodes[node] = instance
        perform(actions, of: node)
    }

    mutating func run(until end: Duration) {
        while let first = queue.first, first.time <= end {
            queue.removeFirst()
            now = first.time
            switch first.event {
            case .timer(let timer, let node):
                guard !crashed.contains(node) else { continue }
                let actions = nodes[node]!.onTimer(timer, now: now)
                perform(actions, of: node)
            case .deliver(let bytes, let sender, let receiver):
                guard !crashed.contains(receiver) else { continue }
                delivered += 1
                let message = try! SWIMMessage(serializedBytes: bytes)
                let actions = nodes[receiver]!.onMessage(message, from: sender, now: now)
                perform(actions, of: receiver)
            }
        }
        now = end
    }

    private mutating func perform(_ actions: [SWIMAction], of node: NodeID) {
        for action in actions {
            switch action {
            case .schedule(let timer, let after):
                enqueue(.timer(timer, node: node), at: now + after)
            case .send(let message, let destination):
                let receiver: NodeID?
                switch destination {
                case .node(let target, _): receiver = target
                case .address(let address): receiver = nodeAt[address]
                }
                guard let receiver else { continue }
                if lossRate > 0, Double(random.next() % 1_000_000) / 1_000_000 < lossRate { continue }
                let latency = Duration.milliseconds(Int(1 + random.next() % 20))
                enqueue(.deliver(try! message.serializedBytes(), from: node, to: receiver), at: now + latency)
            case .event(.died(let member)):
                if !crashed.contains(member.nodeID) { falseDeaths.append((node, member.nodeID)) }
            case .event, .catalogueNews:
                break
            }
        }
    }

    private mutating func enqueue(_ event: Event, at time: Duration) {
        order += 1
        let item = Scheduled(time: time, order: order, event: event)
        // Binary search for the first later item: equal times stay in insertion order.
        var low = 0
        var high = queue.count
        while low < high {
            let middle = (low + high) / 2
            if queue[middle].time <= time { low = middle + 1 } else { high = middle }
        }
        queue.insert(item, at: low)
    }

    /// Whether every live node sees exactly the live nodes as alive.
    func converged() -> Bool {
        let live = Set(nodes.keys).subtracting(crashed)
        return live.allSatisfy { observer in
            let view = nodes[observer]!.members
            let alive = Set(view.filter { if case .alive = $0.status { true } else { false } }.map(\.nodeID))
            return alive == live
        }
    }
}

@Suite struct SWIMClusterTests {
    @Test(arguments: [UInt64(7), 1234])
    func fiftyNodesJoinThroughOneSeedConvergeAndDetectACrash(seed: UInt64) {
        let settings = SWIMSettings()
        let count = 50
        var cluster = VirtualCluster(seed: seed, lossRate: 0.01)
        let names = (0..<count).map { try! NodeID("node-\($0)") }
        cluster.add(names[0], settings: settings, joining: [], at: .zero)
        for (index, name) in names.enumerated().dropFirst() {
            cluster.add(name, settings: settings, joining: ["node-0.sim:7946"], at: .milliseconds(index * 37))
        }
        var convergedAt: Duration?
        for second in 1...120 {
            cluster.run(until: .seconds(second))
            if cluster.converged() { convergedAt = .seconds(second); break }
        }
        #expect(convergedAt != nil, "seed \(seed): 50 nodes did not converge to all-alive within 120 s")
        guard let joinedAt = convergedAt else { return }

        // Crash one node; every other must mark it dead within the bound the settings imply:
        // round-robin guarantees some node probes it within 2N - 1 periods (SWIM §4.3), the
        // suspicion lasts at most the maximum timeout (Lifeguard §IV.B), and a rumour spreads
        // in O(log N) periods; local health may stretch each period up to awarenessMax times.
        let victim = names[17]
        cluster.crashed.insert(victim)
        let bound = settings.probeInterval * (2 * count - 1) + settings.suspicionTimeoutMax(memberCount: count) + settings.probeInterval * 10
        var detectedAt: Duration?
        var elapsed = Duration.zero
        while elapsed < bound {
            elapsed += .seconds(1)
            cluster.run(until: joinedAt + elapsed)
            let allSeeDead = names.filter { $0 != victim }.allSatisfy { observer in
                if case .dead? = cluster.nodes[observer]!.member(victim)?.status { true } else { false }
            }
            if allSeeDead { detectedAt = elapsed; break }
        }
        #expect(detectedAt != nil, "seed \(seed): not every node marked \(victim) dead within \(bound)")
        #expect(cluster.falseDeaths.isEmpty, "seed \(seed): live nodes declared dead: \(cluster.falseDeaths)")
        #expect(cluster.converged(), "seed \(seed): the live nodes no longer agree")
        print("seed \(seed): converged after \(joinedAt), crash detected by all after \(detectedAt.map { "\($0)" } ?? "-") (bound \(bound)), \(cluster.delivered) messages")
    }

    @Test func runsAreDeterministicGivenTheSeed() {
        func run() -> [[Member]] {
            var cluster = VirtualCluster(seed: 99, lossRate: 0.05)
            let names = (0..<8).map { try! NodeID("n\($0)") }
            cluster.add(names[0], settings: SWIMSettings(), joining: [], at: .zero)
            for name in names.dropFirst() { cluster.add(name, settings: SWIMSettings(), joining: ["n0.sim:7946"], at: .zero) }
            cluster.run(until: .seconds(20))
            return names.map { cluster.nodes[$0]!.members }
        }
        #expect(run() == run())
    }
}
