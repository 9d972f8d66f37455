import Foundation
import Gossip
import Logging
import MeshCore
import Transport

/// The shell around ``SWIMInstance`` (docs/ARCHITECTURE.md, "Code structure: pure cores and thin shells"): feeds it received messages,
/// timer expiries and delivery failures, with the time since the node started as `now`,
/// and carries out its actions over the mutual-TLS transport.
actor MembershipShell {
    private var instance: SWIMInstance
    private let transport: MeshTransport
    private let origin = ContinuousClock.now
    private let logger: Logger
    private var onEvent: @Sendable (MembershipEvent) -> Void
    private var onCatalogueNews: @Sendable ([CatalogueDigestEntry], NodeID) -> Void = { _, _ in }
    private var stopped = false

    init(instance: SWIMInstance, transport: MeshTransport, logger: Logger, onEvent: @escaping @Sendable (MembershipEvent) -> Void) {
        self.instance = instance
        self.transport = transport
        self.logger = logger
        self.onEvent = onEvent
    }

    private var now: Duration { ContinuousClock.now - origin }

    var members: [Member] { instance.members }
    /// Other members currently alive: where digests and revocation lists go.
    var livePeers: [NodeID] {
        instance.members.filter { $0.nodeID != instance.localNode && $0.status.isAlive }.map(\.nodeID)
    }
    var incarnation: UInt64 { instance.incarnation }
    var localHealth: Int { instance.localHealth }

    /// Where membership events and catalogue news go; set before ``start(seeds:)``.
    func setHandlers(
        onEvent: @escaping @Sendable (MembershipEvent) -> Void,
        onCatalogueNews: @escaping @Sendable ([CatalogueDigestEntry], NodeID) -> Void
    ) {
        self.onEvent = onEvent
        self.onCatalogueNews = onCatalogueNews
    }

    /// Gossips that this node holds these catalogue versions.
    func announce(_ entries: [CatalogueDigestEntry]) {
        for entry in entries { instance.announceCatalogue(entry) }
    }

    func start(seeds: [PeerAddress]) {
        perform(instance.join(seeds: seeds.map(\.description), now: now))
    }

    func receive(_ envelope: Envelope, from node: NodeID) {
        guard !stopped else { return }
        let message: SWIMMessage
        do {
            message = try SWIMMessage(serializedBytes: Array(envelope.body))
        } catch {
            logger.warning("dropping malformed membership message", metadata: ["peer": "\(node)", "reason": "\(error)"])
            return
        }
        perform(instance.onMessage(message, from: node, now: now))
    }

    /// Announces that this node leaves and stops reacting to timers.
    func leave() {
        guard !stopped else { return }
        perform(instance.leave(now: now))
        stopped = true
    }

    private func timerFired(_ timer: SWIMTimer) {
        guard !stopped else { return }
        perform(instance.onTimer(timer, now: now))
    }

    private func unreachable(_ node: NodeID) {
        guard !stopped else { return }
        perform(instance.onUnreachable(node, now: now))
    }

    private func perform(_ actions: [SWIMAction]) {
        for action in actions {
            switch action {
            case .send(let message, let destination):
                send(message, to: destination)
            case .schedule(let timer, let delay):
                Task { [weak self] in
                    try? await Task.sleep(for: delay)
                    await self?.timerFired(timer)
                }
            case .event(let event):
                log(event)
                onEvent(event)
            case .catalogueNews(let news, let sender):
                onCatalogueNews(news, sender)
            }
        }
    }

    private func send(_ message: SWIMMessage, to destination: SWIMDestination) {
        var envelope = Envelope()
        envelope.kind = .membership
        do {
            envelope.body = Data(try message.serializedBytes())
        } catch {
            logger.error("cannot encode a membership message", metadata: ["reason": "\(error)"])
            return
        }
        let transport = self.transport
        let logger = self.logger
        let message = envelope
        switch destination {
        case .node(let node, let address):
            Task { [weak self] in
                do {
                    if let peer = try? PeerAddress(parsing: address) { await transport.setAddress(peer, for: node) }
                    try await transport.send(message, to: node)
                } catch {
                    logger.debug("membership message not delivered", metadata: ["peer": "\(node)", "reason": "\(error)"])
                    await self?.unreachable(node)
                }
            }
        case .address(let address):
            Task {
                do {
                    let peer = try PeerAddress(parsing: address)
                    guard case .node(let node) = try await transport.connect(to: peer) else { return }
                    try await transport.send(message, to: node)
                } catch {
                    logger.info("seed not reachable", metadata: ["seed": "\(address)", "reason": "\(error)"])
                }
            }
        }
    }

    private func log(_ event: MembershipEvent) {
        switch event {
        case .joined(let member): logger.info("member joined", metadata: ["member": "\(member.nodeID)", "address": "\(member.address)"])
        case .suspected(let member): logger.notice("member suspected", metadata: ["member": "\(member.nodeID)", "status": "\(member.status)"])
        case .refuted(let member): logger.info("member refuted suspicion", metadata: ["member": "\(member.nodeID)", "status": "\(member.status)"])
        case .died(let member): logger.warning("member dead", metadata: ["member": "\(member.nodeID)", "status": "\(member.status)"])
        case .left(let member): logger.info("member left", metadata: ["member": "\(member.nodeID)"])
        case .joinCompleted(let via): logger.info("joined the mesh", metadata: ["via": "\(via)"])
        }
    }
}
