/// Tunables of the SWIM + Lifeguard membership core (``SWIMInstance``).
///
/// Defaults follow hashicorp/memberlist's `DefaultLANConfig` and the SWIM / Lifeguard papers,
/// so the analysis in those papers (detection time, false-positive rate, dissemination in
/// O(log N) periods) applies unchanged. Durations are `Duration`; plain numbers say their unit
/// or meaning in their name.
public struct SWIMSettings: Sendable, Equatable {
    /// Length of one protocol period: each period the node probes one member (SWIM §4.3).
    /// Stretched by the local health multiplier (Lifeguard §IV.A).
    public var probeInterval: Duration = .seconds(1)

    /// How long a direct ping waits for its ack before the node asks `indirectProbeCount`
    /// members to probe the target for it (SWIM §3.1). Stretched by the local health multiplier.
    /// Must be shorter than `probeInterval` so that indirect probes can finish in the period.
    public var pingTimeout: Duration = .milliseconds(500)

    /// k, the number of members asked to probe a target indirectly (SWIM §3.1, ping-req).
    public var indirectProbeCount: Int = 3

    /// Scales the minimum suspicion timeout: `min = suspicionMultiplier · max(1, log10 N) ·
    /// probeInterval` (Lifeguard §IV.B; memberlist `SuspicionMult`). Also sets how many
    /// independent confirmations are expected: `suspicionMultiplier - 2`.
    public var suspicionMultiplier: Int = 4

    /// The maximum suspicion timeout, as a multiple of the minimum (Lifeguard §IV.B;
    /// memberlist `SuspicionMaxTimeoutMult`). A suspicion nobody confirms lasts this long.
    public var suspicionMaxMultiplier: Int = 6

    /// λ: each update is piggybacked `λ · ⌈log10(N + 1)⌉` times (SWIM §4.1; memberlist
    /// `RetransmitMult`).
    public var retransmitMultiplier: Int = 4

    /// The local health multiplier ranges over `1 ... awarenessMax` (Lifeguard §IV.A;
    /// memberlist `AwarenessMaxMultiplier`).
    public var awarenessMax: Int = 8

    /// How often the node sends its waiting rumours (member updates and catalogue news) to
    /// `gossipFanout` random live members, besides piggybacking them on probes (memberlist
    /// `GossipInterval`). No message is sent in a round with nothing to tell.
    public var gossipInterval: Duration = .milliseconds(200)

    /// How many random live members each gossip round goes to (memberlist `GossipNodes`).
    public var gossipFanout: Int = 3

    /// The most catalogue announcements one gossip message carries (each is a node ID and a
    /// version, about 60 bytes).
    public var maxCatalogueNewsPerMessage: Int = 16

    /// How often the node exchanges its full state with one random live member
    /// (anti-entropy; memberlist `PushPullInterval`).
    public var pushPullInterval: Duration = .seconds(30)

    /// How long dead and left members are kept as tombstones, so that stale gossip about
    /// them cannot resurrect them. Must exceed the time a rumour can circulate.
    public var tombstoneRetention: Duration = .seconds(3600)

    /// The most piggybacked updates one ping, ping-req, ack or nack carries (memberlist bounds
    /// this by the UDP packet size; a member update is about 60 bytes on the wire).
    public var maxUpdatesPerMessage: Int = 16

    /// The most updates waiting to be piggybacked; beyond it the most-retransmitted ones are
    /// dropped (they have already spread furthest).
    public var gossipQueueCapacity: Int = 1024

    /// The most indirect probes this node runs for others at once; more ping-reqs are dropped.
    public var maxPendingRelays: Int = 64

    /// How many members a leaving node tells directly (the rest learn it by gossip).
    public var leaveFanout: Int = 3

    /// First wait before re-sending join requests when no seed answered; doubled each retry.
    public var joinRetryInitial: Duration = .seconds(1)

    /// The longest wait between join retries; a lone node keeps retrying at this pace.
    public var joinRetryMax: Duration = .seconds(60)

    public init() {}

    /// Checks the relations between settings that the protocol relies on.
    public func validate() throws(SWIMSettingsError) {
        func require(_ condition: Bool, _ message: String) throws(SWIMSettingsError) {
            if !condition { throw SWIMSettingsError(message: message) }
        }
        try require(probeInterval > .zero, "probeInterval must be positive")
        try require(pingTimeout > .zero && pingTimeout < probeInterval, "pingTimeout must be positive and shorter than probeInterval so indirect probes fit in one period")
        try require(indirectProbeCount >= 0, "indirectProbeCount must not be negative")
        try require(suspicionMultiplier >= 1, "suspicionMultiplier must be at least 1")
        try require(suspicionMaxMultiplier >= 1, "suspicionMaxMultiplier must be at least 1")
        try require(retransmitMultiplier >= 1, "retransmitMultiplier must be at least 1")
        try require(awarenessMax >= 1, "awarenessMax must be at least 1")
        try require(gossipInterval > .zero, "gossipInterval must be positive")
        try require(gossipFanout >= 0, "gossipFanout must not be negative")
        try require(maxCatalogueNewsPerMessage >= 1, "maxCatalogueNewsPerMessage must be at least 1")
        try require(pushPullInterval > .zero, "pushPullInterval must be positive")
        try require(tombstoneRetention > .zero, "tombstoneRetention must be positive")
        try require(maxUpdatesPerMessage >= 1, "maxUpdatesPerMessage must be at least 1")
        try require(gossipQueueCapacity >= maxUpdatesPerMessage, "gossipQueueCapacity must be at least maxUpdatesPerMessage")
        try require(maxPendingRelays >= 0, "maxPendingRelays must not be negative")
        try require(leaveFanout >= 0, "leaveFanout must not be negative")
        try require(joinRetryInitial > .zero && joinRetryMax >= joinRetryInitial, "joinRetryInitial must be positive and at most joinRetryMax")
    }
}

/// Settings that contradict each other; the message says which and why.
public struct SWIMSettingsError: Error, Equatable, CustomStringConvertible {
    public let message: String
    public var description: String { "invalid SWIM settings: \(message)" }
}
