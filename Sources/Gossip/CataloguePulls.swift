import MeshCore

/// Which catalogue versions to pull, from whom, and when to try again: the shell's half of
/// catalogue dissemination, as a pure state machine (docs/ARCHITECTURE.md, "Code structure: pure cores and thin shells"; `now` is an input).
///
/// News (a gossiped announcement) or a digest names versions a peer holds. A version newer
/// than the one held becomes *wanted*; it is pulled from the peer that named it, once: news
/// about the same version from other peers only adds them as further sources. A want still
/// unmet `retryAfter` later (the request or its answer was lost, or the peer is slow) is
/// pulled again from another source, up to `maxAttempts` times; after that the digest
/// anti-entropy repairs it. Without retries a node whose one pull failed would wait for the
/// next digest round while the news had long stopped circulating.
public struct CataloguePulls: Sendable {
    /// Ask `peer` for the catalogues of `owners`.
    public struct Request: Equatable, Sendable {
        public let peer: NodeID
        public let owners: [NodeID]

        public init(peer: NodeID, owners: [NodeID]) {
            self.peer = peer
            self.owners = owners
        }
    }

    private struct Want: Sendable {
        var version: UInt64
        /// Peers known to hold `version` or newer, in the order they said so (bounded).
        var sources: [NodeID]
        var attempts: Int
        var lastAttempt: Duration
    }

    public let retryAfter: Duration
    public let maxAttempts: Int
    /// The most owners wanted at once; news about further owners waits for a digest.
    public let capacity: Int
    /// The most sources remembered per wanted version.
    public static let maxSources = 8

    private var wanted: [NodeID: Want] = [:]

    public init(retryAfter: Duration = .milliseconds(500), maxAttempts: Int = 4, capacity: Int = 4096) {
        precondition(retryAfter > .zero && maxAttempts >= 1 && capacity >= 1, "invalid catalogue pull settings")
        self.retryAfter = retryAfter
        self.maxAttempts = maxAttempts
        self.capacity = capacity
    }

    /// Owners with a version wanted and not yet held.
    public var wantedCount: Int { wanted.count }

    /// `peer` named these versions (by news or digest); `held` gives the version this node
    /// holds of an owner. Returns what to pull from `peer` now, if anything.
    public mutating func heard(
        _ entries: [CatalogueDigestEntry], from peer: NodeID, now: Duration, held: (NodeID) -> UInt64?
    ) -> Request? {
        var owners: [NodeID] = []
        for entry in entries {
            if let ours = held(entry.nodeID), ours >= entry.version { continue }
            if var want = wanted[entry.nodeID] {
                if entry.version > want.version {
                    // A newer version than the one being pulled: start over with this peer.
                    want = Want(version: entry.version, sources: [peer], attempts: 1, lastAttempt: now)
                    owners.append(entry.nodeID)
                } else if entry.version == want.version, !want.sources.contains(peer), want.sources.count < Self.maxSources {
                    want.sources.append(peer)
                }
                wanted[entry.nodeID] = want
            } else if wanted.count < capacity {
                wanted[entry.nodeID] = Want(version: entry.version, sources: [peer], attempts: 1, lastAttempt: now)
                owners.append(entry.nodeID)
            }
        }
        guard !owners.isEmpty else { return nil }
        return Request(peer: peer, owners: owners.sorted())
    }

    /// When the earliest unmet want is due to be pulled again (nil: nothing wanted).
    public var nextDue: Duration? {
        wanted.values.lazy.map { $0.lastAttempt + retryAfter }.min()
    }

    /// `owner`'s catalogue at `version` is now held: a want for it or an older one is met.
    public mutating func accepted(owner: NodeID, version: UInt64) {
        if let want = wanted[owner], want.version <= version { wanted[owner] = nil }
    }

    /// Wants unmet `retryAfter` after their last attempt, pulled again from their next
    /// source (one request per peer). Wants out of attempts are dropped; so are wants the
    /// node meanwhile holds (`held`), e.g. through a digest round.
    public mutating func due(now: Duration, held: (NodeID) -> UInt64?) -> [Request] {
        var byPeer: [NodeID: [NodeID]] = [:]
        for owner in wanted.keys.sorted() {
            guard var want = wanted[owner] else { continue }
            if let ours = held(owner), ours >= want.version {
                wanted[owner] = nil
                continue
            }
            guard now - want.lastAttempt >= retryAfter else { continue }
            guard want.attempts < maxAttempts else {
                wanted[owner] = nil
                continue
            }
            let source = want.sources[want.attempts % want.sources.count]
            want.attempts += 1
            want.lastAttempt = now
            wanted[owner] = want
            byPeer[source, default: []].append(owner)
        }
        return byPeer.keys.sorted().map { Request(peer: $0, owners: byPeer[$0]!) }
    }

    /// Forgets everything (the process restarted).
    public mutating func reset() {
        wanted = [:]
    }
}
