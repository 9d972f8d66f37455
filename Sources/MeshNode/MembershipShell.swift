import Foundation
import Gossip
import Logging
import MeshCore
import Transport

/// The shell around ``SWIMInstance`` (docs/ARCHITECTURE.md, "Code structure: pure cores and thin shells"): feeds it received messages,
/// timer expiries and delivery failures, with the time since the node started as `now`,
/// and carries out its actions over a ``MeshLink`` (mutual TLS in `meshnode run`, memory in
/// the in-process tests) on a ``MeshClock``.
///
/// Messages go out through one ordered queue, drained by one task, so two messages to the
/// same peer leave in the order the core produced them (an ack after the ping it answers a
/// ping-req for, a refutation after the suspicion it refutes). The queue is bounded by
/// ``outboundQueueMaxMessages``; past it the newest message is dropped and counted, which
/// SWIM tolerates as loss. Dialing a seed happens beside the queue, so that an unreachable
/// seed cannot hold up the probes.
actor MembershipShell {
    /// The most membership messages waiting to be sent.
    static let outboundQueueMaxMessages = 4096

    private struct Outbound: Sendable {
        let envelope: Envelope
        let node: NodeID
        let address: String
    }

    private var instance: SWIMInstance
    private let link: any MeshLink
    private let clock: any MeshClock
    private let origin: Duration
    private let logger: Logger
    private var onEvent: @Sendable (MembershipEvent) -> Void
    private var onCatalogueNews: @Sendable ([CatalogueDigestEntry], NodeID) -> Void = { _, _ in }
    private var stopped = false
    private let outbound: AsyncStream<Outbound>.Continuation
    private var sender: Task<Void, Never>?
    /// Membership messages dropped because the outbound queue was full.
    private(set) var droppedOutboundCount = 0
    /// Messages in the outbound queue, for the operator's metrics.
    nonisolated let outboundQueueDepth = QueueDepth()
    private let metrics: NodeMetrics

    init(
        instance: SWIMInstance, link: any MeshLink, clock: any MeshClock, logger: Logger, metrics: NodeMetrics = .discarding,
        onEvent: @escaping @Sendable (MembershipEvent) -> Void
    ) {
        self.instance = instance
        self.metrics = metrics
        self.link = link
        self.clock = clock
        self.origin = clock.now
        self.logger = logger
        self.onEvent = onEvent
        let (stream, continuation) = AsyncStream.makeStream(of: Outbound.self, bufferingPolicy: .bufferingOldest(Self.outboundQueueMaxMessages))
        self.outbound = continuation
        self.sender = nil
        Task { await self.startSender(stream) }
    }

    private func startSender(_ stream: AsyncStream<Outbound>) {
        let link = self.link
        let logger = self.logger
        let depth = outboundQueueDepth
        sender = Task { [weak self] in
            for await message in stream {
                depth.taken()
                do {
                    if let peer = try? PeerAddress(parsing: message.address) { await link.setAddress(peer, for: message.node) }
                    try await link.send(message.envelope, to: message.node)
                } catch {
                    logger.debug("membership message not delivered", metadata: ["peer": "\(message.node)", "reason": "\(error)"])
                    await self?.unreachable(message.node)
                }
            }
        }
    }

    private var now: Duration { clock.now - origin }

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
        // The leave announcements are in the queue; nothing follows them.
        outbound.finish()
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
                switch message {
                case .ping: metrics.probesDirect.increment()
                case .pingRequest: metrics.probesIndirect.increment()
                default: break
                }
                send(message, to: destination)
            case .schedule(let timer, let delay):
                let clock = self.clock
                Task { [weak self] in
                    guard (try? await clock.sleep(for: delay)) != nil else { return }
                    await self?.timerFired(timer)
                }
            case .event(let event):
                if case .suspected = event { metrics.suspicionsRaised.increment() }
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
        switch destination {
        case .node(let node, let address):
            enqueue(envelope, to: node, address: address)
        case .address(let address):
            let link = self.link
            let logger = self.logger
            Task { [weak self] in
                do {
                    let peer = try PeerAddress(parsing: address)
                    guard case .node(let node) = try await link.connect(to: peer) else { return }
                    await self?.enqueue(envelope, to: node, address: address)
                } catch {
                    logger.info("seed not reachable", metadata: ["seed": "\(address)", "reason": "\(error)"])
                }
            }
        }
    }

    private func enqueue(_ envelope: Envelope, to node: NodeID, address: String) {
        // Counted before the yield, so that the sender never takes what is not yet counted.
        outboundQueueDepth.added()
        if case .dropped = outbound.yield(Outbound(envelope: envelope, node: node, address: address)) {
            outboundQueueDepth.taken()
            droppedOutboundCount += 1
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
