import Foundation
import Gossip
import MeshCore
import Testing

/// The dissemination rules as the core states them, one input at a time: what a node sends
/// and pulls is read off the returned actions, with time as an input.
@Suite struct CatalogueDisseminationTests {
    let fixtures: CatalogueFixtures
    let now = CatalogueFixtures.now
    let a: NodeID
    let b: NodeID
    let c: NodeID

    init() throws {
        fixtures = try CatalogueFixtures()
        a = try NodeID("hospital-a")
        b = try NodeID("hospital-b")
        c = try NodeID("hospital-c")
    }

    func signedB(version: UInt64 = 1) throws -> SignedCatalogue {
        try CatalogueSigner(credential: fixtures.nodeB).sign(try fixtures.catalogue(node: "hospital-b", version: version))
    }

    func node(seed: UInt64 = 1) -> CatalogueDissemination {
        CatalogueDissemination(verifier: fixtures.verifier(), seed: seed)
    }

    static func pulls(_ actions: [CatalogueDissemination.Action]) -> [CataloguePulls.Request] {
        actions.compactMap { if case .pull(let request) = $0 { request } else { nil } }
    }

    static func digests(_ actions: [CatalogueDissemination.Action]) -> [(CatalogueDissemination.Digest, NodeID)] {
        actions.compactMap { if case .sendDigest(let digest, let peer) = $0 { (digest, peer) } else { nil } }
    }

    @Test func publishingHoldsAndAnnouncesTheOwnCatalogue() throws {
        var core = node()
        let actions = try core.publish(try fixtures.signed(version: 3), date: now)
        #expect(core.own?.version == 3)
        #expect(core.heldCount == 1)
        guard case .announce(let entries)? = actions.last else {
            Issue.record("no announcement: \(actions)")
            return
        }
        #expect(entries == [CatalogueDigestEntry(nodeID: a, version: 3)])
        #expect(core.nextOwnVersion() == 4 && core.nextOwnVersion(floor: 1000) == 1000)
        // A version no newer than the held one is refused, and the refusal is thrown.
        #expect(throws: CatalogueRejection.self) { try core.publish(try fixtures.signed(version: 3), date: now) }
    }

    @Test func antiEntropySendsTheDigestOncePerIntervalToALiveMember() throws {
        var core = node(seed: 7)
        core.start(now: .zero)
        let firstDue = try #require(core.nextWake)
        #expect(firstDue >= .zero && firstDue < core.settings.antiEntropyInterval)
        // Nothing before the drawn phase; then one digest, to a live member; then nothing
        // until a whole interval later.
        #expect(Self.digests(core.tick(now: firstDue - .milliseconds(1), date: now, liveMembers: [b, c])).isEmpty)
        let sent = Self.digests(core.tick(now: firstDue, date: now, liveMembers: [b, c]))
        #expect(sent.count == 1 && [b, c].contains(sent[0].1) && !sent[0].0.wantsDigest)
        #expect(Self.digests(core.tick(now: firstDue + .seconds(9), date: now, liveMembers: [b, c])).isEmpty)
        #expect(core.nextWake == firstDue + core.settings.antiEntropyInterval)
        #expect(Self.digests(core.tick(now: firstDue + .seconds(10), date: now, liveMembers: [b, c])).count == 1)
        // With no live member the round passes without a digest.
        #expect(Self.digests(core.tick(now: firstDue + .seconds(20), date: now, liveMembers: [])).isEmpty)
        #expect(core.nextWake == firstDue + .seconds(30))
    }

    @Test func aDigestWithNewerVersionsIsPulledAndTheCataloguesSpreadOn() throws {
        var holder = node(seed: 1)
        _ = try holder.publish(try signedB(version: 2), date: now)
        var joiner = node(seed: 2)
        // The joiner asks its seed for its digest; the seed answers with it, and the joiner
        // pulls what it lacks from the seed.
        let hello = Self.digests(joiner.joined(via: b))
        #expect(hello.count == 1 && hello[0].0.wantsDigest && hello[0].1 == b)
        let answer = Self.digests(holder.receiveDigest(hello[0].0, from: a, now: .zero))
        #expect(answer.count == 1 && answer[0].1 == a)
        let pulls = Self.pulls(joiner.receiveDigest(answer[0].0, from: b, now: .zero))
        #expect(pulls == [CataloguePulls.Request(peer: b, owners: [b])])
        let bundle = holder.answerPull(owners: pulls[0].owners)
        let actions = joiner.receiveBundle(bundle, from: b, date: now)
        #expect(joiner.store.catalogue(of: b)?.catalogue.version == 2)
        guard case .announce(let entries)? = actions.last else {
            Issue.record("accepted catalogue not announced: \(actions)")
            return
        }
        #expect(entries == [CatalogueDigestEntry(nodeID: b, version: 2)])
        // Now equal: the fingerprints agree and a further digest pulls nothing.
        #expect(joiner.fingerprint == holder.fingerprint)
        #expect(Self.pulls(joiner.receiveDigest(holder.digest(wantsDigest: false), from: b, now: .seconds(1))).isEmpty)
    }

    @Test func aLostPullIsRetriedAfterTheRetryInterval() throws {
        var core = node()
        core.start(now: .zero)
        let news = [CatalogueDigestEntry(nodeID: b, version: 5)]
        #expect(Self.pulls(core.receiveNews(news, from: b, now: .zero)) == [CataloguePulls.Request(peer: b, owners: [b])])
        // The same news from another peer only adds a source; the retry goes to it.
        #expect(Self.pulls(core.receiveNews(news, from: c, now: .milliseconds(10))).isEmpty)
        let retryAfter = core.settings.pulls.retryAfter
        #expect(core.nextWake.map { $0 <= retryAfter } == true)
        #expect(Self.pulls(core.tick(now: retryAfter, date: now, liveMembers: [])) == [CataloguePulls.Request(peer: c, owners: [b])])
    }

    @Test func theRevocationFloodStopsAtANodeThatAlreadyHoldsTheList() throws {
        var core = node()
        _ = try core.publish(try fixtures.signed(version: 1), date: now)
        _ = core.receiveBundle([try signedB()], from: b, date: now)
        let before = core.fingerprint
        let list = try fixtures.ca.nextRevocationList(after: .empty, revoking: [fixtures.nodeB.certificate.serialNumber], now: now)
        let actions = try core.adopt(list, liveMembers: [b, c])
        #expect(core.revocationVersion == 1)
        #expect(core.store.catalogue(of: b) == nil && core.heldCount == 1)
        #expect(core.fingerprint != before)
        var passedOn: [NodeID] = []
        for action in actions {
            if case .sendRevocations(_, let peers) = action { passedOn = peers }
        }
        #expect(passedOn == [b, c])
        // The same list again is not passed on: that ends the flood.
        #expect(try core.adopt(list, liveMembers: [b, c]).isEmpty)
        // A peer whose digest shows an older list is handed ours; one with a newer list gets
        // our digest, so that it hands its list over.
        let older = core.receiveDigest(.init(entries: [], wantsDigest: false, revocationVersion: 0), from: c, now: .zero)
        #expect(older.contains { if case .sendRevocations(_, [c]) = $0 { true } else { false } })
        let newer = core.receiveDigest(.init(entries: [], wantsDigest: false, revocationVersion: 2), from: c, now: .zero)
        #expect(Self.digests(newer).map(\.1) == [c])
    }

    @Test func expiredCataloguesAreDroppedOnTheTick() throws {
        var core = node()
        _ = core.receiveBundle([try signedB()], from: b, date: now)
        #expect(core.heldCount == 1)
        let later = now.addingTimeInterval(30 * 24 * 3600)
        let actions = core.tick(now: .seconds(1), date: later, liveMembers: [])
        #expect(actions.contains { if case .expired(let owner) = $0 { owner == b } else { false } })
        #expect(core.heldCount == 0 && core.fingerprint == 0)
    }
}
