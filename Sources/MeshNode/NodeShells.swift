import Foundation
import Gossip
import Logging
import MeshCore
import QueryPlanner
import Transport

/// The shells of one node wired to each other and to a ``MeshLink`` and a ``MeshClock``:
/// membership, catalogues and queries, the dispatch of what peers send, and the catalogue
/// housekeeping. `meshnode run` (``NodeRuntime``) starts them over mutual TLS on the system
/// clock, with the files of a node folder around them; the in-process tests start the very
/// same wiring over an ``InMemoryMesh`` on a ``ManualMeshClock``.
final class NodeShells: Sendable {
    /// How often the catalogue housekeeping runs (re-signing, expiry, pull retries and, when
    /// due, the anti-entropy digest).
    static let catalogueRoundInterval: Duration = .milliseconds(500)

    let localNode: NodeID
    let link: any MeshLink
    let clock: any MeshClock
    let membership: MembershipShell
    let catalogues: CatalogueShell
    let queries: QueryShell
    private let logger: Logger
    /// Called with a revocation list this node adopted from a peer (the runtime keeps it in
    /// the node folder).
    private let onRevocationsAdopted: @Sendable (SignedRevocationList) async -> Void

    init(
        localNode: NodeID, link: any MeshLink, clock: any MeshClock, membership: MembershipShell, catalogues: CatalogueShell, queries: QueryShell,
        logger: Logger, onRevocationsAdopted: @escaping @Sendable (SignedRevocationList) async -> Void = { _ in }
    ) async {
        self.localNode = localNode
        self.link = link
        self.clock = clock
        self.membership = membership
        self.catalogues = catalogues
        self.queries = queries
        self.logger = logger
        self.onRevocationsAdopted = onRevocationsAdopted
        await catalogues.setAnnouncer { entries in Task { await membership.announce(entries) } }
        await membership.setHandlers(
            onEvent: { event in
                if case .joinCompleted(let seed) = event { Task { await catalogues.joined(via: seed) } }
            },
            onCatalogueNews: { news, peer in Task { await catalogues.receiveNews(news, from: peer) } }
        )
    }

    /// Handles what peers send until the link's queue ends; `other` gets the messages no
    /// shell handles (the runtime answers status requests and echoes).
    func serve(other: @escaping @Sendable (InboundMessage) async -> Void = { _ in }) async {
        for await message in link.messages {
            await handle(message, other: other)
        }
    }

    /// One catalogue housekeeping round every ``catalogueRoundInterval`` until cancelled;
    /// `beforeRound` runs first in each (the runtime reloads changed site data there).
    func runHousekeeping(beforeRound: @escaping @Sendable () async -> Void = {}) async {
        while !Task.isCancelled {
            await beforeRound()
            await catalogues.round(liveMembers: await membership.livePeers)
            guard (try? await clock.sleep(for: Self.catalogueRoundInterval)) != nil else { return }
        }
    }

    /// A revocation list from the operator or a peer: adopted if newer, then in force at the
    /// transport (revoked peers refused, their connections closed; the membership then sees
    /// them fail their probes) and for plans, kept by the runtime, and passed on by the core.
    func adopt(_ list: SignedRevocationList) async {
        let live = await membership.livePeers
        guard await catalogues.adopt(list, liveMembers: live), let verified = await catalogues.revocationsInForce else { return }
        await link.apply(verified)
        await queries.apply(verified)
        await onRevocationsAdopted(list)
    }

    private func handle(_ message: InboundMessage, other: @Sendable (InboundMessage) async -> Void) async {
        switch (message.envelope.kind, message.from) {
        case (.membership, .node(let node)):
            await membership.receive(message.envelope, from: node)
        case (.catalogueDigest, .node(let node)):
            await catalogues.receiveDigest(message.envelope, from: node)
        case (.cataloguePull, .node):
            await catalogues.answerPull(message)
        case (.revocationList, .node(let node)):
            guard let list = try? SignedRevocationList(pemString: String(decoding: message.envelope.body, as: UTF8.self), source: "from \(node)") else {
                logger.warning("dropping a malformed revocation list", metadata: ["peer": "\(node)"])
                return
            }
            await adopt(list)
        case (.status, .researcher) where message.envelope.direction == .request:
            // The node's own identity gets its full status from the runtime; a researcher
            // gets what researchers may see (`meshnode console`).
            await answerMeshView(message)
        case (.querySubmit, _) where message.envelope.direction == .request:
            // A query waits for the whole tree; it must not hold up the messages behind it.
            let queries = self.queries
            Task { await queries.submit(message) }
        case (.queryPlan, _) where message.envelope.direction == .request:
            let queries = self.queries
            Task { await queries.receivePlan(message) }
        case (.queryUnmask, _) where message.envelope.direction == .request:
            let queries = self.queries
            Task { await queries.receiveUnmask(message) }
        default:
            await other(message)
        }
    }
}
