import MeshCore

/// The SWIM + Lifeguard membership protocol as a pure state machine ("instance"; docs/ARCHITECTURE.md, "Code structure: pure cores and thin shells").
///
/// It does no I/O and reads no clock: every input (`join`, `onTimer`, `onMessage`,
/// `onUnreachable`, `leave`) takes `now`, a monotonic offset from an arbitrary origin, and
/// returns the ``SWIMAction``s the shell must carry out. Randomness comes from a
/// ``SeededRandom`` seeded at creation, so a simulator replays a run exactly from its seed.
///
/// Glossary: a *probe* is one protocol period's failure check of one member; a *rumour* or
/// *update* is a piggybacked ``MemberUpdate``; a *relay* is an indirect probe run for another
/// node; a *tombstone* is a dead or left member kept so stale rumours cannot revive it.
public struct SWIMInstance: Sendable {
    public let localNode: NodeID
    public let localAddress: String
    public let settings: SWIMSettings

    /// This node's incarnation number; only this node raises it (SWIM §4.2).
    public private(set) var incarnation: UInt64 = 0

    private var random: SeededRandom
    private var lifecycle: Lifecycle = .created
    private var others: [NodeID: MemberRecord] = [:]
    /// The members of `others` in node ID order, updated with every change of a record's
    /// member (a binary search each), so that `members` (every push-pull, twice a minute per
    /// node) is a copy rather than a sort or a thousand lookups.
    private var othersInOrder: [Member] = []
    /// Members other than self that are alive or suspect, in probe order.
    private var probeOrder = ProbeOrder()
    private var gossip: GossipQueue<MemberUpdate>
    /// Catalogue versions this node holds and announces, spread like member updates.
    private var catalogueNews: GossipQueue<CatalogueDigestEntry>
    private var health: LocalHealth
    private var nextSequence: UInt64 = 1
    private var probe: Probe?
    private var relays: [UInt64: Relay] = [:]
    private var joining: Joining?
    /// Members that became dead or left, in the order they did (so by time): reaping looks
    /// only at the front instead of scanning every member each period. An entry whose
    /// member has since come back (its `terminalSince` differs) is skipped.
    private var tombstoneOrder: [(node: NodeID, since: Duration)] = []
    private var tombstoneHead = 0

    private enum Lifecycle: Sendable, Equatable {
        /// Created; no periodic timers run until `join`.
        case created
        case running
        /// `leave()` was called: no more probing, no refutations; pings are still answered so
        /// the left rumour keeps spreading.
        case left
    }

    private struct MemberRecord: Sendable {
        var member: Member
        var suspicion: Suspicion?
        /// When the member became dead or left; the tombstone is reaped after the retention.
        var terminalSince: Duration?
    }

    /// The probe of the current protocol period.
    private struct Probe: Sendable {
        let sequence: UInt64
        let target: NodeID
        var acked = false
        /// Intermediaries asked to probe indirectly; acks are accepted from them and the target.
        var intermediaries: [NodeID] = []
        var indirectSent = false
        var nacks = 0
    }

    /// An indirect probe this node runs on behalf of `origin` (SWIM §3.1).
    private struct Relay: Sendable {
        let origin: NodeID
        let originAddress: String
        let originSequence: UInt64
        let target: NodeID
    }

    private struct Joining: Sendable {
        var seeds: [String]
        var attempt: Int
        var completed: Bool
    }

    public init(localNode: NodeID, localAddress: String, settings: SWIMSettings, seed: UInt64, now: Duration) {
        self.localNode = localNode
        self.localAddress = localAddress
        self.settings = settings
        self.random = SeededRandom(seed: seed)
        self.gossip = GossipQueue(capacity: settings.gossipQueueCapacity)
        self.catalogueNews = GossipQueue(capacity: settings.gossipQueueCapacity)
        self.health = LocalHealth(maximumMultiplier: settings.awarenessMax)
    }

    // MARK: - Queries

    /// Every known member including self and tombstones, sorted by node ID.
    public var members: [Member] {
        var result: [Member] = []
        result.reserveCapacity(othersInOrder.count + 1)
        let me = selfMember
        var placed = false
        for member in othersInOrder {
            if !placed, localNode < member.nodeID {
                result.append(me)
                placed = true
            }
            result.append(member)
        }
        if !placed { result.append(me) }
        return result
    }

    public func member(_ node: NodeID) -> Member? {
        node == localNode ? selfMember : others[node]?.member
    }

    /// Lifeguard's local health score: 0 when healthy, up to `awarenessMax - 1`; probe interval
    /// and ping timeout are multiplied by `localHealth + 1` (Lifeguard §IV.A).
    public var localHealth: Int { health.score }

    /// N: alive and suspect members, self included.
    public var liveMemberCount: Int { probeOrder.count + 1 }

    /// The protocol period in force now, stretched by the local health multiplier.
    public var currentProbeInterval: Duration { health.scale(settings.probeInterval) }

    /// The ping timeout in force now, stretched by the local health multiplier.
    public var currentPingTimeout: Duration { health.scale(settings.pingTimeout) }

    /// Updates waiting to be piggybacked (for tests and metrics).
    public var pendingUpdateCount: Int { gossip.count }

    /// Catalogue announcements waiting to be gossiped (for tests and metrics).
    public var pendingCatalogueNewsCount: Int { catalogueNews.count }

    private var selfMember: Member {
        Member(nodeID: localNode, address: localAddress, status: lifecycle == .left ? .left(incarnation: incarnation) : .alive(incarnation: incarnation))
    }

    // MARK: - Inputs

    /// Starts the protocol and joins through `seeds` ("host:port"; their node IDs are unknown):
    /// a push-pull request goes to each, and is repeated with exponential backoff until one
    /// answers. With no seeds the node runs alone, a member list of one (docs/ARCHITECTURE.md, "Gossip").
    /// Calling it again replaces the seeds.
    public mutating func join(seeds: [String], now: Duration) -> [SWIMAction] {
        var actions: [SWIMAction] = []
        switch lifecycle {
        case .created:
            lifecycle = .running
            // Our own alive rumour, so that members who learn of us by gossip learn our address.
            gossip.enqueue(MemberUpdate(member: selfMember, source: localNode))
            actions.append(.schedule(.protocolPeriod, after: currentProbeInterval))
            actions.append(.schedule(.pushPull, after: settings.pushPullInterval))
            actions.append(.schedule(.gossipRound, after: settings.gossipInterval))
        case .running:
            break
        case .left:
            preconditionFailure("join(seeds: \(seeds)) after leave: node \(localNode) left at incarnation \(incarnation); create a new instance to rejoin")
        }
        var unique: [String] = []
        for seed in seeds where seed != localAddress && !unique.contains(seed) {
            unique.append(seed)
        }
        let attempt = (joining?.attempt ?? 0) + 1
        joining = Joining(seeds: unique, attempt: attempt, completed: unique.isEmpty)
        if !unique.isEmpty {
            actions += joinRequests(seeds: unique)
            actions.append(.schedule(.joinRetry(attempt: attempt), after: settings.joinRetryDelay(attempt: 1)))
        }
        return actions
    }

    public mutating func onTimer(_ timer: SWIMTimer, now: Duration) -> [SWIMAction] {
        switch timer {
        case .protocolPeriod:
            guard lifecycle == .running else { return [] }
            return protocolPeriod(now: now)
        case .pingTimeout(let sequence):
            guard lifecycle == .running, let current = probe, current.sequence == sequence, !current.acked, !current.indirectSent else { return [] }
            return probeIndirectly(now: now)
        case .relayTimeout(let sequence):
            guard let relay = relays.removeValue(forKey: sequence) else { return [] }
            // Lifeguard §IV.A: tell the origin we tried and failed, so it knows its own link
            // to us works and does not blame itself for the missing ack.
            return [.send(.nack(sequence: relay.originSequence, updates: takeUpdates()), to: .node(relay.origin, address: relay.originAddress))]
        case .suspicionTimeout(let node, let suspectedIncarnation):
            guard let record = others[node], case .suspect(suspectedIncarnation) = record.member.status,
                let suspicion = record.suspicion, now >= suspicion.deadline
            else { return [] }
            // SWIM §4.2: a suspicion not refuted within the timeout is confirmed as dead.
            var dead = record.member
            dead.status = .dead(incarnation: suspectedIncarnation)
            return apply(MemberUpdate(member: dead, source: localNode), now: now)
        case .pushPull:
            guard lifecycle == .running else { return [] }
            var actions: [SWIMAction] = [.schedule(.pushPull, after: settings.pushPullInterval)]
            if let peer = randomLiveMembers(count: 1, excluding: []).first, let address = others[peer]?.member.address {
                actions.append(.send(.pushPull(.request, replyAddress: localAddress, members: members), to: .node(peer, address: address)))
            }
            if let dead = reconnectCandidate(), let address = others[dead]?.member.address {
                actions.append(.send(.pushPull(.request, replyAddress: localAddress, members: members), to: .node(dead, address: address)))
            }
            return actions
        case .gossipRound:
            guard lifecycle == .running else { return [] }
            return [.schedule(.gossipRound, after: settings.gossipInterval)] + gossipRound()
        case .joinRetry(let attempt):
            guard lifecycle == .running, let current = joining, !current.completed, current.attempt == attempt else { return [] }
            joining?.attempt = attempt + 1
            return joinRequests(seeds: current.seeds) + [.schedule(.joinRetry(attempt: attempt + 1), after: settings.joinRetryDelay(attempt: attempt + 1))]
        }
    }

    /// Handles a message from `sender`, whose identity the transport authenticated.
    /// Piggybacked updates are applied first, so that a reply already carries the refutation
    /// or the news they caused.
    public mutating func onMessage(_ message: SWIMMessage, from sender: NodeID, now: Duration) -> [SWIMAction] {
        guard sender != localNode else { return [] }
        var actions: [SWIMAction] = []
        for update in message.updates {
            actions += apply(update, now: now)
        }
        switch message {
        case .ping(let sequence, let replyAddress, _):
            // SWIM §3.1: answer every ping, even from a member we do not know yet.
            actions.append(.send(.ack(sequence: sequence, updates: takeUpdates()), to: .node(sender, address: replyAddress)))
        case .pingRequest(let sequence, let target, let targetAddress, let replyAddress, _):
            guard lifecycle == .running, target != localNode, relays.count < settings.maxPendingRelays else { break }
            // SWIM §3.1: probe the target on the origin's behalf.
            let relaySequence = takeSequence()
            relays[relaySequence] = Relay(origin: sender, originAddress: replyAddress, originSequence: sequence, target: target)
            actions.append(.send(.ping(sequence: relaySequence, replyAddress: localAddress, updates: pingUpdates(for: target)), to: .node(target, address: targetAddress)))
            actions.append(.schedule(.relayTimeout(sequence: relaySequence), after: settings.relayNackTimeout))
        case .ack(let sequence, _):
            if var current = probe, current.sequence == sequence, !current.acked,
                sender == current.target || current.intermediaries.contains(sender)
            {
                current.acked = true
                probe = current
                // Lifeguard §IV.A: a successful probe is evidence that we are healthy.
                health.apply(delta: -1)
            } else if let relay = relays[sequence], relay.target == sender {
                relays[sequence] = nil
                actions.append(.send(.ack(sequence: relay.originSequence, updates: takeUpdates()), to: .node(relay.origin, address: relay.originAddress)))
            }
        case .nack(let sequence, _):
            if var current = probe, current.sequence == sequence, current.intermediaries.contains(sender) {
                current.nacks += 1
                probe = current
            }
        case .gossip(_, let news):
            // The core only spreads catalogue news; the shell knows which versions it holds,
            // pulls newer ones from the sender, and announces what it then accepted.
            if !news.isEmpty { actions.append(.catalogueNews(news, from: sender)) }
        case .pushPull(let kind, let replyAddress, let remoteMembers):
            // Anti-entropy: merge the full state with the same precedence rules as rumours.
            // Both lists are normally in node ID order and mostly agree, so a cursor walks
            // `othersInOrder` alongside: an entry it already holds in a status the remote one
            // does not change is skipped without a dictionary lookup (at a thousand members,
            // a push-pull is a thousand such entries). Anything else goes through `apply`,
            // after which the cursor is found again, so any remote order stays correct.
            var cursor = 0
            for remote in remoteMembers {
                if cursor < othersInOrder.count, othersInOrder[cursor].nodeID == remote.nodeID {
                    if !Self.mayChange(othersInOrder[cursor].status, with: remote.status) {
                        cursor += 1
                        continue
                    }
                }
                defer { cursor = Self.position(after: remote.nodeID, in: othersInOrder) }
                let source: NodeID
                switch remote.status {
                case .alive, .left: source = remote.nodeID
                case .suspect, .dead: source = sender
                }
                actions += apply(MemberUpdate(member: remote, source: source), now: now)
            }
            switch kind {
            case .request:
                actions.append(.send(.pushPull(.response, replyAddress: localAddress, members: members), to: .node(sender, address: replyAddress)))
            case .response:
                if let current = joining, !current.completed {
                    joining?.completed = true
                    actions.append(.event(.joinCompleted(via: sender)))
                }
            }
        }
        return actions
    }

    /// The transport could not deliver to `node`. If it is the target of the current probe,
    /// there is no point waiting for the ping timeout: probe indirectly now (other members may
    /// still reach it). If we were relaying a probe to it, send the nack now.
    public mutating func onUnreachable(_ node: NodeID, now: Duration) -> [SWIMAction] {
        var actions: [SWIMAction] = []
        if lifecycle == .running, let current = probe, current.target == node, !current.acked, !current.indirectSent {
            actions += probeIndirectly(now: now)
        }
        for sequence in relays.keys.sorted() where relays[sequence]?.target == node {
            actions += onTimer(.relayTimeout(sequence: sequence), now: now)
        }
        return actions
    }

    /// Leaves gracefully: gossips `left(incarnation + 1)` about self and tells
    /// `leaveFanout` random members directly, so the others record a departure, not a failure.
    /// The instance stops probing; it still answers pings, spreading the news further.
    public mutating func leave(now: Duration) -> [SWIMAction] {
        guard lifecycle != .left else { return [] }
        lifecycle = .left
        incarnation += 1
        probe = nil
        let update = MemberUpdate(member: selfMember, source: localNode)
        gossip.enqueue(update)
        var actions: [SWIMAction] = []
        for peer in randomLiveMembers(count: settings.leaveFanout, excluding: []) {
            guard let address = others[peer]?.member.address else { continue }
            let piggyback = [update] + takeUpdates(maximum: settings.maxUpdatesPerMessage - 1).filter { $0.member.nodeID != localNode }
            actions.append(.send(.ping(sequence: takeSequence(), replyAddress: localAddress, updates: piggyback), to: .node(peer, address: address)))
        }
        return actions
    }

    /// Announces that this node holds `entry` (its own catalogue or one it just accepted):
    /// the announcement is gossiped λ·log N times like a member update, replacing an older
    /// announcement about the same catalogue owner. Receivers that hold an older version pull
    /// the catalogue from the announcer, verify it and announce it in turn, so a new version
    /// spreads infection-style in O(log N) gossip rounds (SWIM §4.1) instead of waiting for
    /// digest anti-entropy.
    public mutating func announceCatalogue(_ entry: CatalogueDigestEntry) {
        catalogueNews.enqueue(entry)
    }

    // MARK: - Gossip rounds

    /// memberlist's gossip round: the waiting rumours go to `gossipFanout` random live
    /// members, one message each; every message counts as one transmission of what it
    /// carries. Nothing is sent when nothing waits, so a quiet mesh costs only its probes.
    private mutating func gossipRound() -> [SWIMAction] {
        guard !gossip.isEmpty || !catalogueNews.isEmpty else { return [] }
        var actions: [SWIMAction] = []
        let limit = settings.retransmitLimit(memberCount: liveMemberCount)
        for peer in randomLiveMembers(count: settings.gossipFanout, excluding: []) {
            guard let address = others[peer]?.member.address else { continue }
            let updates = takeUpdates()
            let news = catalogueNews.take(maximum: settings.maxCatalogueNewsPerMessage, retransmitLimit: limit)
            guard !updates.isEmpty || !news.isEmpty else { break }
            actions.append(.send(.gossip(updates: updates, catalogueNews: news), to: .node(peer, address: address)))
        }
        return actions
    }

    // MARK: - Protocol period

    /// SWIM §4.3: each period, finish the previous probe and probe the next member in
    /// randomised round-robin order. The period is stretched by the local health multiplier
    /// (Lifeguard §IV.A).
    private mutating func protocolPeriod(now: Duration) -> [SWIMAction] {
        var actions: [SWIMAction] = []
        reapTombstones(now: now)
        if let finished = probe {
            probe = nil
            actions += finishProbe(finished, now: now)
        }
        if let target = probeOrder.next(using: &random) {
            guard let record = others[target], !record.member.status.isTerminal else {
                preconditionFailure("probe order of \(localNode) holds \(target), which is \(others[target].map { "\($0.member.status)" } ?? "unknown")")
            }
            let sequence = takeSequence()
            probe = Probe(sequence: sequence, target: target)
            actions.append(.send(.ping(sequence: sequence, replyAddress: localAddress, updates: pingUpdates(for: target)), to: .node(target, address: record.member.address)))
            actions.append(.schedule(.pingTimeout(sequence: sequence), after: currentPingTimeout))
        }
        actions.append(.schedule(.protocolPeriod, after: currentProbeInterval))
        return actions
    }

    /// End of a probe's period. Unanswered: Lifeguard §IV.A adjusts local health (+1 per
    /// missing nack, or +1 if nobody was asked), then SWIM §4.2 suspects the target rather than
    /// declaring it dead; if it is already suspected, our failed probe is one more independent
    /// confirmation (Lifeguard §IV.B).
    private mutating func finishProbe(_ finished: Probe, now: Duration) -> [SWIMAction] {
        guard !finished.acked else { return [] }
        if finished.indirectSent, !finished.intermediaries.isEmpty {
            health.apply(delta: max(0, finished.intermediaries.count - finished.nacks))
        } else {
            health.apply(delta: 1)
        }
        guard let record = others[finished.target], !record.member.status.isTerminal else { return [] }
        var suspect = record.member
        suspect.status = .suspect(incarnation: record.member.status.incarnation)
        return apply(MemberUpdate(member: suspect, source: localNode), now: now)
    }

    /// SWIM §3.1: the direct ping timed out; ask k random alive members to ping the target.
    private mutating func probeIndirectly(now: Duration) -> [SWIMAction] {
        guard var current = probe, let targetAddress = others[current.target]?.member.address else { return [] }
        let intermediaries = randomLiveMembers(count: settings.indirectProbeCount, excluding: [current.target], aliveOnly: true)
        current.indirectSent = true
        current.intermediaries = intermediaries
        probe = current
        var actions: [SWIMAction] = []
        for intermediary in intermediaries {
            guard let address = others[intermediary]?.member.address else { continue }
            let message = SWIMMessage.pingRequest(
                sequence: current.sequence, target: current.target, targetAddress: targetAddress,
                replyAddress: localAddress, updates: takeUpdates()
            )
            actions.append(.send(message, to: .node(intermediary, address: address)))
        }
        return actions
    }

    // MARK: - Rumours

    /// Applies one rumour with the ``MemberStatus/supersedes(_:)`` precedence (SWIM §4.2) and
    /// re-gossips it if it changed our view (SWIM §4.1, infection-style dissemination).
    private mutating func apply(_ update: MemberUpdate, now: Duration) -> [SWIMAction] {
        let node = update.member.nodeID
        if node == localNode {
            return applyAboutSelf(update)
        }
        // Most rumours are old news: settle those on the status alone, before copying the record.
        if let current = others[node]?.member.status, !Self.mayChange(current, with: update.member.status) {
            return []
        }
        guard var record = others[node] else {
            // Only an alive rumour introduces a member; a suspicion or death of a member we
            // never knew carries nothing to act on (memberlist does the same).
            guard case .alive = update.member.status else { return [] }
            others[node] = MemberRecord(member: update.member)
            othersInOrder.insert(update.member, at: othersInOrder.sortedInsertionIndex(of: node, key: \.nodeID))
            probeOrder.insert(node, using: &random)
            gossip.enqueue(update)
            return [.event(.joined(update.member))]
        }
        let current = record.member.status
        let incoming = update.member.status
        guard incoming.supersedes(current) else {
            return confirmSuspicion(update, record: record, now: now)
        }
        record.member.status = incoming
        var actions: [SWIMAction] = []
        switch incoming {
        case .alive:
            // A member that rejoined may listen elsewhere now.
            record.member.address = update.member.address
            record.suspicion = nil
            record.terminalSince = nil
            if current.isTerminal {
                probeOrder.insert(node, using: &random)
                actions.append(.event(.joined(record.member)))
            } else if case .suspect = current {
                actions.append(.event(.refuted(record.member)))
            }
        case .suspect(let suspectedIncarnation):
            if current.isTerminal {
                preconditionFailure("suspect(\(suspectedIncarnation)) of \(node) superseded the tombstone \(current); MemberStatus precedence is broken")
            }
            let memberCount = liveMemberCount
            let suspicion = Suspicion(
                incarnation: suspectedIncarnation, raisedBy: update.source, startedAt: now,
                minTimeout: settings.suspicionTimeoutMin(memberCount: memberCount),
                maxTimeout: settings.suspicionTimeoutMax(memberCount: memberCount),
                expectedConfirmations: settings.expectedSuspicionConfirmations(memberCount: memberCount)
            )
            record.suspicion = suspicion
            actions.append(.event(.suspected(record.member)))
            actions.append(.schedule(.suspicionTimeout(node, incarnation: suspectedIncarnation), after: suspicion.timeout))
        case .dead, .left:
            record.suspicion = nil
            if !current.isTerminal {
                record.terminalSince = now
                tombstoneOrder.append((node, now))
                probeOrder.remove(node)
                if probe?.target == node { probe = nil }
            }
            if case .left = incoming {
                if case .left = current {} else { actions.append(.event(.left(record.member))) }
            } else if !current.isTerminal {
                actions.append(.event(.died(record.member)))
            }
        }
        others[node] = record
        othersInOrder[othersInOrder.sortedInsertionIndex(of: node, key: \.nodeID)] = record.member
        gossip.enqueue(MemberUpdate(member: record.member, source: update.source))
        return actions
    }

    /// Lifeguard §IV.B: a suspicion of the same incarnation from a node that has not yet
    /// suspected this member is an independent confirmation; it shortens the timeout and is
    /// gossiped on so that others can count it too.
    private mutating func confirmSuspicion(_ update: MemberUpdate, record: MemberRecord, now: Duration) -> [SWIMAction] {
        guard case .suspect(let incoming) = update.member.status, case .suspect(incoming) = record.member.status,
            var suspicion = record.suspicion, suspicion.confirm(from: update.source)
        else { return [] }
        let node = update.member.nodeID
        others[node]?.suspicion = suspicion
        gossip.enqueue(update)
        return [.schedule(.suspicionTimeout(node, incarnation: incoming), after: max(.zero, suspicion.deadline - now))]
    }

    /// SWIM §4.2: a node that hears it is suspected (or declared dead) refutes by raising its
    /// incarnation above the rumour's and gossiping alive. Needing to do so is a sign others
    /// could not hear from us in time, so local health worsens (Lifeguard §IV.A). A newer
    /// alive rumour about ourselves (we restarted and lost our incarnation) is overtaken too.
    private mutating func applyAboutSelf(_ update: MemberUpdate) -> [SWIMAction] {
        guard lifecycle != .left else { return [] }
        let rumour = update.member.status
        switch rumour {
        case .alive(let rumoured):
            guard rumoured > incarnation else { return [] }
        case .suspect(let rumoured), .dead(let rumoured), .left(let rumoured):
            guard rumoured >= incarnation else { return [] }
            health.apply(delta: 1)
        }
        incarnation = rumour.incarnation + 1
        gossip.enqueue(MemberUpdate(member: selfMember, source: localNode))
        return []
    }

    // MARK: - Helpers

    /// Piggyback for a ping to `target`. Lifeguard §IV.C (buddy system): if we suspect the
    /// target, the suspicion goes first, so the target learns of it at once and refutes.
    private mutating func pingUpdates(for target: NodeID) -> [MemberUpdate] {
        guard let record = others[target], case .suspect = record.member.status else {
            return takeUpdates()
        }
        let buddy = MemberUpdate(member: record.member, source: localNode)
        return [buddy] + takeUpdates(maximum: settings.maxUpdatesPerMessage - 1).filter { $0.member.nodeID != target }
    }

    private mutating func takeUpdates(maximum: Int? = nil) -> [MemberUpdate] {
        gossip.take(maximum: maximum ?? settings.maxUpdatesPerMessage, retransmitLimit: settings.retransmitLimit(memberCount: liveMemberCount))
    }

    private mutating func takeSequence() -> UInt64 {
        defer { nextSequence &+= 1 }
        return nextSequence
    }

    /// Up to `count` distinct random members other than self, drawn from the probe order (a
    /// deterministic list, unlike a dictionary's iteration order).
    private mutating func randomLiveMembers(count: Int, excluding excluded: Set<NodeID>, aliveOnly: Bool = false) -> [NodeID] {
        guard count > 0 else { return [] }
        let order = probeOrder.order
        if count * 4 <= order.count {
            // Few picks from many members: draw positions until `count` distinct suitable
            // ones, without filtering the whole list (a gossip round at a thousand members
            // runs five times a second). Many unsuitable draws in a row fall back to the filter.
            var picked: [Int] = []
            picked.reserveCapacity(count)
            var attempts = 0
            while picked.count < count, attempts < count * 8 {
                attempts += 1
                let position = Int.random(in: 0..<order.count, using: &random)
                guard !picked.contains(position), !excluded.contains(order[position]) else { continue }
                guard !aliveOnly || isAlive(order[position]) else { continue }
                picked.append(position)
            }
            if picked.count == count { return picked.map { order[$0] } }
        }
        var candidates = order.filter { node in
            !excluded.contains(node) && (!aliveOnly || isAlive(node))
        }
        // A partial Fisher-Yates shuffle: only the first `count` positions are needed.
        let picks = min(count, candidates.count)
        for position in 0..<picks {
            let other = Int.random(in: position..<candidates.count, using: &random)
            candidates.swapAt(position, other)
        }
        return Array(candidates.prefix(picks))
    }

    /// A member held dead to try once more this push-pull round, or nil (Serf's reconnect of
    /// failed members): no rumour crosses a cut, so once both sides of a partition that
    /// outlasted the suspicion timeout hold each other dead, nobody would contact the other
    /// side again and the mesh would stay split after the network heals. A member held dead
    /// that is in fact alive answers with its view, in which we are the dead one, and both
    /// refute (SWIM §4.2, refutation by a higher incarnation). Tried with probability
    /// dead / (dead + live others), so members that crashed for good cost little; only
    /// rounds with a dead member draw from the random source.
    private mutating func reconnectCandidate() -> NodeID? {
        var dead: [NodeID] = []
        for (node, since) in tombstoneOrder[tombstoneHead...] {
            guard let record = others[node], record.terminalSince == since, case .dead = record.member.status else { continue }
            dead.append(node)
        }
        guard !dead.isEmpty else { return nil }
        let chance = Double(dead.count) / Double(dead.count + probeOrder.order.count)
        guard Double.random(in: 0..<1, using: &random) < chance else { return nil }
        return dead[Int.random(in: 0..<dead.count, using: &random)]
    }

    /// Whether a rumour of `incoming` about a member held as `current` can do anything:
    /// supersede it, or (both suspicions) confirm it (Lifeguard §IV.B). When it cannot,
    /// `apply` changes nothing and returns no action.
    private static func mayChange(_ current: MemberStatus, with incoming: MemberStatus) -> Bool {
        if incoming.supersedes(current) { return true }
        if case .suspect = incoming, case .suspect = current { return true }
        return false
    }

    /// The position after `node` in the sorted `members` (its insertion point if absent).
    private static func position(after node: NodeID, in members: [Member]) -> Int {
        let point = members.sortedInsertionIndex(of: node, key: \.nodeID)
        return point < members.count && members[point].nodeID == node ? point + 1 : point
    }

    private func isAlive(_ node: NodeID) -> Bool {
        if case .alive = others[node]?.member.status { true } else { false }
    }

    private func joinRequests(seeds: [String]) -> [SWIMAction] {
        let state = members
        return seeds.map { .send(.pushPull(.request, replyAddress: localAddress, members: state), to: .address($0)) }
    }

    /// Drops tombstones older than `tombstoneRetention`; until then they block stale rumours.
    private mutating func reapTombstones(now: Duration) {
        while tombstoneHead < tombstoneOrder.count, now - tombstoneOrder[tombstoneHead].since >= settings.tombstoneRetention {
            let (node, since) = tombstoneOrder[tombstoneHead]
            tombstoneHead += 1
            if others[node]?.terminalSince == since {
                others[node] = nil
                othersInOrder.remove(at: othersInOrder.sortedInsertionIndex(of: node, key: \.nodeID))
            }
        }
        if tombstoneHead > 64, tombstoneHead * 2 > tombstoneOrder.count {
            tombstoneOrder.removeFirst(tombstoneHead)
            tombstoneHead = 0
        }
    }
}
