import Foundation
import Gossip
import MeshCore
import Testing

/// The anti-entropy state machine: digests, pulls, offers and their counters.
@Suite struct CatalogueStoreTests {
    let fixtures: CatalogueFixtures
    init() throws { fixtures = try CatalogueFixtures() }

    var now: Date { CatalogueFixtures.now }

    func signedB(version: UInt64 = 1) throws -> SignedCatalogue {
        try CatalogueSigner(credential: fixtures.nodeB).sign(try fixtures.catalogue(node: "hospital-b", version: version))
    }

    @Test func offerDigestAndMissing() throws {
        var store = CatalogueStore(verifier: fixtures.verifier())
        let a = try NodeID("hospital-a")
        let b = try NodeID("hospital-b")
        let c = try NodeID("hospital-c")
        #expect(store.digest().isEmpty)
        #expect(store.offer(try fixtures.signed(version: 1), now: now) == .accepted(node: a, version: 1, replacedVersion: nil))
        #expect(store.offer(try signedB(version: 3), now: now) == .accepted(node: b, version: 3, replacedVersion: nil))
        #expect(store.digest() == [.init(nodeID: a, version: 1), .init(nodeID: b, version: 3)])

        let remote: [CatalogueDigestEntry] = [.init(nodeID: a, version: 2), .init(nodeID: b, version: 3), .init(nodeID: c, version: 1)]
        #expect(store.missing(from: remote) == [a, c])
        // The same through the wire form; an entry with an invalid node ID is skipped.
        var wire = CatalogueDigestEntry.wire(remote)
        var invalid = WireCatalogueDigest.Entry()
        invalid.nodeID = "Not Valid"
        invalid.version = 9
        wire.entries.append(invalid)
        #expect(CatalogueDigestEntry.entries(from: wire) == remote)

        #expect(store.offer(try fixtures.signed(version: 2), now: now) == .accepted(node: a, version: 2, replacedVersion: 1))
        #expect(store.missing(from: remote) == [c])
        #expect(store.catalogue(of: a)?.catalogue.version == 2)
    }

    @Test func olderOrEqualVersionsAreRefusedAndCounted() throws {
        var store = CatalogueStore(verifier: fixtures.verifier())
        _ = store.offer(try fixtures.signed(version: 5), now: now)
        guard case .rejected(let equal) = store.offer(try fixtures.signed(version: 5), now: now) else {
            Issue.record("equal version accepted")
            return
        }
        #expect(equal.reason == .staleVersion)
        guard case .rejected(let older) = store.offer(try fixtures.signed(version: 4), now: now) else {
            Issue.record("older version accepted")
            return
        }
        #expect(older.reason == .staleVersion)
        #expect(store.catalogue(of: try NodeID("hospital-a"))?.catalogue.version == 5)
        #expect(store.rejections == [.staleVersion: 2])
    }

    @Test func everyRejectionIsCountedByReason() throws {
        var store = CatalogueStore(verifier: fixtures.verifier())
        let signed = try fixtures.signed()
        var flipped = signed.payload
        flipped[3] ^= 0x40
        _ = store.offer(SignedCatalogue(payload: flipped, signature: signed.signature, certificateChain: signed.certificateChain), now: now)
        _ = store.offer(signed, now: now.addingTimeInterval(48 * 3600))
        _ = store.offer(signed, now: now.addingTimeInterval(48 * 3600))
        #expect(store.rejections == [.badSignature: 1, .expired: 2])
        #expect(store.digest().isEmpty)
    }

    @Test func expireAndDrop() throws {
        var store = CatalogueStore(verifier: fixtures.verifier())
        _ = store.offer(try fixtures.signed(), now: now)
        _ = store.offer(try signedB(), now: now)
        #expect(store.expire(now: now.addingTimeInterval(3600)).isEmpty)
        #expect(store.drop(signerSerial: fixtures.nodeB.certificate.serialNumber) == [try NodeID("hospital-b")])
        #expect(store.expire(now: now.addingTimeInterval(24 * 3600)) == [try NodeID("hospital-a")])
        #expect(store.digest().isEmpty)
    }

    @Test func newerRevocationListDropsAndThenRefusesTheSigner() throws {
        var store = CatalogueStore(verifier: fixtures.verifier())
        _ = store.offer(try fixtures.signed(version: 1), now: now)
        _ = store.offer(try signedB(), now: now)
        let list = try fixtures.ca.nextRevocationList(after: .empty, revoking: [fixtures.nodeA.certificate.serialNumber], now: now)
        #expect(try store.adopt(revocations: list) == [try NodeID("hospital-a")])
        #expect(store.verifier.revocations.version == 1)
        guard case .rejected(let refused) = store.offer(try fixtures.signed(version: 2), now: now) else {
            Issue.record("catalogue of a revoked signer accepted")
            return
        }
        #expect(refused.reason == .revokedSigner)
        // Replaying the same list changes nothing; a list from another CA is refused.
        #expect(try store.adopt(revocations: list).isEmpty)
        let foreign = try FederationCA.create(now: now).nextRevocationList(after: .init(version: 5, issuedAtMilliseconds: 0, serials: []), revoking: [fixtures.nodeB.certificate.serialNumber])
        #expect(throws: RevocationListError.self) { try store.adopt(revocations: foreign) }
        #expect(store.catalogue(of: try NodeID("hospital-b")) != nil)
    }

    @Test func resignAtTwoThirdsOfValidity() throws {
        let own = try fixtures.catalogue(version: 7)
        let issued = UnixMilliseconds.date(own.issuedAtMilliseconds)
        #expect(!CatalogueStore.needsResign(own: own, now: issued.addingTimeInterval(15 * 3600)))
        #expect(CatalogueStore.needsResign(own: own, now: issued.addingTimeInterval(16 * 3600)))
        #expect(CatalogueStore.nextVersion(after: own) == 8)
        #expect(CatalogueStore.nextVersion(after: nil) == 1)
    }
}
