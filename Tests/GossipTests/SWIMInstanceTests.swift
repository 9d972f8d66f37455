@testable import Gossip
import MeshCore
import Testing

/// Pure tests of the membership core: feed inputs, match the actions (docs/ARCHITECTURE.md, "Code structure: pure cores and thin shells").
@Suite struct SWIMInstanceTests {
    let peers = ["b", "c", "d", "e", "f"]

    // MARK: Probing (SWIM §3.1, §4.3)

    @Test func roundRobinProbesEveryMemberOncePerRound() {
        var instance = makeInstance(peers: peers)
        var now = Duration.zero
        for round in 0..<4 {
            var probed: [NodeID] = []
            for _ in peers {
                now += .seconds(1)
                let actions = instance.onTimer(.protocolPeriod, now: now)
                let ping = try! #require(actions.pings.first)
                probed.append(ping.target)
                _ = instance.onMessage(.ack(sequence: ping.sequence, updates: []), from: ping.target, now: now)
            }
            #expect(Set(probed) == Set(peers.map(id)), "round \(round) probed \(probed)")
            #expect(probed.count == peers.count)
        }
    }

    @Test func newMembersJoinTheProbeOrder() {
        var instance = makeInstance(peers: ["b"])
        _ = instance.onMessage(.ack(sequence: 999, updates: [update("g", .alive(incarnation: 0), from: "g")]), from: id("b"), now: .zero)
        var probed: Set<NodeID> = []
        for tick in 1...4 {
            let actions = instance.onTimer(.protocolPeriod, now: .seconds(tick))
            probed.formUnion(actions.pings.map(\.target))
        }
        #expect(probed == [id("b"), id("g")])
    }

    @Test func pingTimeoutAsksKMembersToProbeIndirectly() {
        var instance = makeInstance(peers: peers)
        let actions = instance.onTimer(.protocolPeriod, now: .seconds(1))
        let ping = try! #require(actions.pings.first)
        #expect(actions.scheduled(.pingTimeout(sequence: ping.sequence)) == .milliseconds(500))
        #expect(actions.scheduled(.protocolPeriod) == .seconds(1))

        let indirect = instance.onTimer(.pingTimeout(sequence: ping.sequence), now: .milliseconds(1500)).pingRequests
        #expect(indirect.count == 3)
        #expect(Set(indirect.map(\.via)).count == 3)
        #expect(indirect.allSatisfy { $0.target == ping.target && $0.via != ping.target && $0.sequence == ping.sequence })

        // A relayed ack counts as an answer: no suspicion at the end of the period.
        _ = instance.onMessage(.ack(sequence: ping.sequence, updates: []), from: indirect[0].via, now: .milliseconds(1700))
        let next = instance.onTimer(.protocolPeriod, now: .seconds(2))
        #expect(next.events.isEmpty)
        #expect(instance.member(ping.target)?.status == .alive(incarnation: 0))
    }

    @Test func staleTimersAreIgnored() {
        var instance = makeInstance(peers: peers)
        let ping = try! #require(instance.onTimer(.protocolPeriod, now: .seconds(1)).pings.first)
        _ = instance.onMessage(.ack(sequence: ping.sequence, updates: []), from: ping.target, now: .milliseconds(1100))
        #expect(instance.onTimer(.pingTimeout(sequence: ping.sequence), now: .milliseconds(1500)).isEmpty)
        #expect(instance.onTimer(.pingTimeout(sequence: 12345), now: .milliseconds(1500)).isEmpty)
        #expect(instance.onTimer(.relayTimeout(sequence: 77), now: .milliseconds(1500)).isEmpty)
    }

    @Test func intermediaryRelaysTheAckOrSendsANack() {
        var instance = makeInstance(peers: peers)
        let request = SWIMMessage.pingRequest(sequence: 42, target: id("c"), targetAddress: addressOf("c"), replyAddress: addressOf("b"), updates: [])
        let actions = instance.onMessage(request, from: id("b"), now: .zero)
        let ping = try! #require(actions.pings.first)
        #expect(ping.target == id("c"))
        #expect(actions.scheduled(.relayTimeout(sequence: ping.sequence)) == .milliseconds(400))

        let relayed = instance.onMessage(.ack(sequence: ping.sequence, updates: []), from: id("c"), now: .milliseconds(10)).sent
        #expect(relayed.count == 1)
        guard case .ack(42, _) = relayed[0].message else { Issue.record("expected ack 42, got \(relayed)"); return }
        #expect(relayed[0].destination == .node(id("b"), address: addressOf("b")))

        // A second request whose target stays silent produces a nack to the origin.
        let second = instance.onMessage(.pingRequest(sequence: 43, target: id("d"), targetAddress: addressOf("d"), replyAddress: addressOf("b"), updates: []), from: id("b"), now: .zero)
        let secondPing = try! #require(second.pings.first)
        let nack = instance.onTimer(.relayTimeout(sequence: secondPing.sequence), now: .milliseconds(400)).sent
        guard case .nack(43, _)? = nack.first?.message else { Issue.record("expected nack 43, got \(nack)"); return }
    }

    // MARK: Suspicion (SWIM §4.2, Lifeguard §IV.B)

    @Test func unansweredProbeSuspectsThenTimeoutDeclaresDead() {
        var instance = makeInstance(peers: ["b"])
        let ping = try! #require(instance.onTimer(.protocolPeriod, now: .seconds(1)).pings.first)
        _ = instance.onTimer(.pingTimeout(sequence: ping.sequence), now: .milliseconds(1500))
        let end = instance.onTimer(.protocolPeriod, now: .seconds(2))
        #expect(end.events == [.suspected(Member(nodeID: id("b"), address: addressOf("b"), status: .suspect(incarnation: 0)))])
        // N = 2 is too small for confirmations: the minimum timeout, 4 · 1 · 1 s, applies.
        let timeout = try! #require(end.scheduled(.suspicionTimeout(id("b"), incarnation: 0)))
        #expect(timeout == .seconds(4))

        #expect(instance.onTimer(.suspicionTimeout(id("b"), incarnation: 0), now: .seconds(5)).isEmpty, "fired early: stale")
        let dead = instance.onTimer(.suspicionTimeout(id("b"), incarnation: 0), now: .seconds(6))
        #expect(dead.events == [.died(Member(nodeID: id("b"), address: addressOf("b"), status: .dead(incarnation: 0)))])
        #expect(instance.liveMemberCount == 1)
    }

    @Test func suspectedNodeRefutesWithAHigherIncarnation() {
        var instance = makeInstance(peers: ["b"])
        let actions = instance.onMessage(.ping(sequence: 7, replyAddress: addressOf("b"), updates: [update("a", .suspect(incarnation: 0), from: "b")]), from: id("b"), now: .zero)
        #expect(instance.incarnation == 1)
        #expect(instance.localHealth == 1, "refuting is a sign of poor local health (Lifeguard §IV.A)")
        let ack = try! #require(actions.sent.first)
        guard case .ack(7, let updates) = ack.message else { Issue.record("expected ack, got \(ack)"); return }
        #expect(updates.contains(update("a", .alive(incarnation: 1), from: "a")))
        // Stale suspicion of an older incarnation is ignored.
        _ = instance.onMessage(.ack(sequence: 1, updates: [update("a", .suspect(incarnation: 0), from: "c")]), from: id("b"), now: .zero)
        #expect(instance.incarnation == 1)
    }

    @Test func othersAcceptTheRefutation() {
        var instance = makeInstance(peers: ["b", "c"])
        _ = instance.onMessage(.ack(sequence: 1, updates: [update("b", .suspect(incarnation: 0), from: "c")]), from: id("c"), now: .zero)
        #expect(instance.member(id("b"))?.status == .suspect(incarnation: 0))
        let refuted = instance.onMessage(.ack(sequence: 1, updates: [update("b", .alive(incarnation: 1), from: "b")]), from: id("c"), now: .seconds(1))
        #expect(refuted.events == [.refuted(aliveMember("b", 1))])
        #expect(instance.onTimer(.suspicionTimeout(id("b"), incarnation: 0), now: .seconds(100)).isEmpty)
    }

    @Test func suspicionTimeoutShrinksWithIndependentConfirmations() {
        let names = (1...9).map { "n\($0)" }
        var instance = makeInstance(peers: names)
        let settings = instance.settings
        // N = 10: min = 4 · log10(10) · 1 s = 4 s, max = 6 · min = 24 s, k = 4 - 2 = 2.
        #expect(settings.suspicionTimeoutMin(memberCount: 10) == .seconds(4))
        #expect(settings.suspicionTimeoutMax(memberCount: 10) == .seconds(24))
        let first = instance.onMessage(.ack(sequence: 1, updates: [update("n1", .suspect(incarnation: 0), from: "n2")]), from: id("n2"), now: .zero)
        #expect(first.scheduled(.suspicionTimeout(id("n1"), incarnation: 0)) == .seconds(24))
        // The node that raised the suspicion cannot confirm it.
        #expect(instance.onMessage(.ack(sequence: 1, updates: [update("n1", .suspect(incarnation: 0), from: "n2")]), from: id("n3"), now: .seconds(1)).isEmpty)
        let second = instance.onMessage(.ack(sequence: 1, updates: [update("n1", .suspect(incarnation: 0), from: "n3")]), from: id("n3"), now: .seconds(1))
        let afterOne = try! #require(second.scheduled(.suspicionTimeout(id("n1"), incarnation: 0)))
        // 24 - 20 · ln 2 / ln 3 ≈ 11.38 s after the start, 10.38 s from now.
        #expect(abs((afterOne - .milliseconds(10_381)) / .milliseconds(1)) < 2)
        let third = instance.onMessage(.ack(sequence: 1, updates: [update("n1", .suspect(incarnation: 0), from: "n4")]), from: id("n4"), now: .seconds(2))
        #expect(third.scheduled(.suspicionTimeout(id("n1"), incarnation: 0)) == .seconds(2), "k confirmations: the minimum, 4 s after the start")
        #expect(instance.onTimer(.suspicionTimeout(id("n1"), incarnation: 0), now: .seconds(4)).events.count == 1)
    }

    @Test func suspicionTimeoutScalesWithLogN() {
        let settings = SWIMSettings()
        #expect(settings.suspicionTimeoutMin(memberCount: 1) == .seconds(4))
        #expect(settings.suspicionTimeoutMin(memberCount: 10) == .seconds(4))
        #expect(settings.suspicionTimeoutMin(memberCount: 100) == .seconds(8))
        #expect(settings.suspicionTimeoutMin(memberCount: 1000) == .seconds(12))
        #expect(settings.suspicionTimeoutMax(memberCount: 1000) == .seconds(72))
        #expect(settings.expectedSuspicionConfirmations(memberCount: 3) == 0)
        #expect(settings.expectedSuspicionConfirmations(memberCount: 4) == 2)
    }

    // MARK: Lifeguard local health (§IV.A) and buddy system (§IV.C)

    @Test func localHealthStretchesTimingOnMissedAcksAndRecoversOnSuccess() {
        var instance = makeInstance(peers: ["b"])
        var now = Duration.zero
        // Three failed probes with nobody to ask indirectly: +1 each.
        for _ in 0..<3 {
            now += instance.currentProbeInterval
            _ = instance.onTimer(.protocolPeriod, now: now)
        }
        now += instance.currentProbeInterval
        let stretched = instance.onTimer(.protocolPeriod, now: now)
        #expect(instance.localHealth == 3)
        #expect(stretched.scheduled(.protocolPeriod) == .seconds(4))
        let ping = try! #require(stretched.pings.first)
        #expect(stretched.scheduled(.pingTimeout(sequence: ping.sequence)) == .seconds(2))
        _ = instance.onMessage(.ack(sequence: ping.sequence, updates: []), from: ping.target, now: now)
        #expect(instance.localHealth == 2)
    }

    @Test func localHealthIsCapped() {
        var settings = SWIMSettings()
        settings.awarenessMax = 3
        var instance = makeInstance(peers: ["b"], settings: settings)
        for tick in 1...10 { _ = instance.onTimer(.protocolPeriod, now: .seconds(tick * 10)) }
        #expect(instance.localHealth == 2)
        #expect(instance.currentProbeInterval == .seconds(3))
    }

    @Test func missingNacksBlameTheLocalNodeButReceivedNacksDoNot() {
        for nacks in [3, 1] {
            var instance = makeInstance(peers: peers)
            let ping = try! #require(instance.onTimer(.protocolPeriod, now: .seconds(1)).pings.first)
            let requests = instance.onTimer(.pingTimeout(sequence: ping.sequence), now: .milliseconds(1500)).pingRequests
            for request in requests.prefix(nacks) {
                _ = instance.onMessage(.nack(sequence: ping.sequence, updates: []), from: request.via, now: .milliseconds(1900))
            }
            _ = instance.onTimer(.protocolPeriod, now: .seconds(2))
            #expect(instance.localHealth == 3 - nacks, "\(nacks) of 3 nacks")
            #expect(instance.member(ping.target)?.status == .suspect(incarnation: 0))
        }
    }

    @Test func buddySystemTellsASuspectedMemberFirst() {
        var instance = makeInstance(peers: ["b", "c"])
        _ = instance.onMessage(.ack(sequence: 1, updates: [update("b", .suspect(incarnation: 0), from: "c")]), from: id("c"), now: .zero)
        var buddyPing: [MemberUpdate]?
        for tick in 1...2 {
            for ping in instance.onTimer(.protocolPeriod, now: .seconds(tick)).pings where ping.target == id("b") {
                buddyPing = ping.updates
            }
        }
        let updates = try! #require(buddyPing)
        #expect(updates.first?.member == Member(nodeID: id("b"), address: addressOf("b"), status: .suspect(incarnation: 0)))

        // And b, receiving that ping, refutes in its ack.
        var b = SWIMInstance(localNode: id("b"), localAddress: addressOf("b"), settings: SWIMSettings(), seed: 2, now: .zero)
        _ = b.join(seeds: [], now: .zero)
        let ack = b.onMessage(.ping(sequence: 5, replyAddress: addressOf("a"), updates: updates), from: id("a"), now: .zero).sent
        #expect(ack.first.map { $0.message.updates.contains(update("b", .alive(incarnation: 1), from: "b")) } == true)
    }

    @Test func unreachableTargetIsProbedIndirectlyAtOnce() {
        var instance = makeInstance(peers: peers)
        let ping = try! #require(instance.onTimer(.protocolPeriod, now: .seconds(1)).pings.first)
        #expect(instance.onUnreachable(ping.target, now: .milliseconds(1010)).pingRequests.count == 3)
        #expect(instance.onTimer(.pingTimeout(sequence: ping.sequence), now: .milliseconds(1500)).isEmpty)
    }

    // MARK: Dissemination (SWIM §4.1)

    @Test func updatesArePiggybackedAboutLambdaLogNTimes() {
        var instance = makeInstance(peers: peers)
        // Drain the rumours created while populating the instance.
        for sequence in 0..<100 { _ = instance.onMessage(.ping(sequence: UInt64(sequence), replyAddress: addressOf("b"), updates: []), from: id("b"), now: .zero) }
        #expect(instance.pendingUpdateCount == 0)
        _ = instance.onMessage(.ack(sequence: 0, updates: [update("z", .alive(incarnation: 0), from: "z")]), from: id("b"), now: .zero)
        var carried = 0
        for sequence in 0..<100 {
            let ack = instance.onMessage(.ping(sequence: UInt64(sequence), replyAddress: addressOf("b"), updates: []), from: id("b"), now: .zero).sent[0]
            carried += ack.message.updates.filter { $0.member.nodeID == id("z") }.count
        }
        // N = 7: λ · ⌈log10(8)⌉ = 4.
        #expect(instance.settings.retransmitLimit(memberCount: 7) == 4)
        #expect(carried == 4)
        #expect(SWIMSettings().retransmitLimit(memberCount: 50) == 8)
        #expect(SWIMSettings().retransmitLimit(memberCount: 1000) == 16)
    }

    @Test func gossipRoundsSendWaitingRumoursToFanoutMembersAndStayQuietOtherwise() {
        var instance = makeInstance(peers: peers)
        // The rumours from populating the instance go out in gossip rounds until spent.
        var rounds = 0
        while instance.pendingUpdateCount > 0 {
            let actions = instance.onTimer(.gossipRound, now: .milliseconds(200 * rounds))
            #expect(actions.scheduled(.gossipRound) == instance.settings.gossipInterval)
            let targets = actions.sent.map(\.destination)
            // Three distinct members, fewer only once the queue runs dry within the round.
            #expect(rounds > 0 || targets.count == 3)
            #expect((1...3).contains(targets.count))
            #expect(Set(targets).count == targets.count)
            #expect(actions.sent.allSatisfy { if case .gossip = $0.message { true } else { false } })
            rounds += 1
            #expect(rounds < 100)
        }
        let quiet = instance.onTimer(.gossipRound, now: .seconds(100))
        #expect(quiet.sent.isEmpty)
        #expect(quiet.scheduled(.gossipRound) != nil)
    }

    @Test func catalogueNewsIsGossipedLambdaLogNTimesAndReportedToTheShell() {
        var instance = makeInstance(peers: peers)
        while instance.pendingUpdateCount > 0 { _ = instance.onTimer(.gossipRound, now: .zero) }
        instance.announceCatalogue(CatalogueDigestEntry(nodeID: id("b"), version: 1))
        // A newer announcement about the same owner replaces the older one.
        instance.announceCatalogue(CatalogueDigestEntry(nodeID: id("b"), version: 2))
        #expect(instance.pendingCatalogueNewsCount == 1)
        var carried: [CatalogueDigestEntry] = []
        for round in 0..<20 {
            carried += instance.onTimer(.gossipRound, now: .milliseconds(200 * round)).sent.flatMap(\.message.catalogueNews)
        }
        #expect(carried.count == instance.settings.retransmitLimit(memberCount: 7))
        #expect(Set(carried) == [CatalogueDigestEntry(nodeID: id("b"), version: 2)])

        let news = [CatalogueDigestEntry(nodeID: id("c"), version: 9)]
        let actions = instance.onMessage(.gossip(updates: [update("z", .alive(incarnation: 0), from: "z")], catalogueNews: news), from: id("d"), now: .seconds(5))
        #expect(actions.contains(.catalogueNews(news, from: id("d"))))
        #expect(actions.events == [.joined(aliveMember("z"))])
        // Hearing news does not re-announce it: only the shell, once it holds the version, does.
        #expect(instance.pendingCatalogueNewsCount == 0)
    }

    @Test func messagesCarryAtMostMaxUpdates() {
        var settings = SWIMSettings()
        settings.maxUpdatesPerMessage = 3
        var instance = makeInstance(peers: (1...20).map { "n\($0)" }, settings: settings)
        let ack = instance.onMessage(.ping(sequence: 1, replyAddress: addressOf("n1"), updates: []), from: id("n1"), now: .zero).sent[0]
        #expect(ack.message.updates.count == 3)
    }

    @Test func gossipQueueIsBoundedAndPrefersFreshNews() {
        var queue = GossipQueue<MemberUpdate>(capacity: 4)
        for index in 1...10 { queue.enqueue(update("n\(index)", .alive(incarnation: 0), from: "n\(index)")) }
        #expect(queue.count == 4)
        let taken = queue.take(maximum: 2, retransmitLimit: 3)
        #expect(taken.map(\.member.nodeID) == [id("n10"), id("n9")])
        // A newer rumour about the same member replaces the old one.
        queue.enqueue(update("n10", .suspect(incarnation: 0), from: "x"))
        #expect(queue.count == 4)
        #expect(queue.transmits(of: id("n10")) == 0)
        // Full: the most transmitted entry (n9) is evicted for a new member.
        queue.enqueue(update("new", .alive(incarnation: 0), from: "new"))
        #expect(queue.count == 4)
        #expect(queue.transmits(of: id("n9")) == nil)
    }

    // MARK: Anti-entropy, tombstones

    @Test func pushPullMergesWithStatusPrecedence() {
        var instance = makeInstance(peers: ["b", "c", "d"])
        let tick = instance.onTimer(.pushPull, now: .seconds(30))
        #expect(tick.scheduled(.pushPull) == .seconds(30))
        let request = try! #require(tick.sent.first)
        guard case .pushPull(.request, _, let sentState) = request.message else { Issue.record("expected a push-pull request, got \(request)"); return }
        #expect(sentState.count == 4)

        let remote = [
            Member(nodeID: id("b"), address: addressOf("b"), status: .suspect(incarnation: 0)),
            Member(nodeID: id("c"), address: addressOf("c"), status: .dead(incarnation: 0)),
            aliveMember("d", 0),
            aliveMember("e", 2),
            Member(nodeID: id("a"), address: addressOf("a"), status: .alive(incarnation: 0)),
        ]
        let actions = instance.onMessage(.pushPull(.request, replyAddress: addressOf("c"), members: remote), from: id("c"), now: .seconds(31))
        #expect(instance.member(id("b"))?.status == .suspect(incarnation: 0))
        #expect(instance.member(id("c"))?.status == .dead(incarnation: 0))
        #expect(instance.member(id("d"))?.status == .alive(incarnation: 0))
        #expect(instance.member(id("e"))?.status == .alive(incarnation: 2))
        #expect(Set(actions.events) == [.suspected(Member(nodeID: id("b"), address: addressOf("b"), status: .suspect(incarnation: 0))), .died(Member(nodeID: id("c"), address: addressOf("c"), status: .dead(incarnation: 0))), .joined(aliveMember("e", 2))])
        let response = try! #require(actions.sent.first)
        guard case .pushPull(.response, _, let state) = response.message else { Issue.record("expected a response, got \(response)"); return }
        #expect(state == instance.members)
        #expect(response.destination == .node(id("c"), address: addressOf("c")))
    }

    @Test func tombstonesBlockStaleGossipButAHigherIncarnationRejoins() {
        var instance = makeInstance(peers: ["b", "c"])
        _ = instance.onMessage(.ack(sequence: 1, updates: [update("b", .dead(incarnation: 3), from: "c")]), from: id("c"), now: .zero)
        #expect(instance.member(id("b"))?.status == .dead(incarnation: 3))
        for stale in [MemberStatus.alive(incarnation: 3), .suspect(incarnation: 5), .alive(incarnation: 0)] {
            #expect(instance.onMessage(.ack(sequence: 1, updates: [update("b", stale, from: "c")]), from: id("c"), now: .seconds(1)).events.isEmpty)
        }
        #expect(instance.member(id("b"))?.status == .dead(incarnation: 3))
        let back = instance.onMessage(.ack(sequence: 1, updates: [update("b", .alive(incarnation: 4), from: "b")]), from: id("b"), now: .seconds(2))
        #expect(back.events == [.joined(aliveMember("b", 4))])

        // Tombstones are reaped after the retention.
        _ = instance.onMessage(.ack(sequence: 1, updates: [update("c", .dead(incarnation: 0), from: "b")]), from: id("b"), now: .seconds(3))
        _ = instance.onTimer(.protocolPeriod, now: .seconds(3) + instance.settings.tombstoneRetention - .seconds(1))
        #expect(instance.member(id("c")) != nil)
        _ = instance.onTimer(.protocolPeriod, now: .seconds(3) + instance.settings.tombstoneRetention)
        #expect(instance.member(id("c")) == nil)
    }

    // MARK: Join and leave

    @Test func joinRetriesWithExponentialBackoffUntilASeedAnswers() {
        var instance = SWIMInstance(localNode: id("a"), localAddress: addressOf("a"), settings: SWIMSettings(), seed: 1, now: .zero)
        let seeds = ["s1.test:1", "s2.test:2", addressOf("a")]
        let first = instance.join(seeds: seeds, now: .zero)
        #expect(first.sent.map(\.destination) == [.address("s1.test:1"), .address("s2.test:2")], "never dials itself")
        #expect(first.scheduled(.joinRetry(attempt: 1)) == .seconds(1))
        #expect(first.scheduled(.protocolPeriod) == .seconds(1))
        #expect(instance.members == [aliveMember("a")], "a node alone is a member list of one")

        var now = Duration.zero
        var delays: [Duration] = []
        for attempt in 1...8 {
            now += .seconds(1)
            let retry = instance.onTimer(.joinRetry(attempt: attempt), now: now)
            #expect(retry.sent.count == 2)
            delays.append(try! #require(retry.scheduled(.joinRetry(attempt: attempt + 1))))
        }
        #expect(delays.map { $0 / .seconds(1) } == [2, 4, 8, 16, 32, 60, 60, 60])
        #expect(instance.onTimer(.joinRetry(attempt: 3), now: now).isEmpty, "stale retry")

        let joined = instance.onMessage(.pushPull(.response, replyAddress: "s1.test:1", members: [aliveMember("s1"), aliveMember("b")]), from: id("s1"), now: now)
        #expect(joined.events.contains(.joinCompleted(via: id("s1"))))
        #expect(instance.liveMemberCount == 3)
        #expect(instance.onTimer(.joinRetry(attempt: 9), now: now + .seconds(60)).isEmpty)
    }

    @Test func leaveGossipsLeftNotDead() {
        var instance = makeInstance(peers: peers)
        let actions = instance.leave(now: .seconds(1))
        #expect(instance.incarnation == 1)
        #expect(instance.member(id("a"))?.status == .left(incarnation: 1))
        let pings = actions.pings
        #expect(pings.count == 3)
        #expect(pings.allSatisfy { $0.updates.first == update("a", .left(incarnation: 1), from: "a") })
        #expect(instance.onTimer(.protocolPeriod, now: .seconds(2)).isEmpty, "a left node stops probing")

        var b = makeInstance(peers: [], seed: 3)
        _ = b.onMessage(.pushPull(.response, replyAddress: addressOf("c"), members: [aliveMember("c")]), from: id("c"), now: .zero)
        let seen = b.onMessage(.ping(sequence: 1, replyAddress: addressOf("c"), updates: [update("c", .left(incarnation: 1), from: "c")]), from: id("c"), now: .zero)
        #expect(seen.events == [.left(Member(nodeID: id("c"), address: addressOf("c"), status: .left(incarnation: 1)))])
        #expect(b.member(id("c"))?.status == .left(incarnation: 1))
    }

    @Test func restartedNodeOvertakesItsOldIncarnation() {
        var instance = makeInstance(peers: ["b"])
        _ = instance.onMessage(.pushPull(.response, replyAddress: addressOf("b"), members: [Member(nodeID: id("a"), address: addressOf("a"), status: .dead(incarnation: 5))]), from: id("b"), now: .zero)
        #expect(instance.incarnation == 6)
    }
}
