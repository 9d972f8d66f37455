import Aggregation
import Crypto
import Foundation
import Gossip
import Logging
import MeshCore
import Transport

/// The shell around ``CatalogueDissemination`` (docs/ARCHITECTURE.md, "Gossip"): signs this
/// node's catalogue, and carries out what the core decides over a ``MeshLink``, with time
/// from a ``MeshClock``. Every rule of spreading catalogues and revocation lists (news,
/// pulls and their retries, the anti-entropy digest, the joiner's digest exchange, the
/// revocation flood, expiry) is the core's, which the simulator drives too; this actor only
/// encodes, sends, waits for pull answers and logs.
actor CatalogueShell {
    /// How long a pull may take before it is given up (``CataloguePulls`` retries sooner).
    static let pullTimeout: Duration = .seconds(5)

    private var core: CatalogueDissemination
    private let link: any MeshLink
    private let clock: any MeshClock
    private let signer: CatalogueSigner
    private let publish: @Sendable (UInt64, Date) throws -> Catalogue
    private let logger: Logger
    /// Hands the versions this node now holds to the membership gossip.
    private var announce: @Sendable ([CatalogueDigestEntry]) -> Void = { _ in }

    init(
        verifier: CatalogueVerifier,
        link: any MeshLink,
        clock: any MeshClock,
        signer: CatalogueSigner,
        settings: CatalogueDissemination.Settings = CatalogueDissemination.Settings(),
        logger: Logger,
        publish: @escaping @Sendable (UInt64, Date) throws -> Catalogue
    ) {
        var system = SystemRandomNumberGenerator()
        self.core = CatalogueDissemination(verifier: verifier, settings: settings, seed: system.next())
        self.core.start(now: clock.now)
        self.link = link
        self.clock = clock
        self.signer = signer
        self.logger = logger
        self.publish = publish
    }

    /// Where accepted versions are announced (the membership shell's gossip).
    func setAnnouncer(_ announce: @escaping @Sendable ([CatalogueDigestEntry]) -> Void) {
        self.announce = announce
        if let own = core.own { announce([CatalogueDigestEntry(nodeID: own.nodeID, version: own.version)]) }
    }

    var catalogues: [VerifiedCatalogue] { core.store.catalogues }
    /// The revocation list the verifier uses, if any has been adopted.
    var revocationsInForce: RevocationList? {
        core.store.verifier.revocations == .empty ? nil : core.store.verifier.revocations
    }
    /// The version of this node's own catalogue, once published.
    var ownVersion: UInt64? { core.own?.version }
    var rejections: [String: Int] { Dictionary(uniqueKeysWithValues: core.store.rejections.map { ("\($0.key)", $0.value) }) }

    /// Builds, signs and holds a new version of this node's catalogue. Versions are at least
    /// the signing time in Unix milliseconds, so they grow across restarts without any state.
    func republish() throws {
        let now = clock.date
        let version = core.nextOwnVersion(floor: UInt64(max(0, UnixMilliseconds.from(now))))
        let catalogue = try publish(version, now)
        let signed = try signer.sign(catalogue)
        do {
            perform(try core.publish(signed, date: now))
            logger.info("published catalogue", metadata: ["version": "\(version)"])
        } catch {
            throw CommandFailure("this node's own catalogue was refused: \(error)")
        }
    }

    /// One housekeeping round: re-sign if due, then the core's tick (expiry, pull retries,
    /// the anti-entropy digest when due).
    func round(liveMembers: [NodeID]) {
        if core.ownNeedsResign(date: clock.date) {
            do { try republish() } catch { logger.error("cannot re-sign the catalogue", metadata: ["reason": "\(error)"]) }
        }
        perform(core.tick(now: clock.now, date: clock.date, liveMembers: liveMembers))
    }

    /// Just joined through `seed`: exchange digests with it now.
    func joined(via seed: NodeID) {
        perform(core.joined(via: seed))
    }

    func receiveDigest(_ envelope: Envelope, from peer: NodeID) {
        guard let wire = try? WireCatalogueDigest(serializedBytes: Array(envelope.body)) else {
            logger.warning("dropping a malformed catalogue digest", metadata: ["peer": "\(peer)"])
            return
        }
        perform(core.receiveDigest(CatalogueDissemination.Digest(wire: wire), from: peer, now: clock.now))
    }

    /// `peer` announced by gossip that it holds these versions.
    func receiveNews(_ news: [CatalogueDigestEntry], from peer: NodeID) {
        perform(core.receiveNews(news, from: peer, now: clock.now))
    }

    /// Answers a pull with the signed catalogues asked for that this node holds.
    func answerPull(_ request: InboundMessage) async {
        var bundle = WireCatalogueBundle()
        if let digest = try? WireCatalogueDigest(serializedBytes: Array(request.envelope.body)) {
            bundle.catalogues = core.answerPull(owners: CatalogueDigestEntry.entries(from: digest).map(\.nodeID)).map(\.wire)
        }
        var response = Envelope()
        response.kind = .cataloguePull
        response.body = Data((try? bundle.serializedBytes()) ?? [])
        try? await link.reply(to: request, with: response)
    }

    /// The list the node started with (from its folder), already in the verifier's force.
    func hold(_ list: SignedRevocationList) {
        core.hold(list)
    }

    /// Adopts a revocation list if it is newer than the one in force (catalogues of revoked
    /// signers are dropped) and passes it on to `liveMembers`. Returns false for an older,
    /// equal or invalid list, which goes no further: that ends the flood.
    func adopt(_ list: SignedRevocationList, liveMembers: [NodeID]) -> Bool {
        do {
            let actions = try core.adopt(list, liveMembers: liveMembers)
            perform(actions)
            return !actions.isEmpty
        } catch {
            logger.warning("revocation list not adopted", metadata: ["reason": "\(error)"])
            return false
        }
    }

    // MARK: - Carrying out the core's actions

    private func perform(_ actions: [CatalogueDissemination.Action]) {
        for action in actions {
            switch action {
            case .sendDigest(let digest, let peer):
                var envelope = Envelope()
                envelope.kind = .catalogueDigest
                envelope.body = Data((try? digest.wire.serializedBytes()) ?? [])
                sendOneWay(envelope, to: [peer], what: "catalogue digest")
            case .pull(let request):
                Task { await self.pull(request) }
            case .sendRevocations(let list, let peers):
                var envelope = Envelope()
                envelope.kind = .revocationList
                envelope.body = Data(list.pemString().utf8)
                sendOneWay(envelope, to: peers, what: "revocation list")
            case .announce(let entries):
                announce(entries)
            case .accepted(_, let owner, let version, _, let via):
                if let via { logger.info("accepted catalogue", metadata: ["peer": "\(owner)", "version": "\(version)", "via": "\(via)"]) }
            case .rejected(let rejection, let via):
                logger.warning("rejected catalogue", metadata: ["via": "\(via.map { "\($0)" } ?? "self")", "reason": "\(rejection.reason)", "detail": "\(rejection.message)"])
            case .expired(let owner):
                logger.notice("catalogue expired", metadata: ["peer": "\(owner)"])
            case .adoptedRevocations(let version, let dropped):
                logger.notice("adopted revocation list", metadata: ["version": "\(version)"])
                for node in dropped { logger.warning("dropped the catalogue of a revoked signer", metadata: ["peer": "\(node)"]) }
            }
        }
    }

    private func sendOneWay(_ envelope: Envelope, to peers: [NodeID], what: String) {
        let link = self.link
        let logger = self.logger
        Task {
            for peer in peers {
                do {
                    try await link.send(envelope, to: peer)
                } catch {
                    logger.debug("\(what) not sent", metadata: ["peer": "\(peer)", "reason": "\(error)"])
                }
            }
        }
    }

    /// Asks `request.peer` for the catalogues of `request.owners` and hands the answer to the core.
    private func pull(_ request: CataloguePulls.Request) async {
        var envelope = Envelope()
        envelope.kind = .cataloguePull
        envelope.body = Data((try? CatalogueDigestEntry.wire(request.owners.map { CatalogueDigestEntry(nodeID: $0, version: 0) }).serializedBytes()) ?? [])
        do {
            let response = try await link.request(envelope, to: request.peer, timeout: Self.pullTimeout)
            let bundle = try WireCatalogueBundle(serializedBytes: Array(response.body))
            perform(core.receiveBundle(bundle.catalogues.map(SignedCatalogue.init(wire:)), from: request.peer, date: clock.date))
        } catch {
            logger.debug("catalogue pull failed", metadata: ["peer": "\(request.peer)", "reason": "\(error)"])
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
