import Aggregation
import Crypto
import Foundation
import Gossip
import Logging
import MeshCore
@testable import MeshNode
import QueryPlanner
import SyntheticData
import TestSupport
import Transport

/// Nodes whose real shells (membership, catalogues, queries, the dispatch between them) run
/// in this process over an ``InMemoryMesh`` on a ``ManualMeshClock``: no sockets, no node
/// processes, and protocol time moves only when a test advances the clock.
final class InProcessMesh: @unchecked Sendable {
    struct Node {
        let id: NodeID
        let address: PeerAddress
        let link: InMemoryLink
        let shells: NodeShells
        let site: ColumnarSnapshot
        let tasks: [Task<Void, Never>]
    }

    let clock = ManualMeshClock()
    let mesh: InMemoryMesh
    let ca: FederationCA
    let directory: TemporaryDirectory
    private(set) var nodes: [Node] = []
    let policy = CataloguePolicy(minimumCellSize: 5, allowedQueryKinds: [.count, .histogram, .statistics], maximumCellsPerQuery: 10_000)

    init(nodeCount: Int, subjectsPerSite: Int = 120) async throws {
        mesh = InMemoryMesh(clock: clock)
        ca = try FederationCA.create(now: clock.date)
        directory = try TemporaryDirectory("oncomesh-in-process")
        var logger = Logger(label: "oncomesh.in-process")
        logger.logLevel = .critical
        let seed = PeerAddress(host: "10.0.0.1", port: 7400)
        let profiles = SiteProfile.allCases
        for index in 0..<nodeCount {
            let id = try NodeID(String(format: "site-%02d", index))
            let address = PeerAddress(host: "10.0.0.\(index + 1)", port: 7400)
            let credential = try ca.issue(.node(id), hosts: [address.host], now: clock.date)
            let link = mesh.link(for: .node(id), address: address)
            let instance = SWIMInstance(localNode: id, localAddress: address.description, settings: SWIMSettings(), seed: UInt64(index + 1), now: .zero)
            let membership = MembershipShell(instance: instance, link: link, clock: clock, logger: logger) { _ in }
            let site = SyntheticCases(profile: profiles[index % profiles.count], subjects: subjectsPerSite, seed: UInt64(100 + index))
                .snapshot(keyer: RecordKeyer(secret: Array(repeating: UInt8(index), count: RecordKeyer.secretByteCount)))
            let siteData = SiteData(snapshot: site)
            let aggregationKey = InProcessKeys.aggregationKey(index)
            let policy = self.policy
            let catalogues = CatalogueShell(
                verifier: CatalogueVerifier(caCertificate: ca.certificate), link: link, clock: clock, signer: try CatalogueSigner(credential: credential), logger: logger
            ) { version, now in
                let (schema, summary) = siteData.current
                return try CatalogueBuilder(schema: schema).build(
                    nodeID: id, siteName: "Site \(index)", country: "EU", endpoints: [address.description], summary: summary, policy: policy,
                    aggregationPublicKey: Array(aggregationKey.publicKey.rawRepresentation), version: version, now: now)
            }
            let database = directory.path + "/\(id).sqlite"
            let queries = try QueryShell(
                localNode: id, credential: credential, aggregationKey: aggregationKey, allowsPlaintextPartials: false,
                link: link, clock: clock, membership: membership, catalogues: catalogues, site: siteData, policy: policy,
                limits: PrivacyLimits(budget: nil, windowMilliseconds: PrivacyLimits.dayMilliseconds, maxPerMinute: 1000, maxPerDay: 10_000),
                ledger: try PrivacyLedger(path: database), audit: try AuditLog(path: database), revocations: .empty, logger: logger)
            let shells = await NodeShells(localNode: id, link: link, clock: clock, membership: membership, catalogues: catalogues, queries: queries, logger: logger)
            try await catalogues.republish()
            await membership.start(seeds: index == 0 ? [] : [seed])
            let tasks = [Task { await shells.serve() }, Task { await shells.runHousekeeping() }]
            nodes.append(Node(id: id, address: address, link: link, shells: shells, site: site, tasks: tasks))
        }
    }

    /// Advances protocol time in `step`s until `condition` holds or `limit` has passed;
    /// returns the protocol time it took, nil if it never held.
    func advance(step: Duration = .milliseconds(100), until limit: Duration, _ condition: () async -> Bool) async -> Duration? {
        let start = clock.now
        while clock.now - start <= limit {
            if await condition() { return clock.now - start }
            await clock.advance(by: step)
        }
        return await condition() ? clock.now - start : nil
    }

    /// Advances until every node lists every node alive and holds every node's catalogue,
    /// each within `limit` of protocol time; false when either does not happen.
    func formed(within limit: Duration = .seconds(30)) async -> Bool {
        let all = Set(nodes.map(\.id))
        guard await advance(until: limit, { await self.membersAgree(running: all) }) != nil else { return false }
        return await advance(until: limit) { await self.cataloguesAgree(running: all) } != nil
    }

    /// Whether every running node lists exactly the running nodes as alive.
    func membersAgree(running: Set<NodeID>) async -> Bool {
        for node in nodes where running.contains(node.id) {
            let alive = Set(await node.shells.membership.members.filter { $0.status.isAlive }.map(\.nodeID))
            if alive != running { return false }
        }
        return true
    }

    /// Whether every running node holds the catalogue of every running node.
    func cataloguesAgree(running: Set<NodeID>) async -> Bool {
        for node in nodes where running.contains(node.id) {
            let held = Set(await node.shells.catalogues.catalogues.map(\.catalogue.nodeID))
            if !running.isSubset(of: held) { return false }
        }
        return true
    }

    /// Stops node `index` as a crash would: its endpoint stops answering and its tasks end.
    func crash(_ index: Int) {
        mesh.stop(.node(nodes[index].id))
        nodes[index].tasks.forEach { $0.cancel() }
    }

    /// A researcher's endpoint and credential.
    func researcher(_ name: String) throws -> (InMemoryLink, Credential) {
        let id = try ResearcherID(name)
        return (mesh.link(for: .researcher(id)), try ca.issue(.researcher(id), now: clock.date))
    }

    /// Submits `sql` to `origin` as `researcher`, advancing protocol time until the answer
    /// comes (at most the query's timeout and a little).
    func ask(_ sql: String, origin: Int, as researcherName: String, timeoutMilliseconds: Int64 = 10_000) async throws -> Envelope {
        let (link, credential) = try researcher(researcherName)
        var random = SeededRandom(seed: 7)
        let submission = QuerySubmission(sql: sql, timeoutMilliseconds: timeoutMilliseconds)
        let signed = try submission.signed(for: nodes[origin].id, by: credential, nowMilliseconds: clock.unixMilliseconds, random: &random)
        var request = Envelope()
        request.kind = .querySubmit
        request.body = Data(signed.encoded())
        let target = nodes[origin].id
        let answer = Task { try await link.exchange(request, to: target, timeout: .milliseconds(timeoutMilliseconds + 5_000)) }
        let box = AnswerBox()
        let watcher = Task {
            let result = await answer.result
            box.set(result)
        }
        _ = await advance(step: .milliseconds(20), until: .milliseconds(timeoutMilliseconds + 6_000)) { box.get() != nil }
        _ = await watcher.value
        return try box.get()!.get()
    }

    func shutdown() {
        for node in nodes { node.tasks.forEach { $0.cancel() } }
    }
}

/// The answer of a request awaited in another task.
private final class AnswerBox: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<Envelope, any Error>?

    func set(_ value: Result<Envelope, any Error>) { lock.withLock { result = value } }
    func get() -> Result<Envelope, any Error>? { lock.withLock { result } }
}

/// Deterministic X25519 keys for in-process nodes.
enum InProcessKeys {
    static func aggregationKey(_ index: Int) -> Curve25519.KeyAgreement.PrivateKey {
        try! Curve25519.KeyAgreement.PrivateKey(rawRepresentation: Array(repeating: UInt8(index + 1), count: 32))
    }
}
