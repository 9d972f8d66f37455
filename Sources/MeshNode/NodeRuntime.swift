import Aggregation
import Foundation
import Gossip
import Logging
import QueryPlanner
import MeshCore
import NIOCore
import NIOPosix
import Prometheus
import ServiceLifecycle
import Transport

/// One running node (`meshnode run`): the transport, the membership shell and the status
/// file, as a swift-service-lifecycle service. On graceful shutdown (SIGTERM or SIGINT) it
/// announces that it leaves, gives the announcement a moment to go out, and closes its
/// connections.
final class NodeRuntime: Service, @unchecked Sendable {
    /// How long the leave announcement gets before connections close.
    static let leaveGracePeriod: Duration = .milliseconds(500)
    /// How often `status.json` is rewritten.
    static let statusInterval: Duration = .seconds(1)
    private let config: NodeConfig
    private let logger: Logger
    private let startedAt = Date()
    private let metrics: NodeMetrics
    /// What the admin listener shows at `/metrics`; nil without a registry.
    private let metricsPage: MetricsPage?
    private let readiness: NodeReadiness

    /// `metrics` are recorded through the metrics system the executable bootstrapped, into
    /// `registry`, which the admin listener (the `admin` section) renders.
    init(config: NodeConfig, logger: Logger, metrics: NodeMetrics = .discarding, registry: PrometheusCollectorRegistry? = nil) {
        self.config = config
        self.logger = logger
        self.metrics = metrics
        self.metricsPage = registry.map(MetricsPage.init)
        self.readiness = NodeReadiness(hasSeeds: config.seeds.contains { $0 != config.advertise })
    }

    func run() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var admin: AdminServer?
        if let settings = config.admin {
            admin = try await startAdmin(settings, group: group)
        }
        do {
            try await runNode(group: group)
        } catch {
            await admin?.close()
            try? await group.shutdownGracefully()
            throw error
        }
        await admin?.close()
        try await group.shutdownGracefully()
        logger.info("stopped")
    }

    /// Binds the admin listener and serves it beside the node; it answers from the start,
    /// with `/health/ready` at 503 until the node has its site data and has joined.
    private func startAdmin(_ settings: AdminSettings, group: MultiThreadedEventLoopGroup) async throws -> AdminServer {
        let page = metricsPage
        let readiness = self.readiness
        let content = AdminServer.Content(
            metrics: { await page?.text() ?? "" },
            notReadyReason: { await readiness.notReadyReason() }
        )
        let server: AdminServer
        do {
            server = try await AdminServer.bind(host: settings.listen.host, port: settings.listen.port, group: group, content: content, logger: logger)
        } catch {
            try? await group.shutdownGracefully()
            throw CommandFailure("cannot listen on \(settings.listen) (admin.listen in the configuration): \(error); is another node or program using this port?")
        }
        if !settings.isLoopback {
            logger.notice("the admin listener is reachable from other machines; /metrics and /health have no authentication", metadata: ["address": "\(server.address)"])
        }
        logger.info("admin listening", metadata: ["address": "\(server.address)"])
        Task { await server.serve() }
        return server
    }

    private func runNode(group: MultiThreadedEventLoopGroup) async throws {
        let credential = try Credential.load(certificatePath: config.certificatePath, keyPath: config.keyPath, caPath: config.caPath)
        guard try credential.identity == .node(config.nodeID) else {
            throw CommandFailure("\(config.certificatePath) is the certificate of \(try credential.identity), not of node \(config.nodeID)")
        }
        do {
            _ = try FederationChain(caCertificate: credential.caCertificate).validate([credential.certificate], at: Date())
        } catch {
            throw CommandFailure("\(config.certificatePath) cannot be used with the CA in \(config.caPath): \(error)")
        }
        let transport = try MeshTransport(credential: credential, settings: config.load.transportSettings, eventLoop: group.next(), logger: logger)
        let bound: SocketAddress
        do {
            bound = try await transport.listen(host: config.listen.host, port: config.listen.port)
        } catch {
            throw CommandFailure("cannot listen on \(config.listen) (the 'listen' setting of the configuration): \(error); is another node running on this port?")
        }
        logger.info("node listening", metadata: ["address": "\(bound)", "advertise": "\(config.advertise)"])

        var system = SystemRandomNumberGenerator()
        let clock = SystemMeshClock()
        let instance = SWIMInstance(
            localNode: config.nodeID,
            localAddress: config.advertise.description,
            settings: config.swimSettings,
            seed: system.next(),
            now: .zero
        )
        let membership = MembershipShell(instance: instance, link: transport, clock: clock, logger: logger, metrics: metrics) { _ in }

        let recordKeys = try RecordKeyFile.loadOrCreate(directory: config.directory)
        // A node that keeps its data current from a DICOM source and has none yet syncs
        // before it can serve; otherwise its first sync runs beside the mesh.
        var syncedAtStart = false
        if config.sync != nil, try SiteStore(path: config.databasePath).importID() == nil {
            do {
                let summary = try await SiteSync.run(config: config, showProgress: false)
                for line in summary.report { logger.warning("sync: \(line)") }
                logger.info("sync: \(summary.line(database: config.databasePath))")
                syncedAtStart = true
            } catch {
                await transport.shutdown()
                throw CommandFailure("the site database \(config.databasePath) holds no data yet and the first sync failed: \(error)")
            }
        }
        let site = SiteData(snapshot: try SiteStore(path: config.databasePath).loadSnapshot(keyer: recordKeys))
        let aggregationKey = try AggregationKeyFile.loadOrCreate(directory: config.directory)
        let revocations = RevocationFile(directory: config.directory)
        let heldRevocations = try revocations.verifiedList(ca: credential.caCertificate) ?? .empty
        await transport.apply(heldRevocations)
        let verifier = CatalogueVerifier(caCertificate: credential.caCertificate, revocations: heldRevocations)
        let config = self.config
        let catalogues = CatalogueShell(
            verifier: verifier,
            link: transport,
            clock: clock,
            signer: try CatalogueSigner(credential: credential),
            logger: logger
        ) { version, now in
            let (schema, summary) = site.current
            return try CatalogueBuilder(schema: schema).build(
                nodeID: config.nodeID,
                siteName: config.siteName,
                country: config.country,
                endpoints: [config.advertise.description],
                summary: summary,
                policy: config.cataloguePolicy,
                aggregationPublicKey: Array(aggregationKey.publicKey.rawRepresentation),
                version: version,
                now: now
            )
        }
        if let list = try? revocations.load(), heldRevocations.version > 0 { await catalogues.hold(list) }
        let queries = try QueryShell(
            localNode: config.nodeID,
            credential: credential,
            aggregationKey: aggregationKey,
            allowsPlaintextPartials: config.policy.plaintextPartials,
            loadLimits: config.load.queries,
            parserLimits: config.load.parser,
            link: transport,
            clock: clock,
            membership: membership,
            catalogues: catalogues,
            site: site,
            policy: config.cataloguePolicy,
            limits: PrivacyLimits(policy: config.policy),
            ledger: try PrivacyLedger(path: config.databasePath),
            audit: try AuditLog(path: config.databasePath),
            revocations: heldRevocations,
            logger: logger,
            metrics: metrics
        )
        let shells = await NodeShells(
            localNode: config.nodeID, link: transport, clock: clock, membership: membership, catalogues: catalogues, queries: queries, logger: logger
        ) { list in
            // A list adopted from a peer is kept in the folder, so a restart keeps it.
            try? revocations.save(list)
        }
        try await catalogues.republish()
        await membership.start(seeds: config.seeds.filter { $0 != config.advertise })
        metricsPage?.attach(NodeMetricsSampler(metrics: metrics, transport: transport, membership: membership, catalogues: catalogues))
        readiness.started(membership: membership)

        await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                await shells.serve { message in
                    await self.answerOther(message, transport: transport, membership: membership, catalogues: catalogues)
                }
            }
            tasks.addTask {
                while !Task.isCancelled {
                    await self.writeStatus(transport: transport, membership: membership, catalogues: catalogues)
                    try await Task.sleep(for: Self.statusInterval)
                }
            }
            if config.sync != nil {
                // Keeps the site data current; a changed import reaches the folder watch below.
                let waitFirst = syncedAtStart
                tasks.addTask { await SiteSync.loop(config: config, logger: self.logger, waitFirst: waitFirst) }
            }
            tasks.addTask {
                let watch = try FolderWatch(config: config, revocations: revocations)
                await shells.runHousekeeping {
                    // New data (a re-import) gives a new catalogue version at once.
                    if let snapshot = watch.changedSnapshot(keyer: recordKeys, logger: self.logger) {
                        site.replace(with: snapshot)
                        do {
                            try await catalogues.republish()
                        } catch {
                            self.logger.error("cannot publish the catalogue of the reloaded site data", metadata: ["reason": "\(error)"])
                        }
                    }
                    // A list handed over by `meshnode revocations publish` lands in the folder.
                    if let list = watch.changedRevocations() { await shells.adopt(list) }
                    watch.staleRevocationsWarned = await self.warnIfRevocationsStale(catalogues: catalogues, warnedVersion: watch.staleRevocationsWarned)
                }
            }
            // Runs until SIGTERM or SIGINT.
            try? await gracefulShutdown()
            logger.notice("leaving the mesh")
            await membership.leave()
            try? await Task.sleep(for: Self.leaveGracePeriod)
            await self.writeStatus(transport: transport, membership: membership, catalogues: catalogues)
            tasks.cancelAll()
            await transport.shutdown()
        }
    }

    /// Answers what no shell handles: the node's own status, to its own identity only; echo
    /// requests; any other request gets `unsupportedKind`.
    private func answerOther(_ message: InboundMessage, transport: MeshTransport, membership: MembershipShell, catalogues: CatalogueShell) async {
        switch (message.envelope.kind, message.from) {
        case (.status, let peer) where message.envelope.direction == .request:
            var response = Envelope()
            response.kind = .status
            if peer == .node(config.nodeID) {
                response.body = (try? await currentStatus(transport: transport, membership: membership, catalogues: catalogues).encoded()) ?? Data()
            } else {
                response.status = .refused
                response.statusMessage = "a node's status is given only to the node's own identity, not to \(peer)"
            }
            try? await transport.reply(to: message, with: response)
        default:
            await transport.answerEcho(message)
            if message.envelope.kind != .echo {
                logger.debug("ignoring message", metadata: ["kind": "\(message.envelope.kind)", "peer": "\(message.from)"])
            }
        }
    }

    /// Warns when the revocation list in force is past its next update: this node may be
    /// missing revocations, and only an operator can fetch a newer list from the CA. Once per
    /// list, not every round, so the warning does not bury the log; `warnedVersion` is the
    /// list already warned about, and the result is what to pass next round (nil while the
    /// list is current, so a list that goes stale again is warned about again).
    private func warnIfRevocationsStale(catalogues: CatalogueShell, warnedVersion: UInt64?) async -> UInt64? {
        guard let list = await catalogues.revocationsInForce, list.isStale(nowMilliseconds: UnixMilliseconds.now()) else { return nil }
        if warnedVersion != list.version {
            logger.warning(
                "the revocation list is past its next update, so this node may be missing revocations; get a newer list from the CA (meshnode ca revoke) and hand it to a node (meshnode revocations publish)",
                metadata: ["version": "\(list.version)", "nextUpdate": "\(ISO8601DateFormatter().string(from: UnixMilliseconds.date(list.nextUpdateMilliseconds)))"]
            )
        }
        return list.version
    }

    private func writeStatus(transport: MeshTransport, membership: MembershipShell, catalogues: CatalogueShell) async {
        do {
            try await currentStatus(transport: transport, membership: membership, catalogues: catalogues).write(toDirectory: config.directory)
        } catch {
            logger.warning("cannot write the status file", metadata: ["reason": "\(error)"])
        }
    }

    private func currentStatus(transport: MeshTransport, membership: MembershipShell, catalogues: CatalogueShell) async -> NodeStatus {
        let members = await membership.members
        var status = NodeStatus(
            nodeID: config.nodeID.rawValue,
            processID: getpid(),
            startedAt: startedAt,
            updatedAt: Date(),
            listen: config.listen.description,
            incarnation: await membership.incarnation,
            localHealth: await membership.localHealth,
            members: members.map {
                NodeStatus.MemberEntry(nodeID: $0.nodeID.rawValue, address: $0.address, status: Self.name($0.status), incarnation: $0.status.incarnation)
            },
            catalogues: await catalogues.catalogues.map { verified in
                NodeStatus.CatalogueEntry(
                    nodeID: verified.catalogue.nodeID.rawValue,
                    version: verified.catalogue.version,
                    expiresAt: Date(timeIntervalSince1970: Double(verified.catalogue.expiresAtMilliseconds) / 1000),
                    subjects: verified.catalogue.datasets.map { "\($0.subjects)" }.joined(separator: ", ")
                )
            },
            catalogueRejections: await catalogues.rejections,
            connectedPeers: await transport.connectedPeers.map(\.rawValue),
            traffic: {
                let frames = transport.statistics.snapshot
                return NodeStatus.Traffic(
                    framesSent: frames.framesSent, bytesSent: frames.wireBytesSent, framesReceived: frames.framesReceived, bytesReceived: frames.wireBytesReceived
                )
            }()
        )
        status.describeRevocations(await catalogues.revocationsInForce ?? .empty, nowMilliseconds: UnixMilliseconds.now())
        return status
    }

    static func name(_ status: MemberStatus) -> String {
        switch status {
        case .alive: "alive"
        case .suspect: "suspect"
        case .dead: "dead"
        case .left: "left"
        }
    }
}

/// The site data the catalogue describes and queries run on, replaced when the database
/// changes. A query keeps the snapshot it started with.
final class SiteData: @unchecked Sendable {
    private let lock = NSLock()
    private var held: ColumnarSnapshot
    private var summary: SiteSummary

    init(snapshot: ColumnarSnapshot) {
        held = snapshot
        summary = snapshot.siteSummary
    }

    var current: (Schema, SiteSummary) {
        lock.lock()
        defer { lock.unlock() }
        return (held.schema, summary)
    }

    var snapshot: ColumnarSnapshot {
        lock.lock()
        defer { lock.unlock() }
        return held
    }

    func replace(with snapshot: ColumnarSnapshot) {
        let newSummary = snapshot.siteSummary
        lock.lock()
        held = snapshot
        summary = newSummary
        lock.unlock()
    }
}

extension MemberStatus {
    var isAlive: Bool { if case .alive = self { true } else { false } }
}
