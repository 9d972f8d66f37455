import Aggregation
import Foundation
import Gossip
import MeshCore
import SwiftASN1
import Testing
import X509

import QueryPlanner

/// Signing and verification of plans: the round trip and every reason to refuse one.
@Suite struct QueryPlanSignatureTests {
    typealias F = QueryPlanFixtures
    let fixtures: QueryPlanFixtures
    init() throws { fixtures = try QueryPlanFixtures() }

    /// hospital-b's view by default: hospital-a is a live member and hospital-b a target.
    func verify(
        _ signed: SignedQueryPlan,
        now: Date = F.now,
        revocations: RevocationList = .empty,
        liveMembers: Set<NodeID> = [F.hospitalA, F.hospitalB, F.registryC],
        localNode: NodeID = F.hospitalB
    ) throws(QueryPlanRejection) -> QueryPlan {
        try fixtures.verifier(revocations: revocations).verify(signed, now: now, isLiveMember: { liveMembers.contains($0) }, localNode: localNode)
    }

    func rejection(
        _ signed: SignedQueryPlan,
        now: Date = F.now,
        revocations: RevocationList = .empty,
        liveMembers: Set<NodeID> = [F.hospitalA, F.hospitalB, F.registryC],
        localNode: NodeID = F.hospitalB
    ) -> QueryPlanRejection? {
        do {
            _ = try verify(signed, now: now, revocations: revocations, liveMembers: liveMembers, localNode: localNode)
            return nil
        } catch {
            return error
        }
    }

    func signed(_ plan: QueryPlan = F.plan(), by credential: Credential? = nil) throws -> SignedQueryPlan {
        try QueryPlanSigner(credential: credential ?? fixtures.nodeA).sign(plan)
    }

    /// Signs `payload` with `credential`'s key and presents its certificate, bypassing the
    /// signer's own checks, as a misbehaving node could.
    func forged(payload: [UInt8], by credential: Credential, context: [UInt8] = SignedQueryPlan.signingContext) throws -> SignedQueryPlan {
        let signature = try credential.privateKey.sign(bytes: context + payload, signatureAlgorithm: .ecdsaWithSHA256)
        return SignedQueryPlan(payload: payload, signature: signature.rawRepresentation, certificateChain: [try der(credential.certificate)])
    }

    func der(_ certificate: Certificate) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return serializer.serializedBytes
    }

    @Test func signAndVerifyRoundTrip() throws {
        let signed = try signed()
        #expect(try verify(signed) == F.plan())
        // Through the wire form, with the CA appended as a peer may.
        let received = try SignedQueryPlan(decoding: signed.encoded())
        #expect(received == signed)
        #expect(try verify(received) == F.plan())
        let withRoot = SignedQueryPlan(payload: signed.payload, signature: signed.signature, certificateChain: signed.certificateChain + [try der(fixtures.ca.certificate)])
        #expect(try verify(withRoot) == F.plan())
        // Every target accepts it, the origin too (it need not see itself as a live member).
        #expect(rejection(signed, localNode: F.registryC) == nil)
        #expect(rejection(signed, liveMembers: [], localNode: F.hospitalA) == nil)
    }

    @Test func chainFromAnotherCAIsRefused() throws {
        let otherCA = try FederationCA.create(now: F.now)
        let stranger = try otherCA.issue(.node(F.hospitalA), now: F.now)
        let signed = try signed(by: stranger)
        #expect(rejection(signed)?.code == .untrustedChain)
        let withTheirRoot = SignedQueryPlan(payload: signed.payload, signature: signed.signature, certificateChain: signed.certificateChain + [try der(otherCA.certificate)])
        #expect(rejection(withTheirRoot)?.code == .untrustedChain)
        #expect(rejection(SignedQueryPlan(payload: signed.payload, signature: signed.signature, certificateChain: []))?.code == .untrustedChain)
        #expect(rejection(SignedQueryPlan(payload: signed.payload, signature: signed.signature, certificateChain: [[1, 2, 3]]))?.code == .malformed)
    }

    @Test func expiredSignerCertificateIsRefused() throws {
        let shortLived = try fixtures.ca.issue(
            .node(F.hospitalA),
            now: F.now,
            notValidBefore: F.now.addingTimeInterval(-7200),
            notValidAfter: F.now.addingTimeInterval(-3600)
        )
        #expect(rejection(try signed(by: shortLived))?.code == .certificateNotValid)
    }

    @Test func revokedSignerIsRefused() throws {
        let signed = try signed()
        let revocations = RevocationList(version: 3, issuedAtMilliseconds: 0, serials: [fixtures.nodeA.certificate.serialNumber])
        let refused = rejection(signed, revocations: revocations)
        #expect(refused?.code == .revokedSigner)
        #expect(refused?.message.contains("\(fixtures.nodeA.certificate.serialNumber)") == true)
        #expect(refused?.message.contains("version 3") == true)
        let unrelated = RevocationList(version: 1, issuedAtMilliseconds: 0, serials: [fixtures.nodeB.certificate.serialNumber])
        #expect(rejection(signed, revocations: unrelated) == nil)
        // Revocation is checked before the signature: a revoked signer learns nothing more.
        var flipped = signed.payload
        flipped[0] ^= 1
        #expect(rejection(SignedQueryPlan(payload: flipped, signature: signed.signature, certificateChain: signed.certificateChain), revocations: revocations)?.code == .revokedSigner)
    }

    @Test func tamperedPayloadIsRefused() throws {
        let signed = try signed()
        for index in [0, signed.payload.count / 2, signed.payload.count - 1] {
            var flipped = signed.payload
            flipped[index] ^= 1
            #expect(rejection(SignedQueryPlan(payload: flipped, signature: signed.signature, certificateChain: signed.certificateChain))?.code == .badSignature)
        }
        // A re-encoded, changed plan under the old signature.
        var widened = F.plan()
        widened.targets.append(try NodeID("eavesdropper"))
        let swapped = SignedQueryPlan(payload: widened.encoded(), signature: signed.signature, certificateChain: signed.certificateChain)
        #expect(rejection(swapped)?.code == .badSignature)
    }

    @Test func signatureByAnotherNodesKeyIsRefused() throws {
        // hospital-b signs hospital-a's plan but presents hospital-a's certificate.
        let honest = try signed()
        let byB = try forged(payload: honest.payload, by: fixtures.nodeB)
        let mixed = SignedQueryPlan(payload: honest.payload, signature: byB.signature, certificateChain: honest.certificateChain)
        #expect(rejection(mixed)?.code == .badSignature)
    }

    @Test func catalogueSignatureDoesNotPassForAPlan() throws {
        let payload = F.plan().encoded()
        let underCatalogueContext = try forged(payload: payload, by: fixtures.nodeA, context: SignedCatalogue.signingContext)
        #expect(SignedCatalogue.signingContext != SignedQueryPlan.signingContext)
        #expect(rejection(underCatalogueContext)?.code == .badSignature)
    }

    @Test func validlySignedGarbageIsMalformed() throws {
        let refused = rejection(try forged(payload: [0xff, 0xff, 0xff], by: fixtures.nodeA))
        #expect(refused?.code == .malformed)
        var zeroFanout = F.plan()
        zeroFanout.fanout = 0
        #expect(rejection(try forged(payload: zeroFanout.encoded(), by: fixtures.nodeA))?.code == .malformed)
    }

    @Test func originMustBeTheSigner() throws {
        // hospital-b signs, with its own valid certificate, a plan naming hospital-a as origin.
        let refused = rejection(try forged(payload: F.plan(origin: F.hospitalA).encoded(), by: fixtures.nodeB), localNode: F.registryC)
        #expect(refused?.code == .originMismatch)
        #expect(refused?.message.contains("hospital-a") == true, "\(String(describing: refused))")
        #expect(refused?.message.contains("signed by node hospital-b") == true, "\(String(describing: refused))")
        // A researcher's certificate chains to the CA too, but never speaks for a node.
        let byResearcher = rejection(try forged(payload: F.plan().encoded(), by: fixtures.researcherCredential))
        #expect(byResearcher?.code == .originMismatch)
        #expect(byResearcher?.message.contains("researcher dr-jones") == true, "\(String(describing: byResearcher))")
    }

    @Test func originMustBeALiveMember() throws {
        let signed = try signed()
        let refused = rejection(signed, liveMembers: [F.hospitalB, F.registryC])
        #expect(refused?.code == .notMember)
        #expect(refused?.message.contains("hospital-a is not a live member of the mesh as hospital-b sees it") == true, "\(String(describing: refused))")
    }

    @Test func deadlineMustLieAheadButNotTooFar() throws {
        let signed = try signed()
        let deadline = UnixMilliseconds.date(F.plan().deadlineMilliseconds)
        #expect(rejection(signed, now: deadline.addingTimeInterval(-0.001)) == nil)
        let passed = rejection(signed, now: deadline)
        #expect(passed?.code == .deadline)
        #expect(passed?.message.contains("passed its deadline") == true)
        #expect(rejection(signed, now: deadline.addingTimeInterval(60))?.code == .deadline)

        let horizon = QuerySubmission.timeoutMaxMilliseconds + QueryPlanVerifier.clockSkewAllowanceMilliseconds
        let farthest = try self.signed(F.plan(deadlineMilliseconds: F.nowMilliseconds + horizon))
        #expect(rejection(farthest) == nil)
        let tooFar = rejection(try self.signed(F.plan(deadlineMilliseconds: F.nowMilliseconds + horizon + 1)))
        #expect(tooFar?.code == .deadline)
        #expect(tooFar?.message.contains("305001 ms ahead") == true, "\(String(describing: tooFar))")
    }

    @Test func nodeMustBeATarget() throws {
        let signed = try signed(F.plan(targets: [F.hospitalB]))
        #expect(rejection(signed, localNode: F.hospitalB) == nil)
        #expect(rejection(signed, localNode: F.hospitalA) == nil, "the origin takes part even when it holds no matching data")
        let refused = rejection(signed, localNode: F.registryC)
        #expect(refused?.code == .notATarget)
        #expect(refused?.message.contains("does not target registry-c") == true)
    }

    @Test func onlyANodeSignsItsOwnPlans() throws {
        #expect {
            _ = try QueryPlanSigner(credential: fixtures.researcherCredential)
        } throws: { error in
            (error as? PKIError)?.code == .invalidIdentity
        }
        #expect {
            _ = try QueryPlanSigner(credential: fixtures.nodeB).sign(F.plan(origin: F.hospitalA))
        } throws: { error in
            (error as? PKIError)?.code == .invalidIdentity && "\(error)".contains("names origin hospital-a")
        }
        #expect(throws: Never.self) { _ = try QueryPlanSigner(credential: fixtures.nodeB).sign(F.plan(origin: F.hospitalB)) }
    }
}
