import Foundation
import MeshCore
import TestSupport
import Testing
import X509

/// The CA-signed revocation list: encoding, signature, versions and the CA directory file.
@Suite struct RevocationListTests {
    let ca: FederationCA
    init() throws { ca = try FederationCA.create() }

    @Test func signVerifyRoundTrip() throws {
        let serials: [Certificate.SerialNumber] = [Certificate.SerialNumber(bytes: [0x00, 0x9a, 0x01]), 3, 0x0102]
        let signed = try ca.nextRevocationList(after: .empty, revoking: serials, now: Date(timeIntervalSince1970: 1_800_000_000))
        let list = try signed.verify(caCertificate: ca.certificate)
        #expect(list.version == 1)
        #expect(list.issuedAtMilliseconds == 1_800_000_000_000)
        #expect(list.serials == [3, 0x0102, 0x9a01], "normalised and in numeric order")
        #expect(list.contains(Certificate.SerialNumber(bytes: [0x9a, 0x01])))
        #expect(list.contains(Certificate.SerialNumber(bytes: [0x00, 0x9a, 0x01])))
        #expect(!list.contains(4))
        #expect(try RevocationList(decoding: list.encoded()) == list)

        let file = try SignedRevocationList(pemString: signed.pemString(), source: "test")
        #expect(file == signed)
        #expect(signed.pemString().hasPrefix("-----BEGIN ONCOMESH REVOCATION LIST-----"))
    }

    @Test func tamperedOrForeignListsAreRefused() throws {
        let signed = try ca.nextRevocationList(after: .empty, revoking: [7])
        var payload = signed.payload
        payload[payload.count - 1] = 8
        #expect(throws: RevocationListError.self) {
            _ = try SignedRevocationList(payload: payload, signature: signed.signature).verify(caCertificate: ca.certificate)
        }
        let other = try FederationCA.create()
        do {
            _ = try signed.verify(caCertificate: other.certificate)
            Issue.record("a list verified under another CA")
        } catch {
            #expect(error.code == .badSignature)
        }
    }

    @Test func nextVersionKeepsEarlierSerialsAndOnlyNewerReplaces() throws {
        let first = try ca.nextRevocationList(after: .empty, revoking: [1]).verify(caCertificate: ca.certificate)
        let second = try ca.nextRevocationList(after: first, revoking: [2, 1]).verify(caCertificate: ca.certificate)
        #expect(second.version == 2)
        #expect(second.serials == [1, 2])
        #expect(second.supersedes(first))
        #expect(!first.supersedes(second))
        #expect(!second.supersedes(second))
    }

    @Test func directoryFileOnlyMovesForward() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try ca.save(directory: directory.path)
        #expect(try ca.loadRevocationList(directory: directory.path) == .empty)
        let first = try ca.nextRevocationList(after: .empty, revoking: [1])
        try ca.saveRevocationList(first, directory: directory.path)
        let second = try ca.nextRevocationList(after: try first.verify(caCertificate: ca.certificate), revoking: [2])
        try ca.saveRevocationList(second, directory: directory.path)
        #expect(try ca.loadRevocationList(directory: directory.path).version == 2)
        do {
            try ca.saveRevocationList(first, directory: directory.path)
            Issue.record("an older list replaced a newer one")
        } catch {
            #expect(error.code == .staleVersion)
            #expect(error.message.contains("version 1 does not replace version 2"))
        }
    }

    @Test func decoderRefusesNonCanonicalBytes() throws {
        let list = RevocationList(version: 1, issuedAtMilliseconds: 0, serials: [1, 2])
        var bytes = list.encoded()
        // Swap the two serials: same set, unsorted.
        bytes[bytes.count - 1] = 1
        bytes[bytes.count - 3] = 2
        #expect(throws: RevocationListError.self) { _ = try RevocationList(decoding: bytes) }
        #expect(throws: RevocationListError.self) { _ = try RevocationList(decoding: list.encoded() + [0]) }
        #expect(throws: RevocationListError.self) { _ = try RevocationList(decoding: Array(list.encoded().dropLast())) }
        var huge = RevocationList(version: 1, issuedAtMilliseconds: 0, serials: []).encoded()
        huge.replaceSubrange(huge.count - 4..<huge.count, with: [0xff, 0xff, 0xff, 0xff])
        #expect(throws: RevocationListError.self) { _ = try RevocationList(decoding: huge) }
    }

    /// A fixed signing time, so that the expected times are exact.
    static let signedAt = Date(timeIntervalSince1970: 1_800_000_000)
    static let dayMilliseconds: Int64 = 24 * 3600 * 1000

    @Test func formatTwoCarriesTheNextUpdate() throws {
        let signed = try ca.nextRevocationList(after: .empty, revoking: [5], now: Self.signedAt, nextUpdateDays: 3)
        let list = try signed.verify(caCertificate: ca.certificate)
        #expect(signed.payload[4] == 2, "a list that promises a next update is format 2")
        #expect(list.issuedAtMilliseconds == 1_800_000_000_000)
        #expect(list.nextUpdateMilliseconds == 1_800_000_000_000 + 3 * Self.dayMilliseconds)
        #expect(list.encoded() == signed.payload)
        #expect(try RevocationList(decoding: list.encoded()) == list)
        let file = try SignedRevocationList(pemString: signed.pemString(), source: "test").verify(caCertificate: ca.certificate)
        #expect(file == list)

        let weekly = try ca.nextRevocationList(after: list, revoking: [], now: Self.signedAt).verify(caCertificate: ca.certificate)
        #expect(weekly.nextUpdateMilliseconds - weekly.issuedAtMilliseconds == 7 * Self.dayMilliseconds, "the CA promises a week unless told")
    }

    @Test func formatOneListsStillDecodeWithoutANextUpdate() throws {
        // A list as CAs signed them before lists promised a next update.
        var bytes: [UInt8] = Array("OMRL".utf8) + [1]
        bytes += [0, 0, 0, 0, 0, 0, 0, 4]
        bytes += withUnsafeBytes(of: Int64(1_700_000_000_000).bigEndian) { [UInt8]($0) }
        bytes += [0, 0, 0, 2, 1, 0x07, 2, 0x01, 0x00]
        let list = try RevocationList(decoding: bytes)
        #expect(list.version == 4)
        #expect(list.issuedAtMilliseconds == 1_700_000_000_000)
        #expect(list.serials == [7, 0x0100])
        #expect(list.nextUpdateMilliseconds == RevocationList.noNextUpdate)
        #expect(!list.isStale(nowMilliseconds: .max), "a list that promised no next update is never stale")
        #expect(list.encoded() == bytes, "a list without a next update keeps its one encoding, format 1")
    }

    @Test func aNextUpdateNotAfterTheIssueIsRefused() throws {
        for nextUpdate: Int64 in [1_800_000_000_000, 1_799_999_999_999] {
            let list = RevocationList(version: 3, issuedAtMilliseconds: 1_800_000_000_000, nextUpdateMilliseconds: nextUpdate, serials: [1])
            do {
                _ = try RevocationList(decoding: list.encoded())
                Issue.record("a list due for its next update at \(nextUpdate), not after its issue, was decoded")
            } catch {
                #expect(error.code == .invalidNextUpdate)
                #expect(error.message.contains("version 3 promises its next update at \(nextUpdate)"), "\(error.message)")
                #expect(error.message.contains("not after its issue at 1800000000000"), "\(error.message)")
            }
        }
        for days in [0, -2, Int.max] {
            do {
                _ = try ca.nextRevocationList(after: .empty, revoking: [1], now: Self.signedAt, nextUpdateDays: days)
                Issue.record("the CA signed a list with its next update \(days) days away")
            } catch {
                #expect(error.code == .invalidNextUpdate)
                #expect(error.message.contains("\(days) days"), "\(error.message)")
            }
        }
    }

    @Test func staleOnlyAfterThePromisedNextUpdate() {
        let list = RevocationList(version: 2, issuedAtMilliseconds: 1_000, nextUpdateMilliseconds: 5_000, serials: [1])
        #expect(!list.isStale(nowMilliseconds: 1_000))
        #expect(!list.isStale(nowMilliseconds: 5_000), "due at its next update, stale only after it")
        #expect(list.isStale(nowMilliseconds: 5_001))
        #expect(!RevocationList.empty.isStale(nowMilliseconds: .max))
    }

    @Test(arguments: [
        ("4a:3:ff", [UInt8]([0x4a, 0x03, 0xff])),
        ("serial=4A03FF", [0x4a, 0x03, 0xff]),
        ("0x4a03ff", [0x4a, 0x03, 0xff]),
        ("0:9a", [0x9a]),
        ("a03ff", [0x0a, 0x03, 0xff]),
    ])
    func parsesSerialSpellings(_ text: String, _ bytes: [UInt8]) throws {
        #expect(try Certificate.SerialNumber(parsing: text) == Certificate.SerialNumber(bytes: bytes))
    }

    @Test func refusesNonHexSerials() {
        #expect(throws: RevocationListError.self) { _ = try Certificate.SerialNumber(parsing: "zz") }
        #expect(throws: RevocationListError.self) { _ = try Certificate.SerialNumber(parsing: "4a::3") }
        #expect(throws: RevocationListError.self) { _ = try Certificate.SerialNumber(parsing: "") }
    }
}
