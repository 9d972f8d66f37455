import Aggregation
import Crypto
import Foundation
import Gossip
import Logging
import MeshCore
import Transport

/// The shell around ``CatalogueStore``: publishes this node's signed catalogue, spreads
/// catalogues (docs/ARCHITECTURE.md, "Gossip": peers pull what is newer), and re-signs before expiry.
///
/// Two paths bring a new version: the membership gossip carries announcements of
/// (node ID, version), and a node that hears of a newer version pulls it from the announcer,
/// verifies it and announces it in turn, so news spreads infection-style in O(log N) gossip
/// rounds. Every `antiEntropyInterval` the node also sends its whole digest, with the
/// version of its revocation list, to one random
/// live member, which pulls whatever the gossip missed; a node that just joined asks its seed
/// for the seed's digest and pulls everything at once. ``CataloguePulls`` decides what to
/// pull from whom, and pulls again from another source when a pull brought nothing.
actor CatalogueShell {
    /// How long a pull may take before it is given up (``CataloguePulls`` retries sooner).
    static let pullTimeout: Duration = .seconds(5)
    /// How often the whole digest goes to one random live member (anti-entropy).
    static let antiEntropyInterval: Duration = .seconds(10)

    private var store: CatalogueStore
    private let transport: MeshTransport
    private let signer: CatalogueSigner
    private let publish: @Sendable (UInt64, Date) throws -> Catalogue
    private let logger: Logger
    private var own: Catalogue?
    private var random = SeededRandom.fromSystem()
    private var lastDigestSent: ContinuousClock.Instant?
    private var pulls = CataloguePulls()
    private let started = ContinuousClock.now
    /// Hands the versions this node now holds to the membership gossip.
    private var announce: @Sendable ([CatalogueDigestEntry]) -> Void = { _ in }
    /// The signed revocation list in force, as received: what this node hands a peer whose
    /// digest shows an older one.
    private var heldRevocations: SignedRevocationList?

    init(
        verifier: CatalogueVerifier,
        transport: MeshTransport,
        signer: CatalogueSigner,
        logger: Logger,
        publish: @escaping @Sendable (UInt64, Date) throws -> Catalogue
    ) {
        self.store = CatalogueStore(verifier: verifier)
        self.transport = transport
        self.signer = signer
        self.logger = logger
        self.publish = publish
    }

    /// Where accepted versions are announced (the membership shell's gossip).
    func setAnnouncer(_ announce: @escaping @Sendable ([CatalogueDigestEntry]) -> Void) {
        self.announce = announce
        if let own { announce([CatalogueDigestEntry(nodeID: own.nodeID, version: own.version)]) }
    }

    var catalogues: [VerifiedCatalogue] { store.catalogues }
    /// The revocation list the verifier uses, if any has been adopted.
    var revocationsInForce: RevocationList? {
        store.verifier.revocations == .empty ? nil : store.verifier.revocations
    }
    var rejections: [String: Int] { Dictionary(uniqueKeysWithValues: store.rejections.map { ("\($0.key)", $0.value) }) }

    /// Builds, signs and holds a new version of this node's catalogue. Versions are the
    /// signing time in Unix milliseconds, so they grow across restarts without any state.
    func republish() throws {
        let now = Date()
        let version = max(CatalogueStore.nextVersion(after: own), UInt64(now.timeIntervalSince1970 * 1000))
        let catalogue = try publish(version, now)
        let signed = try signer.sign(catalogue)
        switch store.offer(signed, now: now) {
        case .accepted:
            own = catalogue
            logger.info("published catalogue", metadata: ["version": "\(version)"])
            announce([CatalogueDigestEntry(nodeID: catalogue.nodeID, version: version)])
        case .rejected(let rejection):
            throw CommandFailure("this node's own catalogue was refused: \(rejection)")
        }
    }

    /// One housekeeping round: re-sign if due, drop expired catalogues, and once every
    /// `antiEntropyInterval` send the digest to one random live member.
    func round(liveMembers: [NodeID]) async {
        let now = Date()
        if let own, CatalogueStore.needsResign(own: own, now: now) {
            do { try republish() } catch { logger.error("cannot re-sign the catalogue", metadata: ["reason": "\(error)"]) }
        }
        for node in store.expire(now: now) {
            logger.notice("catalogue expired", metadata: ["peer": "\(node)"])
        }
        let store = self.store
        for request in pulls.due(now: ContinuousClock.now - started, held: { store.catalogue(of: $0)?.catalogue.version }) {
            Task { await pull(request) }
        }
        let clock = ContinuousClock.now
        if let last = lastDigestSent, clock - last < Self.antiEntropyInterval { return }
        guard let peer = liveMembers.randomElement(using: &random) else { return }
        lastDigestSent = clock
        await sendDigest(to: peer, wantsDigest: false)
    }

    /// Just joined through `seed`: exchange digests with it now.
    func joined(via seed: NodeID) async {
        await sendDigest(to: seed, wantsDigest: true)
    }

    func receiveDigest(_ envelope: Envelope, from peer: NodeID) async {
        guard let digest = try? WireCatalogueDigest(serializedBytes: Array(envelope.body)) else {
            logger.warning("dropping a malformed catalogue digest", metadata: ["peer": "\(peer)"])
            return
        }
        let held = store.verifier.revocations.version
        if digest.revocationVersion < held, let list = heldRevocations {
            // The peer missed a revocation (it was down, or joined later): hand it over.
            var envelope = Envelope()
            envelope.kind = .revocationList
            envelope.body = Data(list.pemString().utf8)
            try? await transport.send(envelope, to: peer)
            logger.info("sent the revocation list to a peer that holds an older one", metadata: ["peer": "\(peer)", "version": "\(held)"])
        }
        if digest.wantsDigest || digest.revocationVersion > held {
            // Joining, or holding a newer list: our digest shows the peer what we lack.
            await sendDigest(to: peer, wantsDigest: false)
        }
        await pullNewer(CatalogueDigestEntry.entries(from: digest), from: peer)
    }

    /// `peer` announced by gossip that it holds these versions.
    func receiveNews(_ news: [CatalogueDigestEntry], from peer: NodeID) async {
        await pullNewer(news, from: peer)
    }

    /// Pulls from `peer` the catalogues it names in a newer version than this node holds,
    /// unless they are already being pulled (``CataloguePulls``).
    private func pullNewer(_ entries: [CatalogueDigestEntry], from peer: NodeID) async {
        let store = self.store
        guard let request = pulls.heard(entries, from: peer, now: ContinuousClock.now - started, held: { store.catalogue(of: $0)?.catalogue.version }) else { return }
        await pull(request)
    }

    /// Asks `request.peer` for the catalogues of `request.owners`; offers each one returned
    /// and announces those accepted.
    private func pull(_ request: CataloguePulls.Request) async {
        let peer = request.peer
        let missing = request.owners
        var envelope = Envelope()
        envelope.kind = .cataloguePull
        envelope.body = Data((try? CatalogueDigestEntry.wire(missing.map { CatalogueDigestEntry(nodeID: $0, version: 0) }).serializedBytes()) ?? [])
        do {
            let response = try await transport.request(envelope, to: peer, timeout: Self.pullTimeout)
            let bundle = try WireCatalogueBundle(serializedBytes: Array(response.body))
            let now = Date()
            var accepted: [CatalogueDigestEntry] = []
            defer { if !accepted.isEmpty { announce(accepted) } }
            for wire in bundle.catalogues {
                switch store.offer(SignedCatalogue(wire: wire), now: now) {
                case .accepted(let node, let version, _):
                    pulls.accepted(owner: node, version: version)
                    accepted.append(CatalogueDigestEntry(nodeID: node, version: version))
                    logger.info("accepted catalogue", metadata: ["peer": "\(node)", "version": "\(version)", "via": "\(peer)"])
                case .rejected(let rejection):
                    logger.warning("rejected catalogue", metadata: ["via": "\(peer)", "reason": "\(rejection.reason)", "detail": "\(rejection.message)"])
                }
            }
        } catch {
            logger.debug("catalogue pull failed", metadata: ["peer": "\(peer)", "reason": "\(error)"])
        }
    }

    /// Answers a pull with the signed catalogues asked for that this node holds.
    func answerPull(_ request: InboundMessage) async {
        var bundle = WireCatalogueBundle()
        if let digest = try? WireCatalogueDigest(serializedBytes: Array(request.envelope.body)) {
            for entry in CatalogueDigestEntry.entries(from: digest) {
                if let held = store.catalogue(of: entry.nodeID) { bundle.catalogues.append(held.signed.wire) }
            }
        }
        var response = Envelope()
        response.kind = .cataloguePull
        response.body = Data((try? bundle.serializedBytes()) ?? [])
        try? await transport.reply(to: request, with: response)
    }

    /// The list the node started with (from its folder), already in the verifier's force.
    func hold(_ list: SignedRevocationList) {
        heldRevocations = list
    }

    /// Adopts a revocation list if it is newer than the one in force: catalogues of revoked
    /// signers are dropped. Returns false for an older, equal or invalid list, which the
    /// caller must not pass on (that is what ends the flood).
    func adopt(_ list: SignedRevocationList) -> Bool {
        let before = store.verifier.revocations.version
        do {
            let dropped = try store.adopt(revocations: list)
            guard store.verifier.revocations.version > before else { return false }
            heldRevocations = list
            logger.notice("adopted revocation list", metadata: ["version": "\(store.verifier.revocations.version)"])
            for node in dropped { logger.warning("dropped the catalogue of a revoked signer", metadata: ["peer": "\(node)"]) }
            return true
        } catch {
            logger.warning("revocation list not adopted", metadata: ["reason": "\(error)"])
            return false
        }
    }

    private func sendDigest(to peer: NodeID, wantsDigest: Bool) async {
        var digest = CatalogueDigestEntry.wire(store.digest())
        digest.wantsDigest = wantsDigest
        digest.revocationVersion = store.verifier.revocations.version
        var envelope = Envelope()
        envelope.kind = .catalogueDigest
        envelope.body = Data((try? digest.serializedBytes()) ?? [])
        do {
            try await transport.send(envelope, to: peer)
        } catch {
            logger.debug("catalogue digest not sent", metadata: ["peer": "\(peer)", "reason": "\(error)"])
        }
    }
}

extension ColumnarSnapshot {
    /// What the catalogue publishes about the site's data: subjects, the codes present,
    /// numeric ranges.
    var siteSummary: SiteSummary {
        var codes: [String: Set<String>] = [:]
        var ranges: [String: ClosedRange<Int64>] = [:]
        for attribute in schema.queryableAttributes {
            if let present = presentCodes(of: attribute.name) { codes[attribute.name] = present }
            if let range = numericRange(of: attribute.name) { ranges[attribute.name] = range }
        }
        return SiteSummary(subjectCount: subjectCount, categoricalCodes: codes, numericRanges: ranges)
    }
}
