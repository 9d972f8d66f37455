import Foundation
import MeshCore

/// One-way delay of a link: a fixed minimum plus an exponentially distributed extra with
/// the given mean, cut at a maximum. Independent draws per message make reordering happen
/// on their own, as on a real network.
public struct LinkProfile: Sendable, Equatable {
    public var name: String
    public var minimumDelay: Duration
    public var meanExtraDelay: Duration
    public var maximumDelay: Duration

    public init(name: String, minimumDelay: Duration, meanExtraDelay: Duration, maximumDelay: Duration) {
        self.name = name
        self.minimumDelay = minimumDelay
        self.meanExtraDelay = meanExtraDelay
        self.maximumDelay = maximumDelay
    }

    /// A data-centre or campus network: 1 to 5 ms.
    public static let lan = LinkProfile(name: "LAN", minimumDelay: .milliseconds(1), meanExtraDelay: .microseconds(1500), maximumDelay: .milliseconds(5))
    /// Sites across Europe: 10 to 100 ms.
    public static let wan = LinkProfile(name: "WAN", minimumDelay: .milliseconds(10), meanExtraDelay: .milliseconds(30), maximumDelay: .milliseconds(100))

    /// The mean one-way delay, accounting for the cut at the maximum.
    public var meanDelay: Duration {
        let minimum = minimumDelay.secondsValue
        let mean = meanExtraDelay.secondsValue
        let span = maximumDelay.secondsValue - minimum
        guard mean > 0 else { return minimumDelay }
        // E[min(X, span)] for X ~ Exp(mean) is mean · (1 - e^(-span/mean)).
        let truncated = mean * (1 - exp(-span / mean))
        return .nanoseconds(Int64((minimum + truncated) * 1e9))
    }
}

/// A cut between one group of nodes and the rest. Symmetric cuts drop traffic both ways;
/// asymmetric ones only from `side` to the rest (a firewall or routing fault one way).
public struct Partition: Sendable, Equatable {
    public var side: Set<Int>
    public var symmetric: Bool

    public init(side: Set<Int>, symmetric: Bool) {
        self.side = side
        self.symmetric = symmetric
    }

    public func blocks(from sender: Int, to receiver: Int) -> Bool {
        let senderIn = side.contains(sender)
        let receiverIn = side.contains(receiver)
        if senderIn == receiverIn { return false }
        return symmetric || senderIn
    }
}

/// What happens to a message between two nodes: delay, loss, duplication, partitions, and
/// slow receivers that handle their messages late. Every draw comes from the caller's
/// random source, so the simulator's single seed decides every fault.
public struct NetworkModel: Sendable {
    public var profile: LinkProfile
    /// Probability that a message is lost, 0 ... 1.
    public var lossRate: Double = 0
    /// Probability that a delivered message arrives twice.
    public var duplicationRate: Double = 0
    /// Cuts in force now, by identifier.
    public var partitions: [Int: Partition] = [:]
    /// Slow nodes and the most extra time they take before handling a message.
    public var slowNodes: [Int: Duration] = [:]

    public init(profile: LinkProfile) {
        self.profile = profile
    }

    public func isBlocked(from sender: Int, to receiver: Int) -> Bool {
        for partition in partitions.values where partition.blocks(from: sender, to: receiver) { return true }
        return false
    }

    /// The delays after which copies of one message sent now arrive: none when it is lost
    /// or cut off, two when it is duplicated.
    public func deliveryDelays(from sender: Int, to receiver: Int, using random: inout SeededRandom) -> [Duration] {
        if !partitions.isEmpty, isBlocked(from: sender, to: receiver) { return [] }
        if lossRate > 0, random.unitInterval() < lossRate { return [] }
        var delays = [delay(to: receiver, using: &random)]
        if duplicationRate > 0, random.unitInterval() < duplicationRate {
            delays.append(delay(to: receiver, using: &random))
        }
        return delays
    }

    private func delay(to receiver: Int, using random: inout SeededRandom) -> Duration {
        let minimum = profile.minimumDelay.nanosecondsCount
        let span = profile.maximumDelay.nanosecondsCount - minimum
        let mean = Double(profile.meanExtraDelay.nanosecondsCount)
        let extra = min(Double(span), -mean * log(1 - random.unitInterval()))
        var total = minimum + Int64(extra)
        if let slowness = slowNodes[receiver] {
            total += Int64(random.unitInterval() * Double(slowness.nanosecondsCount))
        }
        return .nanoseconds(total)
    }
}

extension SeededRandom {
    /// A uniform draw from [0, 1) with 53 random bits.
    public mutating func unitInterval() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }
}
