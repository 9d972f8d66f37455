import Foundation
import Gossip
import Logging
import MeshCore
import NIOCore
import NIOPosix
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

    init(config: NodeConfig, logger: Logger) {
        self.config = config
        self.logger = logger
    }

    func run() async throws {
        let credential = try Credential.load(certificatePath: config.certificatePath, keyPath: config.keyPath, caPath: config.caPath)
        guard try credential.identity == .node(config.nodeID) else {
            throw CommandFailure("\(config.certificatePath) is the certificate of \(try credential.identity), not of node \(config.nodeID)")
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let transport = try MeshTransport(credential: credential, eventLoop: group.next(), logger: logger)
        let bound = try await transport.listen(host: config.listen.host, port: config.listen.port)
        logger.info("node listening", metadata: ["address": "\(bound)", "advertise": "\(config.advertise)"])

        var system = SystemRandomNumberGenerator()
        let instance = SWIMInstance(
            localNode: config.nodeID,
            localAddress: config.advertise.description,
            settings: config.swimSettings,
            seed: system.next(),
            now: .zero
        )
        let membership = MembershipShell(instance: instance, transport: transport, logger: logger) { _ in }
        await membership.start(seeds: config.seeds.filter { $0 != config.advertise })

        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                for await message in transport.messages {
                    await self.handle(message, transport: transport, membership: membership)
                }
            }
            tasks.addTask {
                while !Task.isCancelled {
                    await self.writeStatus(transport: transport, membership: membership)
                    try await Task.sleep(for: Self.statusInterval)
                }
            }
            // Runs until SIGTERM or SIGINT.
            try? await gracefulShutdown()
            logger.info("leaving the mesh")
            await membership.leave()
            try? await Task.sleep(for: Self.leaveGracePeriod)
            await self.writeStatus(transport: transport, membership: membership)
            tasks.cancelAll()
            await transport.shutdown()
        }
        try await group.shutdownGracefully()
        logger.info("stopped")
    }

    private func handle(_ message: InboundMessage, transport: MeshTransport, membership: MembershipShell) async {
        switch (message.envelope.kind, message.from) {
        case (.membership, .node(let node)):
            await membership.receive(message.envelope, from: node)
        case (.echo, _) where message.envelope.direction == .request:
            var response = Envelope()
            response.kind = .echo
            response.body = message.envelope.body
            try? await transport.reply(to: message, with: response)
        default:
            if message.envelope.direction == .request {
                var response = Envelope()
                response.kind = message.envelope.kind
                response.status = .unsupportedKind
                response.statusMessage = "node \(config.nodeID) does not serve \(message.envelope.kind) from \(message.from)"
                try? await transport.reply(to: message, with: response)
            }
            logger.debug("ignoring message", metadata: ["kind": "\(message.envelope.kind)", "peer": "\(message.from)"])
        }
    }

    private func writeStatus(transport: MeshTransport, membership: MembershipShell) async {
        let members = await membership.members
        let status = NodeStatus(
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
            catalogues: [],
            catalogueRejections: [:],
            connectedPeers: await transport.connectedPeers.map(\.rawValue)
        )
        do {
            try status.write(toDirectory: config.directory)
        } catch {
            logger.warning("cannot write the status file", metadata: ["reason": "\(error)"])
        }
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

extension NodeConfig {
    /// SWIM settings: the defaults with the file's overrides.
    var swimSettings: SWIMSettings {
        var settings = SWIMSettings()
        if let value = gossip.probeIntervalMilliseconds { settings.probeInterval = .milliseconds(value) }
        if let value = gossip.pingTimeoutMilliseconds { settings.pingTimeout = .milliseconds(value) }
        if let value = gossip.indirectProbes { settings.indirectProbeCount = value }
        if let value = gossip.pushPullIntervalMilliseconds { settings.pushPullInterval = .milliseconds(value) }
        return settings
    }
}
