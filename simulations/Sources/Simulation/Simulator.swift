import Crypto
import Foundation
import Gossip
import MeshCore

/// Tunables of a simulated mesh. Durations are virtual time.
public struct SimulationSettings: Sendable {
    /// The membership core's settings, as on a real node.
    public var swim = SWIMSettings()
    /// How often each node sends its catalogue digest to one random live member
    /// (the real node's `CatalogueShell.antiEntropyInterval`).
    public var antiEntropyInterval: Duration = .seconds(10)
    /// What to pull from whom and when to retry (the real node's settings).
    public var pulls = CataloguePulls()
    public var profile: LinkProfile = .lan
    /// Minimum cell size k every simulated site publishes.
    public var minimumCellSize = 5

    public init() {}
}

/// Runs a whole mesh in one process on a virtual clock.
///
/// Each node is the real ``SWIMInstance`` and ``CatalogueStore``; this type is their shell:
/// it carries out their actions, delivers messages through the ``NetworkModel`` after
/// encoding them with their real protobuf encoding (to count bytes honestly), and runs the
/// catalogue anti-entropy the node runtime runs. One ``SeededRandom`` made from the seed
/// draws every delay, loss and fault, and seeds every node's own random source, so a seed
/// replays a run exactly (the event log digest shows it).
public final class Simulator {
    enum Event {
        /// A timer of `node`'s core; `generation` is the node's process generation when it
        /// was set, so timers of a process that crashed never reach its restarted successor.
        case timer(Int, generation: Int, SWIMTimer)
        case membership(from: Int, to: Int, SWIMMessage)
        case antiEntropyRound(Int, generation: Int)
        /// Check `node`'s unmet catalogue wants and pull them again (the real shell does it
        /// in its housekeeping round).
        case pullRetry(Int, generation: Int)
        case digest(from: Int, to: Int, entries: [CatalogueDigestEntry], fingerprint: UInt64, wantsDigest: Bool)
        case pull(from: Int, to: Int, nodes: [NodeID], kind: TrafficCounter.Kind)
        case bundle(from: Int, to: Int, [SignedCatalogue])
        case fault(Fault)
        /// Work of a scenario's own shell (the query scenario's messages and timers).
        case deferred(() -> Void)
    }

    public let seed: UInt64
    public let settings: SimulationSettings
    public let federation: SimulatedFederation
    public private(set) var now: Duration = .zero
    public var network: NetworkModel
    public var nodes: [SimulatedNode]
    public var log = EventLog()
    public var traffic: TrafficCounter
    /// Safety violations found while running; a correct mesh has none.
    public private(set) var violations: [String] = []
    /// Called for every membership event: (time, observer, event).
    public var onMembershipEvent: ((Duration, Int, MembershipEvent) -> Void)?
    /// Called for every catalogue a node accepts: (time, holder, owner, version).
    public var onCatalogueAccepted: ((Duration, Int, NodeID, UInt64) -> Void)?

    public private(set) var falsePositiveDeaths: [(time: Duration, observer: Int, member: Int)] = []
    public internal(set) var injectedOffers = 0
    public internal(set) var injectedRejections: [CatalogueRejection.Reason: Int] = [:]
    public private(set) var staleRejections = 0
    public private(set) var eventsProcessed = 0

    var random: SeededRandom
    var queue = EventQueue<Event>()
    let memo: VerificationMemo
    let indexOf: [NodeID: Int]
    let indexAt: [String: Int]
    /// Payload bytes of every catalogue version each node really published.
    var published: [Int: [UInt64: SignedCatalogue]] = [:]
    /// Keys of forged catalogues injected, which no store may ever accept.
    var forgedKeys: Set<SHA256Digest> = []
    var signedSizes: [SHA256Digest: Int] = [:]
    /// What each node's site holds, for scenarios whose nodes have data: their catalogues
    /// then declare the codes and ranges present. Nodes without an entry publish only a
    /// subject count.
    public var siteSummaries: [Int: SiteSummary] = [:]

    public init(nodeCount: Int, seed: UInt64, settings: SimulationSettings = SimulationSettings(), federation: SimulatedFederation? = nil) throws {
        self.seed = seed
        self.settings = settings
        let federation = try federation ?? SimulatedFederation(nodeCount: nodeCount)
        precondition(federation.nodeIDs.count >= nodeCount, "the federation has \(federation.nodeIDs.count) certificates for \(nodeCount) nodes")
        self.federation = federation
        self.network = NetworkModel(profile: settings.profile)
        self.traffic = TrafficCounter(nodeCount: nodeCount)
        self.random = SeededRandom(seed: seed)
        self.memo = VerificationMemo(verifier: federation.verifier())
        var indexOf: [NodeID: Int] = [:]
        var indexAt: [String: Int] = [:]
        var nodes: [SimulatedNode] = []
        nodes.reserveCapacity(nodeCount)
        // The long-term X25519 keys of secure aggregation come from their own stream of the
        // seed, so that drawing them leaves every other draw of the run as it was.
        var keyRandom = SeededRandom(seed: seed ^ Self.aggregationKeyStream)
        for index in 0..<nodeCount {
            let id = federation.nodeIDs[index]
            let address = SimulatedFederation.address(index)
            indexOf[id] = index
            indexAt[address] = index
            let swim = SWIMInstance(localNode: id, localAddress: address, settings: settings.swim, seed: random.next(), now: .zero)
            let store = CatalogueStore(verifier: federation.verifier())
            let signer = try CatalogueSigner(credential: federation.credentials[index])
            let aggregationKey = try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: (0..<4).flatMap { _ in withUnsafeBytes(of: keyRandom.next().littleEndian, Array.init) })
            nodes.append(
                SimulatedNode(
                    index: index, id: id, swim: swim, store: store, signer: signer, aggregationKey: aggregationKey, seed: random.next(), pulls: settings.pulls))
        }
        self.nodes = nodes
        self.indexOf = indexOf
        self.indexAt = indexAt
    }

    public func index(of node: NodeID) -> Int? { indexOf[node] }

    /// Mixed into the seed for the stream the nodes' aggregation keys are drawn from.
    static let aggregationKeyStream: UInt64 = 0x5345_4341_4747_4B45

    // MARK: - Driving the run

    /// Starts `node` at the current time: publishes its catalogue and joins through `seeds`.
    public func start(_ node: Int, seeds: [Int]) throws {
        precondition(!nodes[node].started, "node \(node) started twice")
        nodes[node].started = true
        try publish(node)
        log.append(now, "start node=\(node) seeds=\(seeds)")
        let actions = nodes[node].swim.join(seeds: seeds.map { SimulatedFederation.address($0) }, now: now)
        perform(actions, of: node)
        let phase = Int64(random.unitInterval() * Double(settings.antiEntropyInterval.nanosecondsCount))
        queue.schedule(.antiEntropyRound(node, generation: nodes[node].generation), at: now + .nanoseconds(phase))
    }

    /// Restarts a crashed `node` as a new process: a fresh membership core and an empty
    /// catalogue store (nothing survives a crash but the node's key and the version
    /// counter of its own catalogue), a new catalogue version, and a join through `seeds`.
    /// Timers of the crashed process are dropped.
    public func restart(_ node: Int, seeds: [Int]) throws {
        precondition(nodes[node].started && !nodes[node].isUp, "node \(node) restarted while running")
        nodes[node].generation += 1
        nodes[node].isUp = true
        nodes[node].swim = SWIMInstance(localNode: nodes[node].id, localAddress: nodes[node].address, settings: settings.swim, seed: random.next(), now: now)
        nodes[node].store = CatalogueStore(verifier: federation.verifier())
        nodes[node].live = LiveSet()
        nodes[node].heldCount = 0
        nodes[node].fingerprint = 0
        nodes[node].digestCache = nil
        nodes[node].pulls.reset()
        nodes[node].pullRetryScheduled = false
        log.append(now, "restart node=\(node) generation=\(nodes[node].generation)")
        try publish(node)
        let actions = nodes[node].swim.join(seeds: seeds.filter { $0 != node }.map { SimulatedFederation.address($0) }, now: now)
        perform(actions, of: node)
        let phase = Int64(random.unitInterval() * Double(settings.antiEntropyInterval.nanosecondsCount))
        queue.schedule(.antiEntropyRound(node, generation: nodes[node].generation), at: now + .nanoseconds(phase))
    }

    /// Runs `body` when an answer of the transport at `from` to `to` arrives, such as a
    /// refused connection: it takes the network's delay and may be lost like a message,
    /// but no process sends it, so it is not counted as traffic.
    public func transportAnswer(from sender: Int, to receiver: Int, _ body: @escaping () -> Void) {
        guard let delay = network.deliveryDelays(from: sender, to: receiver, using: &random).first else { return }
        queue.schedule(.deferred(body), at: now + delay)
    }

    /// Runs `body` at `now + delay` (a scenario's own timer).
    public func after(_ delay: Duration, _ body: @escaping () -> Void) {
        queue.schedule(.deferred(body), at: now + delay)
    }

    /// Sends a scenario's message of `bytes` bytes from `sender` to `receiver` through the
    /// network model: counted once, and `delivered` runs once per copy that arrives (none
    /// when lost or cut off). Whether the receiver runs is the callee's concern.
    public func transmit(_ kind: TrafficCounter.Kind, from sender: Int, to receiver: Int, bytes: Int, delivered: @escaping () -> Void) {
        send(kind, from: sender, to: receiver, bytes: bytes) { .deferred(delivered) }
    }

    /// Builds, signs and holds a new version of `node`'s catalogue, as `republish()` does.
    public func publish(_ node: Int) throws {
        let date = SimulatedFederation.date(now)
        let version = CatalogueStore.nextVersion(after: nodes[node].ownCatalogue)
        let catalogue = try SyntheticSite.catalogue(
            node: nodes[node].id, index: node, version: version, now: date, minimumCellSize: settings.minimumCellSize, summary: siteSummaries[node],
            aggregationPublicKey: Array(nodes[node].aggregationKey.publicKey.rawRepresentation))
        let signed = try nodes[node].signer.sign(catalogue)
        published[node, default: [:]][version] = signed
        switch offer(signed, to: node) {
        case .accepted:
            nodes[node].ownCatalogue = catalogue
            log.append(now, "publish node=\(node) version=\(version)")
        case .rejected(let rejection):
            violations.append("node \(node) refused its own catalogue version \(version): \(rejection)")
        }
    }

    public func schedule(_ faults: FaultSchedule) {
        for entry in faults.entries { queue.schedule(.fault(entry.fault), at: entry.time) }
    }

    public func apply(_ fault: Fault) {
        log.append(now, fault.logLine)
        switch fault {
        case .crash(let node): nodes[node].isUp = false
        case .setLossRate(let rate): network.lossRate = rate
        case .setDuplicationRate(let rate): network.duplicationRate = rate
        case .setSlowNodes(let slow): network.slowNodes = slow
        case .partition(let id, let partition): network.partitions[id] = partition
        case .heal(let id): network.partitions[id] = nil
        case .healAll:
            network.lossRate = 0
            network.duplicationRate = 0
            network.slowNodes = [:]
            network.partitions = [:]
        }
    }

    /// Runs every event due up to and including `end`, then sets the clock to `end`.
    public func run(until end: Duration) {
        while let next = queue.nextTime, next <= end {
            let (time, event) = queue.popFirst()!
            now = time
            eventsProcessed += 1
            handle(event)
        }
        now = end
    }

    // MARK: - Events

    private func handle(_ event: Event) {
        switch event {
        case .timer(let node, let generation, let timer):
            guard nodes[node].isUp, nodes[node].generation == generation else { return }
            let actions = nodes[node].swim.onTimer(timer, now: now)
            perform(actions, of: node)
        case .membership(let sender, let receiver, let message):
            guard nodes[receiver].isUp else { return }
            let actions = nodes[receiver].swim.onMessage(message, from: nodes[sender].id, now: now)
            perform(actions, of: receiver)
        case .pullRetry(let node, let generation):
            guard nodes[node].isUp, nodes[node].generation == generation else { return }
            nodes[node].pullRetryScheduled = false
            let now = self.now
            let requests = withPulls(of: node) { pulls, held in pulls.due(now: now, held: held) }
            for request in requests { sendPull(request, by: node, kind: .cataloguePull) }
            schedulePullRetry(node)
        case .antiEntropyRound(let node, let generation):
            guard nodes[node].isUp, nodes[node].generation == generation else { return }
            antiEntropyRound(node)
            queue.schedule(.antiEntropyRound(node, generation: generation), at: now + settings.antiEntropyInterval)
        case .digest(let sender, let receiver, let entries, let fingerprint, let wantsDigest):
            guard nodes[receiver].isUp else { return }
            if wantsDigest { sendDigest(from: receiver, to: sender, wantsDigest: false) }
            guard fingerprint != nodes[receiver].fingerprint else { return }
            pullNewer(entries, by: receiver, from: sender, kind: .antiEntropy)
        case .pull(let requester, let holder, let wanted, let kind):
            guard nodes[holder].isUp else { return }
            let catalogues = wanted.compactMap { nodes[holder].store.catalogue(of: $0)?.signed }
            send(kind, from: holder, to: requester, bytes: bundleSize(catalogues)) {
                .bundle(from: holder, to: requester, catalogues)
            }
        case .bundle(let sender, let receiver, let catalogues):
            guard nodes[receiver].isUp else { return }
            for signed in catalogues {
                if case .rejected(let rejection) = offer(signed, to: receiver) {
                    if rejection.reason == .staleVersion {
                        staleRejections += 1
                    } else {
                        log.append(now, "reject node=\(receiver) via=\(sender) reason=\(rejection.reason.rawValue)")
                    }
                }
            }
        case .fault(let fault):
            apply(fault)
        case .deferred(let body):
            body()
        }
    }

    private func antiEntropyRound(_ node: Int) {
        let date = SimulatedFederation.date(now)
        for expired in nodes[node].store.expire(now: date) {
            log.append(now, "expire node=\(node) owner=\(expired)")
            refreshBookkeeping(node)
        }
        guard let peer = nodes[node].live.randomElement(using: &nodes[node].random) else { return }
        sendDigest(from: node, to: peer, wantsDigest: false)
    }

    private func sendDigest(from node: Int, to peer: Int, wantsDigest: Bool) {
        let (entries, bytes) = digest(of: node)
        let fingerprint = nodes[node].fingerprint
        send(.antiEntropy, from: node, to: peer, bytes: bytes + (wantsDigest ? 2 : 0)) {
            .digest(from: node, to: peer, entries: entries, fingerprint: fingerprint, wantsDigest: wantsDigest)
        }
    }

    /// What the real shell's `pullNewer` does: `node` heard from `holder` which versions it
    /// holds; ``CataloguePulls`` says what to pull from it now.
    private func pullNewer(_ entries: [CatalogueDigestEntry], by node: Int, from holder: Int, kind: TrafficCounter.Kind) {
        let (announcer, now) = (nodes[holder].id, self.now)
        let request = withPulls(of: node) { pulls, held in pulls.heard(entries, from: announcer, now: now, held: held) }
        guard let request else { return }
        sendPull(request, by: node, kind: kind)
        schedulePullRetry(node)
    }

    /// Runs `body` on `node`'s pull state with the versions its store holds (the state is
    /// taken out of the node for the call, so the store can be read meanwhile).
    private func withPulls<Result>(of node: Int, _ body: (inout CataloguePulls, (NodeID) -> UInt64?) -> Result) -> Result {
        var pulls = nodes[node].pulls
        let store = nodes[node].store
        let result = body(&pulls) { store.catalogue(of: $0)?.catalogue.version }
        nodes[node].pulls = pulls
        return result
    }

    private func sendPull(_ request: CataloguePulls.Request, by node: Int, kind: TrafficCounter.Kind) {
        guard let holder = indexOf[request.peer] else { return }
        let wire = CatalogueDigestEntry.wire(request.owners.map { CatalogueDigestEntry(nodeID: $0, version: 0) })
        send(kind, from: node, to: holder, bytes: ((try? wire.serializedBytes() as [UInt8])?.count) ?? 0) {
            .pull(from: node, to: holder, nodes: request.owners, kind: kind)
        }
    }

    private func schedulePullRetry(_ node: Int) {
        guard !nodes[node].pullRetryScheduled, nodes[node].pulls.wantedCount > 0 else { return }
        nodes[node].pullRetryScheduled = true
        queue.schedule(.pullRetry(node, generation: nodes[node].generation), at: now + nodes[node].pulls.retryAfter)
    }

    private func digest(of node: Int) -> ([CatalogueDigestEntry], Int) {
        if let cached = nodes[node].digestCache { return (cached.entries, cached.encodedBytes) }
        let entries = nodes[node].store.digest()
        let bytes = ((try? CatalogueDigestEntry.wire(entries).serializedBytes() as [UInt8])?.count) ?? 0
        nodes[node].digestCache = (entries, bytes)
        return (entries, bytes)
    }

    /// The exact size of a `CatalogueBundle` message holding `catalogues`: each is a
    /// length-delimited field 1, so tag byte + varint length + the catalogue's own encoding
    /// (each distinct catalogue is encoded once and its size kept).
    func bundleSize(_ catalogues: [SignedCatalogue]) -> Int {
        var total = 0
        for signed in catalogues {
            let key = memo.cachedKey(signed)
            let size: Int
            if let known = signedSizes[key] {
                size = known
            } else {
                size = ((try? signed.wire.serializedBytes() as [UInt8])?.count) ?? 0
                signedSizes[key] = size
            }
            total += 1 + Self.varintLength(size) + size
        }
        return total
    }

    static func varintLength(_ value: Int) -> Int {
        var length = 1
        var rest = UInt64(value) >> 7
        while rest > 0 {
            length += 1
            rest >>= 7
        }
        return length
    }

    /// Offers a signed catalogue to `node`'s store and checks the safety rules on the outcome.
    @discardableResult
    func offer(_ signed: SignedCatalogue, to node: Int) -> CatalogueStore.OfferOutcome {
        let date = SimulatedFederation.date(now)
        let memo = self.memo
        let outcome = nodes[node].store.offer(signed, now: date) { (signed) throws(CatalogueRejection) in
            try memo.verify(signed, now: date)
        }
        if case .accepted(let owner, let version, let replaced) = outcome {
            checkAccepted(signed, owner: owner, version: version, replaced: replaced, holder: node)
            let ownerIndex = indexOf[owner] ?? -1
            if let replaced {
                nodes[node].fingerprint &-= SimulatedNode.fingerprintTerm(node: ownerIndex, version: replaced)
            } else {
                nodes[node].heldCount += 1
            }
            nodes[node].fingerprint &+= SimulatedNode.fingerprintTerm(node: ownerIndex, version: version)
            nodes[node].digestCache = nil
            nodes[node].pulls.accepted(owner: owner, version: version)
            // As the real shell does: announce every version accepted, so it spreads on.
            nodes[node].swim.announceCatalogue(CatalogueDigestEntry(nodeID: owner, version: version))
            log.append(now, "accept node=\(node) owner=\(ownerIndex) version=\(version)")
            onCatalogueAccepted?(now, node, owner, version)
        }
        return outcome
    }

    private func checkAccepted(_ signed: SignedCatalogue, owner: NodeID, version: UInt64, replaced: UInt64?, holder: Int) {
        if let replaced, replaced >= version {
            violations.append("node \(holder) replaced version \(replaced) of \(owner) by the older or equal \(version)")
        }
        if forgedKeys.contains(memo.cachedKey(signed)) {
            violations.append("node \(holder) accepted a forged catalogue of \(owner) version \(version)")
        }
        guard let ownerIndex = indexOf[owner], let original = published[ownerIndex]?[version] else {
            violations.append("node \(holder) accepted catalogue version \(version) of \(owner), which its owner never published")
            return
        }
        if original.payload != signed.payload || original.signature != signed.signature {
            violations.append("node \(holder) accepted catalogue version \(version) of \(owner) with other bytes than its owner signed")
        }
    }

    /// Recomputes the held count and fingerprint of `node` from its store (after drops).
    private func refreshBookkeeping(_ node: Int) {
        var fingerprint: UInt64 = 0
        for entry in nodes[node].store.digest() {
            fingerprint &+= SimulatedNode.fingerprintTerm(node: indexOf[entry.nodeID] ?? -1, version: entry.version)
        }
        nodes[node].fingerprint = fingerprint
        nodes[node].heldCount = nodes[node].store.catalogues.count
        nodes[node].digestCache = nil
    }

    // MARK: - Carrying out the core's actions

    func perform(_ actions: [SWIMAction], of node: Int) {
        for action in actions {
            switch action {
            case .schedule(let timer, let after):
                queue.schedule(.timer(node, generation: nodes[node].generation, timer), at: now + after)
            case .send(let message, let destination):
                let receiver: Int?
                switch destination {
                case .node(let target, _): receiver = indexOf[target]
                case .address(let address): receiver = indexAt[address]
                }
                guard let receiver else { continue }
                let bytes = (try? message.serializedBytes().count) ?? 0
                let kind: TrafficCounter.Kind =
                    switch message {
                    case .pushPull: .antiEntropy
                    case .gossip: .gossip
                    case .ping, .pingRequest, .ack, .nack: .membership
                    }
                send(kind, from: node, to: receiver, bytes: bytes) { .membership(from: node, to: receiver, message) }
            case .event(let event):
                record(event, observer: node)
                if case .joinCompleted(let via) = event, let seed = indexOf[via] {
                    sendDigest(from: node, to: seed, wantsDigest: true)
                }
            case .catalogueNews(let news, let sender):
                guard let announcer = indexOf[sender] else { continue }
                pullNewer(news, by: node, from: announcer, kind: .cataloguePull)
            }
        }
    }

    private func record(_ event: MembershipEvent, observer: Int) {
        switch event {
        case .joined(let member), .refuted(let member):
            if let index = indexOf[member.nodeID], index != observer { nodes[observer].live.insert(index) }
        case .suspected(let member), .died(let member), .left(let member):
            if let index = indexOf[member.nodeID] { nodes[observer].live.remove(index) }
        case .joinCompleted:
            break
        }
        switch event {
        case .joined(let member): log.append(now, "joined observer=\(observer) member=\(member.nodeID) \(member.status)")
        case .suspected(let member): log.append(now, "suspected observer=\(observer) member=\(member.nodeID) \(member.status)")
        case .refuted(let member): log.append(now, "refuted observer=\(observer) member=\(member.nodeID) \(member.status)")
        case .died(let member):
            log.append(now, "died observer=\(observer) member=\(member.nodeID) \(member.status)")
            if let index = indexOf[member.nodeID], nodes[index].isUp {
                falsePositiveDeaths.append((now, observer, index))
            }
        case .left(let member): log.append(now, "left observer=\(observer) member=\(member.nodeID)")
        case .joinCompleted(let via): log.append(now, "join-completed node=\(observer) via=\(via)")
        }
        onMembershipEvent?(now, observer, event)
    }

    /// Sends one message through the network model: counted once, delivered zero, one or two
    /// times after drawn delays.
    func send(_ kind: TrafficCounter.Kind, from sender: Int, to receiver: Int, bytes: Int, _ event: () -> Event) {
        traffic.record(kind, from: sender, bytes: bytes)
        let delays = network.deliveryDelays(from: sender, to: receiver, using: &random)
        guard !delays.isEmpty else { return }
        let built = event()
        for delay in delays { queue.schedule(built, at: now + delay) }
    }

    func recordViolation(_ message: String) {
        violations.append(message)
    }

    /// Draws from the run's random source (scenarios use it for their own choices).
    public func draw(below bound: Int) -> Int {
        Int(random.next() % UInt64(bound))
    }

    public func drawUnit() -> Double { random.unitInterval() }
}

extension Simulator {
    /// The byte count the simulator charges for a catalogue bundle (checked against the real encoding).
    public func bundleSizeForTesting(_ catalogues: [SignedCatalogue]) -> Int { bundleSize(catalogues) }
}
