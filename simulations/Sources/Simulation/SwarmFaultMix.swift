import Foundation
import MeshCore

/// The faults of one swarm run, every one of them drawn from the run's seed: which kinds are
/// on, at what rate or with which sides and victims, and from when until when. Several kinds
/// usually overlap. Times count from the start of the fault phase (the mesh has formed by
/// then); at `faultPhase` every fault stops: the network heals whole, crashed nodes drawn to
/// restart have restarted, and the others stay down.
///
/// The mix is drawn from its own stream of the seed, before the simulator runs, so it can be
/// printed and compared without running anything, and the simulator's own draws (delays,
/// losses) are those of any run with that seed.
public struct SwarmFaultMix: Sendable, Equatable {
    /// When a fault is in force, from the start of the fault phase.
    public struct Window: Sendable, Equatable {
        public var from: Duration
        public var until: Duration
    }

    /// A probability applied to every message while the window lasts (loss or duplication).
    public struct RateFault: Sendable, Equatable {
        public var rate: Double
        public var window: Window
    }

    /// Receivers that handle each message up to their extra delay late.
    public struct SlowNodes: Sendable, Equatable {
        public var extraDelayMax: [Int: Duration]
        public var window: Window
    }

    /// How a cut splits the mesh.
    public enum CutShape: Sendable, Equatable {
        /// Two sides; traffic is dropped both ways.
        case twoSided(side: Set<Int>)
        /// Traffic from `side` to the rest is dropped; the rest still reaches `side`.
        case oneWay(side: Set<Int>)
        /// Three or more sides, each cut from every other both ways.
        case multiSided(sides: [Set<Int>])
    }

    public struct Cut: Sendable, Equatable {
        public var shape: CutShape
        public var window: Window
    }

    /// A node's process stops at `at`; it restarts at `restartAt`, or stays down when nil.
    public struct Crash: Sendable, Equatable {
        public var node: Int
        public var at: Duration
        public var restartAt: Duration?
    }

    /// A node publishes a new catalogue version (if it is up then), so that catalogue views
    /// diverge while faults are in force.
    public struct Publication: Sendable, Equatable {
        public var node: Int
        public var at: Duration
    }

    public var nodeCount: Int
    /// How long faults are drawn over; every one stops at its end.
    public var faultPhase: Duration
    public var loss: RateFault?
    public var duplication: RateFault?
    public var slowNodes: SlowNodes?
    public var cuts: [Cut] = []
    public var crashes: [Crash] = []
    public var publications: [Publication] = []

    public init(nodeCount: Int, faultPhase: Duration) {
        self.nodeCount = nodeCount
        self.faultPhase = faultPhase
    }

    /// Nodes that are down once the faults have stopped.
    public var crashedForGood: Set<Int> { Set(crashes.filter { $0.restartAt == nil }.map(\.node)) }

    /// Mixed into the seed for the stream the mix is drawn from.
    static let stream: UInt64 = 0x5357_4152_4D4D_4958

    // Ranges the draws come from. Rates up to 30%: beyond that the membership core's
    // suspicions, not the faults, dominate what a run shows.
    static let faultPhaseSeconds = 20...90
    static let rateRange = 0.01...0.30
    static let slowExtraDelayMillisecondsRange: ClosedRange<Int64> = 50...1_500
    static let shortestWindowSeconds = 5.0

    /// Draws the mix of seed `seed` for a mesh of `nodeCount` nodes (at least 4).
    public static func draw(seed: UInt64, nodeCount: Int) -> SwarmFaultMix {
        precondition(nodeCount >= 4, "a swarm mesh needs at least 4 nodes, got \(nodeCount)")
        var random = SeededRandom(seed: seed ^ stream)
        func below(_ bound: Int) -> Int { Int(random.next() % UInt64(bound)) }
        func between(_ range: ClosedRange<Int>) -> Int { range.lowerBound + below(range.count) }
        func unit() -> Double { random.unitInterval() }
        func chance(_ probability: Double) -> Bool { unit() < probability }
        func seconds(_ value: Double) -> Duration { .milliseconds(Int64((value * 1000).rounded())) }

        let phaseSeconds = Double(between(faultPhaseSeconds))
        var mix = SwarmFaultMix(nodeCount: nodeCount, faultPhase: .seconds(Int64(phaseSeconds)))
        func window() -> Window {
            let from = unit() * phaseSeconds * 0.6
            let until = from + shortestWindowSeconds + unit() * (phaseSeconds - from - shortestWindowSeconds)
            return Window(from: seconds(from), until: seconds(until))
        }
        func rate() -> Double { rateRange.lowerBound + unit() * (rateRange.upperBound - rateRange.lowerBound) }
        func subset(size: Int) -> Set<Int> {
            var pool = Array(0..<nodeCount)
            var picked: Set<Int> = []
            while picked.count < size { picked.insert(pool.remove(at: below(pool.count))) }
            return picked
        }

        // Which kinds are on: each with even odds, and at least one.
        var on = (0..<5).map { _ in chance(0.5) }
        if !on.contains(true) { on[below(on.count)] = true }
        if on[0] { mix.loss = RateFault(rate: rate(), window: window()) }
        if on[1] { mix.duplication = RateFault(rate: rate(), window: window()) }
        if on[2] {
            let count = between(1...max(1, nodeCount / 4))
            var delays: [Int: Duration] = [:]
            for node in subset(size: count).sorted() {
                delays[node] = .milliseconds(Int64(between(Int(slowExtraDelayMillisecondsRange.lowerBound)...Int(slowExtraDelayMillisecondsRange.upperBound))))
            }
            mix.slowNodes = SlowNodes(extraDelayMax: delays, window: window())
        }
        if on[3] {
            for _ in 0..<between(1...2) {
                let shape: CutShape
                switch below(3) {
                case 0: shape = .twoSided(side: subset(size: between(1...(nodeCount - 1))))
                case 1: shape = .oneWay(side: subset(size: between(1...(nodeCount - 1))))
                default:
                    let sideCount = between(3...min(4, nodeCount))
                    var order = Array(0..<nodeCount)
                    for position in order.indices.reversed() { order.swapAt(position, below(position + 1)) }
                    var sides = (0..<sideCount).map { Set([order[$0]]) }
                    for node in order.dropFirst(sideCount) { sides[below(sideCount)].insert(node) }
                    shape = .multiSided(sides: sides)
                }
                mix.cuts.append(Cut(shape: shape, window: window()))
            }
        }
        if on[4] {
            let victims = subset(size: between(1...max(1, nodeCount / 5))).sorted()
            for node in victims {
                let at = unit() * phaseSeconds * 0.8
                let restartAt: Duration? = chance(0.6) ? seconds(at + 1 + unit() * (phaseSeconds - at - 1)) : nil
                mix.crashes.append(Crash(node: node, at: seconds(at), restartAt: restartAt))
            }
            // Restarted nodes join through the formation's seeds: one of them at least must
            // be up in the end, or a restart could never rejoin (a deployment that lost every
            // seed for good, not a fault the mesh is meant to survive).
            let seeds = Set(0..<MeshFormation.seedCount)
            if seeds.isSubset(of: mix.crashedForGood), let last = mix.crashes.lastIndex(where: { seeds.contains($0.node) }) {
                mix.crashes[last].restartAt = mix.faultPhase
            }
        }
        for _ in 0..<below(4) {
            mix.publications.append(Publication(node: below(nodeCount), at: seconds(unit() * phaseSeconds)))
        }
        return mix
    }

    /// The network faults and crashes of the mix as a schedule, with the fault phase
    /// starting at `start`; it ends with every network fault healed. Restarts and
    /// publications are not faults of the network model; the run carries them out itself.
    public func faultSchedule(startingAt start: Duration) -> FaultSchedule {
        var schedule = FaultSchedule()
        if let loss {
            schedule.add(.setLossRate(loss.rate), at: start + loss.window.from)
            schedule.add(.setLossRate(0), at: start + loss.window.until)
        }
        if let duplication {
            schedule.add(.setDuplicationRate(duplication.rate), at: start + duplication.window.from)
            schedule.add(.setDuplicationRate(0), at: start + duplication.window.until)
        }
        if let slowNodes {
            schedule.add(.setSlowNodes(slowNodes.extraDelayMax), at: start + slowNodes.window.from)
            schedule.add(.setSlowNodes([:]), at: start + slowNodes.window.until)
        }
        var nextID = 1
        for cut in cuts {
            let partitions: [Partition]
            switch cut.shape {
            case .twoSided(let side): partitions = [Partition(side: side, symmetric: true)]
            case .oneWay(let side): partitions = [Partition(side: side, symmetric: false)]
            // Cutting every side but the last from the rest cuts every pair of sides.
            case .multiSided(let sides): partitions = sides.dropLast().map { Partition(side: $0, symmetric: true) }
            }
            for partition in partitions {
                schedule.addCut(id: nextID, partition, from: start + cut.window.from, until: start + cut.window.until)
                nextID += 1
            }
        }
        for crash in crashes { schedule.add(.crash(node: crash.node), at: start + crash.at) }
        schedule.add(.healAll, at: start + faultPhase)
        return schedule
    }

    /// The mix in one short line: `phase=63s loss=12%@4-40s cut2[5|15]@5-35s crash=n5@12s→21s ...`.
    public var shortForm: String {
        func time(_ duration: Duration) -> String { SVGChart.format((duration.secondsValue * 10).rounded() / 10) }
        func span(_ window: Window) -> String { "@\(time(window.from))-\(time(window.until))s" }
        func percent(_ rate: Double) -> String { "\(SVGChart.format((rate * 1000).rounded() / 10))%" }
        var parts = ["phase=\(time(faultPhase))s"]
        if let loss { parts.append("loss=\(percent(loss.rate))\(span(loss.window))") }
        if let duplication { parts.append("dup=\(percent(duplication.rate))\(span(duplication.window))") }
        if let slowNodes {
            let nodes = slowNodes.extraDelayMax.keys.sorted().map { "n\($0)+\(slowNodes.extraDelayMax[$0]!.nanosecondsCount / 1_000_000)ms" }
            parts.append("slow=\(nodes.joined(separator: ","))\(span(slowNodes.window))")
        }
        for cut in cuts {
            switch cut.shape {
            case .twoSided(let side): parts.append("cut2[\(side.count)|\(nodeCount - side.count)]\(span(cut.window))")
            case .oneWay(let side): parts.append("oneway[\(side.count)→\(nodeCount - side.count)]\(span(cut.window))")
            case .multiSided(let sides): parts.append("cut\(sides.count)[\(sides.map { "\($0.count)" }.joined(separator: "|"))]\(span(cut.window))")
            }
        }
        if !crashes.isEmpty {
            let described = crashes.map { "n\($0.node)@\(time($0.at))s→\($0.restartAt.map { "\(time($0))s" } ?? "down")" }
            parts.append("crash=\(described.joined(separator: ","))")
        }
        if !publications.isEmpty { parts.append("publish=\(publications.map { "n\($0.node)@\(time($0.at))s" }.joined(separator: ","))") }
        return parts.joined(separator: " ")
    }
}
