import Crypto
import Foundation
import Gossip
import MeshCore

/// Tunables of a simulated mesh. Durations are virtual time.
public struct SimulationSettings: Sendable {
    /// The membership core's settings, as on a real node.
    public var swim = SWIMSettings()
    /// The catalogue dissemination core's settings (anti-entropy interval, pull retries), as
    /// on a real node.
    public var catalogues = CatalogueDissemination.Settings()
    public var profile: LinkProfile = .lan
    /// Minimum cell size k every simulated site publishes.
    public var minimumCellSize = 5

    public init() {}
}

/// Runs a whole mesh in one process on a virtual clock.
///
/// Each node is the real ``SWIMInstance`` and ``CatalogueDissemination``, the cores a real
/// node's shells drive; this type is their shell: it carries out their actions, delivers
/// messages through the ``NetworkModel`` after measuring them with their real protobuf
/// encoding (to count bytes honestly), and wakes each core when it asks to be woken. No
/// protocol rule lives here. One ``SeededRandom`` made from the seed
/// draws every delay, loss and fault, and seeds every node's own random source, so a seed
/// replays a run exactly (the event log digest shows it).
public final class Simulator {
    enum Event {
        /// A timer of `node`'s core; `generation` is the node's process generation when it
        /// was set, so timers of a process that crashed never reach its restarted successor.
        case timer(Int, generation: Int, SWIMTimer)
        case membership(from: Int, to: Int, SWIMMessage)
        /// The housekeeping wake `node`'s catalogue core asked for (anti-entropy, pull retries,
        /// expiry), as the real shell's housekeeping round.
        case catalogueWake(Int, generation: Int)
        /// A catalogue digest; `fingerprint` is the sender's, which lets equal stores skip
        /// comparing entry by entry (``CatalogueDissemination/receiveDigest(_:from:now:peerFingerprint:)``).
        case digest(from: Int, to: Int, CatalogueDissemination.Digest, fingerprint: UInt64)
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
            let catalogues = CatalogueDissemination(verifier: federation.verifier(), settings: settings.catalogues, seed: random.next())
            let signer = try CatalogueSigner(credential: federation.credentials[index])
            let aggregationKey = try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: (0..<4).flatMap { _ in withUnsafeBytes(of: keyRandom.next().littleEndian, Array.init) })
            nodes.append(SimulatedNode(index: index, id: id, swim: swim, catalogues: catalogues, signer: signer, aggregationKey: aggregationKey))
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
        nodes[node].catalogues.start(now: now)
        try publish(node)
        log.append(now, "start node=\(node) seeds=\(seeds)")
        let actions = nodes[node].swim.join(seeds: seeds.map { SimulatedFederation.address($0) }, now: now)
        perform(actions, of: node)
        scheduleWake(node)
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
        nodes[node].catalogues.restart(verifier: federation.verifier(), now: now)
        nodes[node].live = LiveSet()
        nodes[node].digestBytes = nil
        nodes[node].wakeScheduledAt = nil
        log.append(now, "restart node=\(node) generation=\(nodes[node].generation)")
        try publish(node)
        let actions = nodes[node].swim.join(seeds: seeds.filter { $0 != node }.map { SimulatedFederation.address($0) }, now: now)
        perform(actions, of: node)
        scheduleWake(node)
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

    /// Builds, signs and holds a new version of `node`'s catalogue, as the real shell's
    /// `republish()` does. The version counter survives crashes (a real node uses the signing
    /// time), so a restarted node's version is above every one it published before.
    public func publish(_ node: Int) throws {
        let date = SimulatedFederation.date(now)
        let version = nodes[node].catalogues.nextOwnVersion(floor: (published[node]?.keys.max() ?? 0) + 1)
        let catalogue = try SimulatedCatalogue.catalogue(
            node: nodes[node].id, index: node, version: version, now: date, minimumCellSize: settings.minimumCellSize, summary: siteSummaries[node],
            aggregationPublicKey: Array(nodes[node].aggregationKey.publicKey.rawRepresentation))
        let signed = try nodes[node].signer.sign(catalogue)
        published[node, default: [:]][version] = signed
        let memo = self.memo
        do {
            let actions = try nodes[node].catalogues.publish(signed, date: date) { (signed) throws(CatalogueRejection) in try memo.verify(signed, now: date) }
            log.append(now, "publish node=\(node) version=\(version)")
            perform(actions, of: node, kind: .cataloguePull)
        } catch {
            violations.append("node \(node) refused its own catalogue version \(version): \(error)")
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
        case .catalogueWake(let node, let generation):
            guard nodes[node].isUp, nodes[node].generation == generation, nodes[node].wakeScheduledAt == now else { return }
            nodes[node].wakeScheduledAt = nil
            let live = nodes[node].live.elements.map { nodes[$0].id }
            let actions = nodes[node].catalogues.tick(now: now, date: SimulatedFederation.date(now), liveMembers: live)
            perform(actions, of: node, kind: .cataloguePull)
            scheduleWake(node)
        case .digest(let sender, let receiver, let digest, let fingerprint):
            guard nodes[receiver].isUp else { return }
            let actions = nodes[receiver].catalogues.receiveDigest(digest, from: nodes[sender].id, now: now, peerFingerprint: fingerprint)
            perform(actions, of: receiver, kind: .antiEntropy)
        case .pull(let requester, let holder, let wanted, let kind):
            guard nodes[holder].isUp else { return }
            let catalogues = nodes[holder].catalogues.answerPull(owners: wanted)
            send(kind, from: holder, to: requester, bytes: bundleSize(catalogues)) {
                .bundle(from: holder, to: requester, catalogues)
            }
        case .bundle(let sender, let receiver, let catalogues):
            guard nodes[receiver].isUp else { return }
            let date = SimulatedFederation.date(now)
            let memo = self.memo
            let actions = nodes[receiver].catalogues.receiveBundle(catalogues, from: nodes[sender].id, date: date) { (signed) throws(CatalogueRejection) in
                try memo.verify(signed, now: date)
            }
            perform(actions, of: receiver, kind: .cataloguePull)
        case .fault(let fault):
            apply(fault)
        case .deferred(let body):
            body()
        }
    }

    /// Schedules `node`'s next housekeeping wake when its core wants one earlier than the one
    /// already scheduled (a later scheduled wake finds `wakeScheduledAt` moved and does nothing).
    private func scheduleWake(_ node: Int) {
        guard let wanted = nodes[node].catalogues.nextWake else { return }
        // The agenda keeps whole nanoseconds; the wake is recognised by the instant it pops at.
        let at = Duration.nanoseconds(max(wanted, now).nanosecondsCount)
        if let scheduled = nodes[node].wakeScheduledAt, scheduled <= at { return }
        nodes[node].wakeScheduledAt = at
        queue.schedule(.catalogueWake(node, generation: nodes[node].generation), at: at)
    }

    /// The encoded size of `digest` as `node` sends it: the entries' encoding is measured once
    /// per change of what the node holds; `wants_digest` adds its two bytes, a revocation
    /// version its tag and varint.
    private func digestSize(_ digest: CatalogueDissemination.Digest, of node: Int) -> Int {
        let changeCount = nodes[node].catalogues.changeCount
        let entries: Int
        if let cached = nodes[node].digestBytes, cached.changeCount == changeCount {
            entries = cached.bytes
        } else {
            entries = CatalogueDigestEntry.encodedSize(digest.entries)
            nodes[node].digestBytes = (changeCount, entries)
        }
        return entries + (digest.wantsDigest ? 2 : 0) + (digest.revocationVersion > 0 ? 1 + Self.varintLength(Int(digest.revocationVersion)) : 0)
    }

    /// Carries out what `node`'s catalogue core asked for; pulls and digests are counted as
    /// `kind` traffic (news-driven pulls as catalogue pulls, digest-driven ones as anti-entropy).
    func perform(_ actions: [CatalogueDissemination.Action], of node: Int, kind: TrafficCounter.Kind) {
        for action in actions {
            switch action {
            case .sendDigest(let digest, let peer):
                guard let receiver = indexOf[peer] else { continue }
                let fingerprint = nodes[node].fingerprint
                send(.antiEntropy, from: node, to: receiver, bytes: digestSize(digest, of: node)) {
                    .digest(from: node, to: receiver, digest, fingerprint: fingerprint)
                }
            case .pull(let request):
                guard let holder = indexOf[request.peer] else { continue }
                let bytes = CatalogueDigestEntry.encodedSize(request.owners.map { CatalogueDigestEntry(nodeID: $0, version: 0) })
                send(kind, from: node, to: holder, bytes: bytes) {
                    .pull(from: node, to: holder, nodes: request.owners, kind: kind)
                }
            case .sendRevocations(_, let peers):
                // The simulated federation's CA issues no revocation list, so no core ever
                // holds one to send; a list here means a core invented one.
                violations.append("node \(node) sent a revocation list to \(peers.count) peers, but none was issued")
            case .announce(let entries):
                for entry in entries { nodes[node].swim.announceCatalogue(entry) }
            case .accepted(let signed, let owner, let version, let replaced, _):
                checkAccepted(signed, owner: owner, version: version, replaced: replaced, holder: node)
                log.append(now, "accept node=\(node) owner=\(indexOf[owner] ?? -1) version=\(version)")
                onCatalogueAccepted?(now, node, owner, version)
            case .rejected(let rejection, let via):
                if rejection.reason == .staleVersion {
                    staleRejections += 1
                } else {
                    log.append(now, "reject node=\(node) via=\(via.flatMap { indexOf[$0] } ?? node) reason=\(rejection.reason.rawValue)")
                }
            case .expired(let owner):
                log.append(now, "expire node=\(node) owner=\(owner)")
            case .adoptedRevocations(let version, let dropped):
                log.append(now, "revocations node=\(node) version=\(version) dropped=\(dropped.count)")
            }
        }
        scheduleWake(node)
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

    /// Offers a signed catalogue to `node` as if `peer` had sent it in a pull's answer, and
    /// returns what the store did (the safety rules are checked on the outcome).
    @discardableResult
    func offer(_ signed: SignedCatalogue, to node: Int, via peer: NodeID) -> CatalogueStore.OfferOutcome {
        let date = SimulatedFederation.date(now)
        let memo = self.memo
        let actions = nodes[node].catalogues.receiveBundle([signed], from: peer, date: date) { (signed) throws(CatalogueRejection) in
            try memo.verify(signed, now: date)
        }
        perform(actions, of: node, kind: .cataloguePull)
        switch actions.first {
        case .accepted(_, let owner, let version, let replaced, _)?: return .accepted(node: owner, version: version, replacedVersion: replaced)
        case .rejected(let rejection, _)?: return .rejected(rejection)
        default: preconditionFailure("an offer answers with its outcome first")
        }
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
                // The exact length of the protobuf encoding, computed without encoding (a test
                // keeps `encodedSize` equal to `serializedBytes().count`).
                let bytes = message.encodedSize
                let kind: TrafficCounter.Kind =
                    switch message {
                    case .pushPull: .antiEntropy
                    case .gossip: .gossip
                    case .ping, .pingRequest, .ack, .nack: .membership
                    }
                send(kind, from: node, to: receiver, bytes: bytes) { .membership(from: node, to: receiver, message) }
            case .event(let event):
                record(event, observer: node)
                if case .joinCompleted(let via) = event {
                    perform(nodes[node].catalogues.joined(via: via), of: node, kind: .antiEntropy)
                }
            case .catalogueNews(let news, let sender):
                perform(nodes[node].catalogues.receiveNews(news, from: sender, now: now), of: node, kind: .cataloguePull)
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
