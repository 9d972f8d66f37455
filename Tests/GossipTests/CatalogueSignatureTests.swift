import Foundation
import Gossip
import MeshCore
import Testing
import SwiftASN1
import X509

/// Signing and verification of catalogues: the round trip and every reason to refuse one.
@Suite struct CatalogueSignatureTests {
    let fixtures: CatalogueFixtures
    init() throws { fixtures = try CatalogueFixtures() }

    func rejection(_ signed: SignedCatalogue, now: Date = CatalogueFixtures.now, revocations: RevocationList = .empty) -> CatalogueRejection? {
        do {
            _ = try fixtures.verifier(revocations: revocations).verify(signed, now: now)
            return nil
        } catch {
            return error
        }
    }

    @Test func signAndVerifyRoundTrip() throws {
        let signed = try fixtures.signed()
        let verified = try fixtures.verifier().verify(signed, now: CatalogueFixtures.now)
        #expect(verified.catalogue == (try fixtures.catalogue()))
        #expect(verified.signerSerial == fixtures.nodeA.certificate.serialNumber)
        // Through the wire form too.
        let received = try SignedCatalogue(serializedBytes: signed.serializedBytes())
        #expect(received == signed)
        #expect(try fixtures.verifier().verify(received, now: CatalogueFixtures.now) == verified)
    }

    @Test func tamperedPayloadIsRefused() throws {
        let signed = try fixtures.signed()
        var catalogue = try fixtures.catalogue()
        catalogue.policy.minimumCellSize = 1
        let tampered = SignedCatalogue(payload: catalogue.encoded(), signature: signed.signature, certificateChain: signed.certificateChain)
        #expect(rejection(tampered)?.reason == .badSignature)
        var flipped = signed.payload
        flipped[flipped.count / 2] ^= 1
        #expect(rejection(SignedCatalogue(payload: flipped, signature: signed.signature, certificateChain: signed.certificateChain))?.reason == .badSignature)
    }

    @Test func signatureByAnotherNodeIsRefused() throws {
        // hospital-b signs hospital-a's payload but presents hospital-a's certificate.
        let honest = try fixtures.signed()
        let forged = try CatalogueSigner(credential: fixtures.nodeB).sign(try fixtures.catalogue(node: "hospital-b"))
        let mixed = SignedCatalogue(payload: honest.payload, signature: forged.signature, certificateChain: honest.certificateChain)
        #expect(rejection(mixed)?.reason == .badSignature)
    }

    @Test func sanNodeIDMustMatchTheCatalogue() throws {
        // hospital-b signs, with its own valid certificate, a catalogue claiming to be hospital-a.
        let catalogue = try fixtures.catalogue(node: "hospital-a")
        #expect(throws: PKIError.self) { _ = try CatalogueSigner(credential: fixtures.nodeB).sign(catalogue) }
        let payload = catalogue.encoded()
        let signature = try fixtures.nodeB.privateKey.sign(bytes: SignedCatalogue.signingContext + payload, signatureAlgorithm: .ecdsaWithSHA256)
        let impostor = SignedCatalogue(
            payload: payload,
            signature: signature.rawRepresentation,
            certificateChain: [try der(fixtures.nodeB.certificate)]
        )
        let refused = rejection(impostor)
        #expect(refused?.reason == .nodeIDMismatch)
        #expect(refused?.message.contains("hospital-b") == true, "\(String(describing: refused))")
    }

    @Test func chainFromAnotherCAIsRefused() throws {
        let otherCA = try FederationCA.create(now: CatalogueFixtures.now)
        let stranger = try otherCA.issue(.node(try NodeID("hospital-a")), now: CatalogueFixtures.now)
        let signed = try CatalogueSigner(credential: stranger).sign(try fixtures.catalogue())
        #expect(rejection(signed)?.reason == .untrustedChain)
        // Appending the foreign root does not help, nor does appending ours.
        let withRoot = SignedCatalogue(payload: signed.payload, signature: signed.signature, certificateChain: signed.certificateChain + [try der(otherCA.certificate)])
        #expect(rejection(withRoot)?.reason == .untrustedChain)
        let withOurs = SignedCatalogue(payload: signed.payload, signature: signed.signature, certificateChain: signed.certificateChain + [try der(fixtures.ca.certificate)])
        #expect(rejection(withOurs)?.reason == .untrustedChain)
    }

    @Test func expiredCatalogueIsRefused() throws {
        let signed = try fixtures.signed()
        let catalogue = try fixtures.catalogue()
        let expiry = UnixMilliseconds.date(catalogue.expiresAtMilliseconds)
        #expect(rejection(signed, now: expiry.addingTimeInterval(-1)) == nil)
        #expect(rejection(signed, now: expiry)?.reason == .expired)
    }

    @Test func expiredSignerCertificateIsRefused() throws {
        let shortLived = try fixtures.ca.issue(
            .node(try NodeID("hospital-a")),
            now: CatalogueFixtures.now,
            notValidBefore: CatalogueFixtures.now.addingTimeInterval(-7200),
            notValidAfter: CatalogueFixtures.now.addingTimeInterval(-3600)
        )
        let signed = try CatalogueSigner(credential: shortLived).sign(try fixtures.catalogue())
        #expect(rejection(signed)?.reason == .certificateNotValid)
    }

    @Test func catalogueFromTheFutureIsRefused() throws {
        let signed = try fixtures.signed(now: CatalogueFixtures.now.addingTimeInterval(3600))
        #expect(rejection(signed)?.reason == .issuedInFuture)
    }

    @Test func revokedSignerIsRefused() throws {
        let signed = try fixtures.signed()
        let revocations = RevocationList(version: 1, issuedAtMilliseconds: 0, serials: [fixtures.nodeA.certificate.serialNumber])
        let refused = rejection(signed, revocations: revocations)
        #expect(refused?.reason == .revokedSigner)
        #expect(refused?.message.contains("\(fixtures.nodeA.certificate.serialNumber)") == true)
        let unrelated = RevocationList(version: 1, issuedAtMilliseconds: 0, serials: [fixtures.nodeB.certificate.serialNumber])
        #expect(rejection(signed, revocations: unrelated) == nil)
    }

    @Test func garbageIsMalformedNotACrash() throws {
        let signed = try fixtures.signed()
        #expect(rejection(SignedCatalogue(payload: signed.payload, signature: signed.signature, certificateChain: [[1, 2, 3]]))?.reason == .malformed)
        #expect(rejection(SignedCatalogue(payload: signed.payload, signature: signed.signature, certificateChain: []))?.reason == .untrustedChain)
        #expect(throws: CatalogueRejection.self) { _ = try SignedCatalogue(serializedBytes: [0xff, 0xff, 0xff]) }
    }

    /// Our synchronous chain check agrees with swift-certificates' `Verifier` + `RFC5280Policy`.
    @Test func chainCheckAgreesWithRFC5280Verifier() async throws {
        let otherCA = try FederationCA.create(now: CatalogueFixtures.now)
        let cases: [(Certificate, Date)] = [
            (fixtures.nodeA.certificate, CatalogueFixtures.now),
            (try otherCA.issue(.node(try NodeID("x")), now: CatalogueFixtures.now).certificate, CatalogueFixtures.now),
            (fixtures.nodeA.certificate, CatalogueFixtures.now.addingTimeInterval(2 * FederationCA.leafValiditySeconds)),
            (fixtures.nodeA.certificate, CatalogueFixtures.now.addingTimeInterval(-3600)),
        ]
        for (leaf, time) in cases {
            var verifier = Verifier(rootCertificates: CertificateStore([fixtures.ca.certificate])) { RFC5280Policy(fixedValidationTime: time) }
            let reference: Bool
            switch await verifier.validate(leaf: leaf, intermediates: CertificateStore()) {
            case .validCertificate: reference = true
            case .couldNotValidate: reference = false
            }
            let ours = (try? FederationChain(caCertificate: fixtures.ca.certificate).validate([leaf], at: time)) != nil
            #expect(ours == reference, "leaf \(leaf.subject) at \(time)")
        }
    }

    func der(_ certificate: Certificate) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return serializer.serializedBytes
    }
}
