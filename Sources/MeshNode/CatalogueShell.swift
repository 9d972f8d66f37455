import Aggregation
import Crypto
import Foundation
import Gossip
import Logging
import MeshCore
import Transport

/// The shell around ``CatalogueStore``: publishes this node's signed catalogue, spreads
/// catalogues by digest anti-entropy (DESIGN.md, "Gossip": peers pull what is newer), and
/// re-signs before expiry.
///
/// Each round it sends its digest of (node ID, version) to one random live member; a node
/// that receives a digest pulls, by request, the catalogues the sender holds in a newer
/// version. News spreads like push gossip, in about log N rounds.
actor CatalogueShell {
    /// How long a pull may take before it is given up (the next round tries again).
    static let pullTimeout: Duration = .seconds(5)

    private var store: CatalogueStore
    private let transport: MeshTransport
    private let signer: CatalogueSigner
    private let publish: @Sendable (UInt64, Date) throws -> Catalogue
    private let logger: Logger
    private var own: Catalogue?
    private var random = SeededRandom.fromSystem()

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
        case .rejected(let rejection):
            throw CommandFailure("this node's own catalogue was refused: \(rejection)")
        }
    }

    /// One anti-entropy round: re-sign if due, drop expired catalogues, send the digest to
    /// one random live member.
    func round(liveMembers: [NodeID]) async {
        let now = Date()
        if let own, CatalogueStore.needsResign(own: own, now: now) {
            do { try republish() } catch { logger.error("cannot re-sign the catalogue", metadata: ["reason": "\(error)"]) }
        }
        for node in store.expire(now: now) {
            logger.notice("catalogue expired", metadata: ["peer": "\(node)"])
        }
        guard let peer = liveMembers.randomElement(using: &random) else { return }
        await sendDigest(to: peer)
    }

    func receiveDigest(_ envelope: Envelope, from peer: NodeID) async {
        guard let digest = try? WireCatalogueDigest(serializedBytes: Array(envelope.body)) else {
            logger.warning("dropping a malformed catalogue digest", metadata: ["peer": "\(peer)"])
            return
        }
        let missing = store.missing(from: CatalogueDigestEntry.entries(from: digest))
        guard !missing.isEmpty else { return }
        var request = Envelope()
        request.kind = .cataloguePull
        request.body = Data((try? CatalogueDigestEntry.wire(missing.map { CatalogueDigestEntry(nodeID: $0, version: 0) }).serializedBytes()) ?? [])
        do {
            let response = try await transport.request(request, to: peer, timeout: Self.pullTimeout)
            let bundle = try WireCatalogueBundle(serializedBytes: Array(response.body))
            let now = Date()
            for wire in bundle.catalogues {
                switch store.offer(SignedCatalogue(wire: wire), now: now) {
                case .accepted(let node, let version, _):
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

    /// Adopts a revocation list if it is newer than the one in force: catalogues of revoked
    /// signers are dropped. Returns false for an older, equal or invalid list, which the
    /// caller must not pass on (that is what ends the flood).
    func adopt(_ list: SignedRevocationList) -> Bool {
        let before = store.verifier.revocations.version
        do {
            let dropped = try store.adopt(revocations: list)
            guard store.verifier.revocations.version > before else { return false }
            logger.notice("adopted revocation list", metadata: ["version": "\(store.verifier.revocations.version)"])
            for node in dropped { logger.warning("dropped the catalogue of a revoked signer", metadata: ["peer": "\(node)"]) }
            return true
        } catch {
            logger.warning("revocation list not adopted", metadata: ["reason": "\(error)"])
            return false
        }
    }

    private func sendDigest(to peer: NodeID) async {
        var envelope = Envelope()
        envelope.kind = .catalogueDigest
        envelope.body = Data((try? CatalogueDigestEntry.wire(store.digest()).serializedBytes()) ?? [])
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
