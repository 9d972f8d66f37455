import Foundation
import MeshCore
import TestSupport
import Testing

/// `meshnode ca revoke` as an operator uses it: the built executable, its output and the
/// signed list it leaves in the CA directory.
@Suite struct RevokeCommandTests {
    static var meshnode: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("meshnode").path
    }

    func run(_ arguments: [String]) throws -> ProcessResult {
        try ProcessRunner.run(Self.meshnode, arguments)
    }

    @Test func revokeBySerialAndByCertificate() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let caDirectory = directory.file("ca")
        #expect(try run(["ca", "init", "--dir", caDirectory]).status == 0)
        #expect(try run(["ca", "issue-node", "--dir", caDirectory, "--node-id", "a", "--host", "127.0.0.1", "--out", directory.file("a")]).status == 0)
        #expect(try run(["ca", "issue-node", "--dir", caDirectory, "--node-id", "b", "--host", "127.0.0.1", "--out", directory.file("b")]).status == 0)
        let a = try PEMLoader.certificate(at: directory.file("a/node.crt"))
        let b = try PEMLoader.certificate(at: directory.file("b/node.crt"))

        let first = try run(["ca", "revoke", "--dir", caDirectory, "--serial", "\(a.serialNumber)"])
        #expect(first.status == 0, "\(first.combinedOutput)")
        #expect(first.standardOutput.contains("revocation list version 1"), "\(first.combinedOutput)")

        let second = try run(["ca", "revoke", "--dir", caDirectory, "--cert", directory.file("b/node.crt")])
        #expect(second.status == 0, "\(second.combinedOutput)")
        #expect(second.standardOutput.contains("revocation list version 2"), "\(second.combinedOutput)")

        let ca = try FederationCA.load(directory: caDirectory)
        let list = try ca.loadRevocationList(directory: caDirectory)
        #expect(list.version == 2)
        #expect(list.contains(a.serialNumber) && list.contains(b.serialNumber))
        #expect(list.nextUpdateMilliseconds - list.issuedAtMilliseconds == 7 * 24 * 3600 * 1000, "a week unless --next-update-days says otherwise")
        let mode = try FileManager.default.attributesOfItem(atPath: FederationCA.revocationListPath(directory: caDirectory))[.posixPermissions] as? Int
        #expect(mode.map { $0 & 0o777 } == 0o644)
    }

    @Test func nextUpdateDaysSetsWhenTheListGoesStale() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let caDirectory = directory.file("ca")
        #expect(try run(["ca", "init", "--dir", caDirectory]).status == 0)
        let revoke = try run(["ca", "revoke", "--dir", caDirectory, "--serial", "4a:3:ff", "--next-update-days", "3"])
        #expect(revoke.status == 0, "\(revoke.combinedOutput)")
        #expect(revoke.standardOutput.contains("next update due by"), "\(revoke.combinedOutput)")
        let list = try FederationCA.load(directory: caDirectory).loadRevocationList(directory: caDirectory)
        #expect(list.nextUpdateMilliseconds - list.issuedAtMilliseconds == 3 * 24 * 3600 * 1000)
        #expect(!list.isStale(nowMilliseconds: UnixMilliseconds.now()))

        let zero = try run(["ca", "revoke", "--dir", caDirectory, "--serial", "4a:3:ff", "--next-update-days", "0"])
        #expect(zero.status != 0)
        #expect(zero.standardError.contains("--next-update-days must be at least 1, not 0"), "\(zero.combinedOutput)")
        #expect(try FederationCA.load(directory: caDirectory).loadRevocationList(directory: caDirectory).version == 1, "a refused option signs nothing")

        // Renewing signs the same serials again, as the next version, with a new next update.
        let renew = try run(["ca", "revoke", "--dir", caDirectory, "--renew", "--next-update-days", "10"])
        #expect(renew.status == 0, "\(renew.combinedOutput)")
        let renewed = try FederationCA.load(directory: caDirectory).loadRevocationList(directory: caDirectory)
        #expect(renewed.version == 2 && renewed.serials == list.serials)
        #expect(renewed.nextUpdateMilliseconds - renewed.issuedAtMilliseconds == 10 * 24 * 3600 * 1000)
    }

    @Test func refusesBadInputClearly() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let caDirectory = directory.file("ca")
        _ = try run(["ca", "init", "--dir", caDirectory])
        let nothing = try run(["ca", "revoke", "--dir", caDirectory])
        #expect(nothing.status != 0)
        #expect(nothing.standardError.contains("--serial or --cert"), "\(nothing.combinedOutput)")
        let bad = try run(["ca", "revoke", "--dir", caDirectory, "--serial", "xyz"])
        #expect(bad.status != 0)
        #expect(bad.standardError.contains("not hexadecimal"), "\(bad.combinedOutput)")
        // A certificate of another CA cannot be revoked here.
        _ = try run(["ca", "init", "--dir", directory.file("other")])
        _ = try run(["ca", "issue-node", "--dir", directory.file("other"), "--node-id", "x", "--host", "127.0.0.1", "--out", directory.file("x")])
        let foreign = try run(["ca", "revoke", "--dir", caDirectory, "--cert", directory.file("x/node.crt")])
        #expect(foreign.status != 0)
        #expect(foreign.standardError.contains("not issued by the CA"), "\(foreign.combinedOutput)")
        #expect(!FileManager.default.fileExists(atPath: FederationCA.revocationListPath(directory: caDirectory)))
    }
}
