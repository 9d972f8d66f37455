import Foundation
import MeshCore

/// How catalogues and revocation lists spread through the mesh: every rule of catalogue
/// dissemination, as one pure state machine that both the node (`CatalogueShell`) and the
/// simulator drive (docs/ARCHITECTURE.md, "Gossip" and "Code structure: pure cores and thin
/// shells"). Time (`now` since the process started, `date` for certificate and catalogue
/// validity) and randomness (a seed) are inputs; every call returns the ``Action``s the
/// shell carries out, so nothing here does I/O.
///
/// The rules, in one place:
/// - **News.** A version accepted, or published, is announced through the membership
///   gossip (``Action/announce(_:)``); a node that hears of a newer version than it holds
///   pulls it from the announcer (``CataloguePulls`` decides what, from whom, and retries
///   from another source).
/// - **Anti-entropy.** Every ``Settings/antiEntropyInterval`` (the first one at a phase drawn
///   from the seed, so nodes do not all send at once) the node sends its whole digest to one
///   random live member, which pulls what the gossip missed. A node that just joined sends
///   its digest to its seed asking for the seed's in return.
/// - **Revocation lists flood.** A newer list is adopted (catalogues of revoked signers
///   dropped) and passed to every live member; an older, equal or invalid one stops here,
///   which ends the flood. A digest carries the sender's list version: a peer with an older
///   list is handed ours, a peer with a newer one gets our digest so it hands its list over.
/// - **Expiry.** Catalogues past their expiry are dropped on every ``tick(now:date:liveMembers:)``.
public struct CatalogueDissemination: Sendable {
    public struct Settings: Sendable {
        /// How often the whole digest goes to one random live member.
        public var antiEntropyInterval: Duration = .seconds(10)
        /// What to pull from whom and when to retry.
        public var pulls = CataloguePulls()

        public init() {}
    }

    /// A digest as it travels: the versions held, and the revocation list version in force.
    public struct Digest: Sendable, Equatable {
        public var entries: [CatalogueDigestEntry]
        /// Set by a node that just joined: the receiver answers with its own digest.
        public var wantsDigest: Bool
        public var revocationVersion: UInt64

        public init(entries: [CatalogueDigestEntry], wantsDigest: Bool, revocationVersion: UInt64) {
            self.entries = entries
            self.wantsDigest = wantsDigest
            self.revocationVersion = revocationVersion
        }

        /// As the `CatalogueDigest` message of Catalogue.proto.
        public var wire: WireCatalogueDigest {
            var message = CatalogueDigestEntry.wire(entries)
            message.wantsDigest = wantsDigest
            message.revocationVersion = revocationVersion
            return message
        }

        public init(wire: WireCatalogueDigest) {
            self.init(entries: CatalogueDigestEntry.entries(from: wire), wantsDigest: wire.wantsDigest, revocationVersion: wire.revocationVersion)
        }
    }

    /// What the shell does next.
    public enum Action: Sendable {
        /// Send this digest to the peer (fire and forget).
        case sendDigest(Digest, to: NodeID)
        /// Ask `request.peer` for the catalogues of `request.owners`, and hand what comes back
        /// to ``receiveBundle(_:from:now:date:)``.
        case pull(CataloguePulls.Request)
        /// Send this revocation list to these peers (fire and forget).
        case sendRevocations(SignedRevocationList, to: [NodeID])
        /// Gossip that this node now holds these versions.
        case announce([CatalogueDigestEntry])
        /// A catalogue was accepted (`via` is the peer it came from, nil for this node's own).
        case accepted(SignedCatalogue, owner: NodeID, version: UInt64, replaced: UInt64?, via: NodeID?)
        /// A catalogue was refused.
        case rejected(CatalogueRejection, via: NodeID?)
        /// A held catalogue expired (its owner stopped re-signing) and was dropped.
        case expired(NodeID)
        /// A newer revocation list is in force; the catalogues of these nodes were dropped.
        case adoptedRevocations(version: UInt64, dropped: [NodeID])
    }

    public let settings: Settings
    public private(set) var store: CatalogueStore
    private var pulls: CataloguePulls
    private var random: SeededRandom
    /// When the next anti-entropy digest is due; nil until ``start(now:)``.
    private var nextDigestAt: Duration?
    /// This node's newest catalogue, as published.
    public private(set) var own: Catalogue?
    /// The signed revocation list in force, as received: what this node hands a peer whose
    /// digest shows an older one.
    public private(set) var heldRevocations: SignedRevocationList?
    /// An order-independent hash of the (owner, version) pairs held: two stores with equal
    /// fingerprints hold the same versions (up to hash collisions), so a digest exchange
    /// between them would pull nothing. Kept as catalogues come and go, O(1) per change.
    public private(set) var fingerprint: UInt64 = 0
    /// Raised on every change of what is held (a digest cached by a shell is stale once it moves).
    public private(set) var changeCount = 0

    public init(verifier: CatalogueVerifier, settings: Settings = Settings(), seed: UInt64) {
        self.settings = settings
        self.store = CatalogueStore(verifier: verifier)
        self.pulls = settings.pulls
        self.random = SeededRandom(seed: seed)
    }

    /// Catalogues held, one per owner.
    public var heldCount: Int { store.count }
    /// Owners with a newer version wanted and not yet held.
    public var wantedCount: Int { pulls.wantedCount }
    /// The revocation list version in force (0: none).
    public var revocationVersion: UInt64 { store.verifier.revocations.version }

    /// The digest this node sends (the store keeps its entries in owner order).
    public func digest(wantsDigest: Bool) -> Digest {
        Digest(entries: store.digest(), wantsDigest: wantsDigest, revocationVersion: revocationVersion)
    }

    /// The process starts at `now`: the first anti-entropy round comes at a phase drawn in
    /// [0, interval), so nodes started together do not send their digests together.
    public mutating func start(now: Duration) {
        // Whole milliseconds: a shell that keys its timers by a coarser unit than Duration's
        // attoseconds still wakes at exactly the instant asked for.
        let (seconds, attoseconds) = settings.antiEntropyInterval.components
        let intervalMilliseconds = UInt64(max(1, seconds * 1000 + attoseconds / 1_000_000_000_000_000))
        nextDigestAt = now + .milliseconds(Int64(random.next() % intervalMilliseconds))
    }

    /// The earliest time a ``tick(now:date:liveMembers:)`` has something to do (a digest or a
    /// pull retry), for a shell that sleeps until then rather than polling.
    public var nextWake: Duration? {
        switch (nextDigestAt, pulls.nextDue) {
        case (let digest?, let pull?): min(digest, pull)
        case (let digest?, nil): digest
        case (nil, let pull): pull
        }
    }

    /// The version this node's next catalogue gets: above every version it published, and at
    /// least `floor` (a real node passes the signing time in Unix milliseconds, so versions
    /// grow across restarts without any state).
    public func nextOwnVersion(floor: UInt64 = 0) -> UInt64 {
        max(CatalogueStore.nextVersion(after: own), floor)
    }

    /// Whether this node's own catalogue is due to be signed again.
    public func ownNeedsResign(date: Date) -> Bool {
        own.map { CatalogueStore.needsResign(own: $0, now: date) } ?? false
    }

    /// Holds a newly signed version of this node's own catalogue and announces it. Throws the
    /// rejection when the store refuses it (a shell must not go on with a catalogue no peer
    /// would accept).
    public mutating func publish(
        _ signed: SignedCatalogue, date: Date, verify: ((SignedCatalogue) throws(CatalogueRejection) -> VerifiedCatalogue)? = nil
    ) throws(CatalogueRejection) -> [Action] {
        var actions: [Action] = []
        offer(signed, via: nil, date: date, verify: verify, into: &actions)
        switch actions.first {
        case .accepted(_, let owner, _, _, _)?: own = store.catalogue(of: owner)?.catalogue
        case .rejected(let rejection, _)?: throw rejection
        default: preconditionFailure("an offer answers with its outcome first")
        }
        return actions
    }

    /// Housekeeping: drop expired catalogues, pull again what is overdue, and send the digest
    /// to one random live member when the anti-entropy round is due. With no live member the
    /// round passes.
    public mutating func tick(now: Duration, date: Date, liveMembers: [NodeID]) -> [Action] {
        var actions: [Action] = []
        let expired = store.expire(now: date)
        if !expired.isEmpty { catalogueDropped() }
        for owner in expired { actions.append(.expired(owner)) }
        let versions = store.heldVersions
        for request in pulls.due(now: now, held: { versions[$0] }) {
            actions.append(.pull(request))
        }
        if let due = nextDigestAt, now >= due {
            nextDigestAt = now + settings.antiEntropyInterval
            if !liveMembers.isEmpty {
                let peer = liveMembers[Int(random.next() % UInt64(liveMembers.count))]
                actions.append(.sendDigest(digest(wantsDigest: false), to: peer))
            }
        }
        return actions
    }

    /// Just joined through `seed`: exchange digests with it now.
    public mutating func joined(via seed: NodeID) -> [Action] {
        [.sendDigest(digest(wantsDigest: true), to: seed)]
    }

    /// `peer` sent its digest. `peerFingerprint`, when the caller knows it (a simulator does;
    /// the wire does not carry it), lets equal stores skip comparing entry by entry.
    public mutating func receiveDigest(_ received: Digest, from peer: NodeID, now: Duration, peerFingerprint: UInt64? = nil) -> [Action] {
        var actions: [Action] = []
        let held = revocationVersion
        if received.revocationVersion < held, let list = heldRevocations {
            // The peer missed a revocation (it was down, or joined later): hand it over.
            actions.append(.sendRevocations(list, to: [peer]))
        }
        if received.wantsDigest || received.revocationVersion > held {
            // Joining, or holding a newer list: our digest shows the peer what we lack.
            actions.append(.sendDigest(digest(wantsDigest: false), to: peer))
        }
        if let peerFingerprint, peerFingerprint == fingerprint { return actions }
        if let request = heard(received.entries, from: peer, now: now) { actions.append(.pull(request)) }
        return actions
    }

    /// `peer` announced by gossip that it holds these versions.
    public mutating func receiveNews(_ news: [CatalogueDigestEntry], from peer: NodeID, now: Duration) -> [Action] {
        heard(news, from: peer, now: now).map { [.pull($0)] } ?? []
    }

    /// The catalogues a pull asked for that this node holds.
    public func answerPull(owners: [NodeID]) -> [SignedCatalogue] {
        owners.compactMap { store.catalogue(of: $0)?.signed }
    }

    /// What a pull from `peer` brought: each is verified and offered; accepted ones are
    /// announced so they spread on. `verify`, when given, must answer as the store's verifier
    /// does (a simulator memoises signature checks of the same bytes).
    public mutating func receiveBundle(
        _ catalogues: [SignedCatalogue], from peer: NodeID, date: Date,
        verify: ((SignedCatalogue) throws(CatalogueRejection) -> VerifiedCatalogue)? = nil
    ) -> [Action] {
        var actions: [Action] = []
        var announced: [CatalogueDigestEntry] = []
        for signed in catalogues {
            offer(signed, via: peer, date: date, verify: verify, into: &actions)
            if case .accepted(_, let owner, let version, _, _)? = actions.last {
                announced.append(CatalogueDigestEntry(nodeID: owner, version: version))
            }
        }
        if !announced.isEmpty { actions.append(.announce(announced)) }
        return actions
    }

    /// The list this node started with (from its folder), already in force in the verifier.
    public mutating func hold(_ list: SignedRevocationList) {
        heldRevocations = list
    }

    /// A revocation list arrived (from a peer, or from the operator). A newer valid one is
    /// adopted and passed on to `liveMembers`; anything else returns no action, which is what
    /// ends the flood. Throws why a list was not adopted when it is invalid.
    public mutating func adopt(_ list: SignedRevocationList, liveMembers: [NodeID]) throws(RevocationListError) -> [Action] {
        let before = revocationVersion
        let dropped = try store.adopt(revocations: list)
        guard revocationVersion > before else { return [] }
        heldRevocations = list
        if !dropped.isEmpty { catalogueDropped() }
        var actions: [Action] = [.adoptedRevocations(version: revocationVersion, dropped: dropped)]
        if !liveMembers.isEmpty { actions.append(.sendRevocations(list, to: liveMembers)) }
        return actions
    }

    /// Forgets everything but the settings and the random stream (the process restarted):
    /// a new process holds no catalogue and wants nothing.
    public mutating func restart(verifier: CatalogueVerifier, now: Duration) {
        store = CatalogueStore(verifier: verifier)
        pulls.reset()
        own = nil
        heldRevocations = nil
        fingerprint = 0
        changeCount += 1
        start(now: now)
    }

    // MARK: - Rules shared by the inputs

    private mutating func heard(_ entries: [CatalogueDigestEntry], from peer: NodeID, now: Duration) -> CataloguePulls.Request? {
        let versions = store.heldVersions
        return pulls.heard(entries, from: peer, now: now, held: { versions[$0] })
    }

    private mutating func offer(
        _ signed: SignedCatalogue, via peer: NodeID?, date: Date,
        verify: ((SignedCatalogue) throws(CatalogueRejection) -> VerifiedCatalogue)?, into actions: inout [Action]
    ) {
        let outcome: CatalogueStore.OfferOutcome
        if let verify {
            outcome = store.offer(signed, now: date, verify: verify)
        } else {
            outcome = store.offer(signed, now: date)
        }
        switch outcome {
        case .accepted(let owner, let version, let replaced):
            if let replaced { fingerprint &-= Self.fingerprintTerm(owner: owner, version: replaced) }
            fingerprint &+= Self.fingerprintTerm(owner: owner, version: version)
            changeCount += 1
            pulls.accepted(owner: owner, version: version)
            actions.append(.accepted(signed, owner: owner, version: version, replaced: replaced, via: peer))
            if peer == nil { actions.append(.announce([CatalogueDigestEntry(nodeID: owner, version: version)])) }
        case .rejected(let rejection):
            actions.append(.rejected(rejection, via: peer))
        }
    }

    /// Catalogues left the store (expired, revoked): the fingerprint is rebuilt from what it
    /// still holds (rare, so O(held) is fine).
    private mutating func catalogueDropped() {
        var rebuilt: UInt64 = 0
        for entry in store.digest() { rebuilt &+= Self.fingerprintTerm(owner: entry.nodeID, version: entry.version) }
        fingerprint = rebuilt
        changeCount += 1
    }

    /// A well-mixed 64-bit term for (owner, version): FNV-1a over the owner's ID, then the
    /// SplitMix64 finaliser over it and the version. Sums of such terms differ for different
    /// sets except with negligible probability.
    static func fingerprintTerm(owner: NodeID, version: UInt64) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in owner.rawValue.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        var z = hash ^ version &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
