import Gossip
import MeshCore
import Testing

/// What to pull from whom: once per version, from the first peer that names it; again from
/// the next source when the pull brought nothing; never what is held.
@Suite struct CataloguePullsTests {
    static func news(_ owner: String, _ version: UInt64) -> CatalogueDigestEntry {
        CatalogueDigestEntry(nodeID: id(owner), version: version)
    }

    @Test func pullsOnlyNewerVersionsAndEachOnce() {
        var pulls = CataloguePulls(retryAfter: .milliseconds(500), maxAttempts: 3)
        let held: [NodeID: UInt64] = [id("b"): 5]
        let first = pulls.heard([Self.news("b", 5), Self.news("b", 6), Self.news("c", 1)], from: id("x"), now: .zero) { held[$0] }
        #expect(first == CataloguePulls.Request(peer: id("x"), owners: [id("b"), id("c")]))
        // The same versions named by another peer: no second pull, only a further source.
        #expect(pulls.heard([Self.news("b", 6), Self.news("c", 1)], from: id("y"), now: .milliseconds(100)) { held[$0] } == nil)
        // A newer version than the one being pulled is pulled at once from its announcer.
        #expect(pulls.heard([Self.news("c", 2)], from: id("z"), now: .milliseconds(200)) { held[$0] } == CataloguePulls.Request(peer: id("z"), owners: [id("c")]))
        #expect(pulls.wantedCount == 2)
    }

    @Test func unmetWantsAreRetriedFromTheNextSourceThenDropped() {
        var pulls = CataloguePulls(retryAfter: .milliseconds(500), maxAttempts: 3)
        let nothing: (NodeID) -> UInt64? = { _ in nil }
        _ = pulls.heard([Self.news("b", 1)], from: id("x"), now: .zero, held: nothing)
        _ = pulls.heard([Self.news("b", 1)], from: id("y"), now: .milliseconds(10), held: nothing)
        #expect(pulls.due(now: .milliseconds(400), held: nothing).isEmpty)
        #expect(pulls.due(now: .milliseconds(500), held: nothing) == [CataloguePulls.Request(peer: id("y"), owners: [id("b")])])
        #expect(pulls.due(now: .milliseconds(1000), held: nothing) == [CataloguePulls.Request(peer: id("x"), owners: [id("b")])])
        // Three attempts made: the digest anti-entropy takes over.
        #expect(pulls.due(now: .milliseconds(1500), held: nothing).isEmpty)
        #expect(pulls.wantedCount == 0)
    }

    @Test func acceptedOrOtherwiseHeldVersionsAreNotPulledAgain() {
        var pulls = CataloguePulls(retryAfter: .milliseconds(500), maxAttempts: 5)
        let nothing: (NodeID) -> UInt64? = { _ in nil }
        _ = pulls.heard([Self.news("b", 3), Self.news("c", 3)], from: id("x"), now: .zero, held: nothing)
        pulls.accepted(owner: id("b"), version: 4)
        #expect(pulls.due(now: .seconds(1)) { $0 == id("c") ? 3 : nil }.isEmpty)
        #expect(pulls.wantedCount == 0)
    }

    @Test func wantsAreBounded() {
        var pulls = CataloguePulls(retryAfter: .milliseconds(500), maxAttempts: 2, capacity: 2)
        let request = pulls.heard([Self.news("b", 1), Self.news("c", 1), Self.news("d", 1)], from: id("x"), now: .zero) { _ in nil }
        #expect(request?.owners.count == 2)
        #expect(pulls.wantedCount == 2)
    }
}
