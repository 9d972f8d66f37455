import Foundation
import TestSupport
import Testing

/// `meshnode ca` as an operator uses it: the built executable, its output and its files.
@Suite struct CACommandTests {
    static var meshnode: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("meshnode").path
    }

    func run(_ arguments: [String]) throws -> ProcessResult {
        try ProcessRunner.run(Self.meshnode, arguments)
    }

    @Test func initIssueAndVerifyWithOpenSSL() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let ca = directory.file("ca")
        let initResult = try run(["ca", "init", "--dir", ca])
        #expect(initResult.status == 0, "\(initResult.combinedOutput)")

        let again = try run(["ca", "init", "--dir", ca])
        #expect(again.status != 0)
        #expect(again.standardError.contains("already exists"), "\(again.combinedOutput)")

        let node = try run(["ca", "issue-node", "--dir", ca, "--node-id", "hospital-a", "--host", "127.0.0.1", "--host", "a.example.org", "--out", directory.file("a")])
        #expect(node.status == 0, "\(node.combinedOutput)")
        let mode = try FileManager.default.attributesOfItem(atPath: directory.file("a/node.key"))[.posixPermissions] as? Int
        #expect(mode.map { $0 & 0o777 } == 0o600)
        let verify = try ProcessRunner.run("openssl", ["verify", "-CAfile", directory.file("a/ca.crt"), directory.file("a/node.crt")])
        #expect(verify.status == 0, "\(verify.combinedOutput)")

        let researcher = try run(["ca", "issue-researcher", "--dir", ca, "--id", "dr-lee", "--out", directory.file("r")])
        #expect(researcher.status == 0, "\(researcher.combinedOutput)")
        let text = try ProcessRunner.run("openssl", ["x509", "-in", directory.file("r/researcher.crt"), "-noout", "-ext", "subjectAltName,extendedKeyUsage"])
        #expect(text.standardOutput.contains("URI:urn:oncomesh:researcher:dr-lee"))
        #expect(text.standardOutput.contains("TLS Web Client Authentication"))
    }

    @Test(arguments: [
        ("Hospital_A", "contains 'H' at position 1"),
        ("", "must not be empty"),
        (String(repeating: "a", count: 64), "at most 63"),
    ])
    func refusesBadNodeIDsClearly(_ id: String, _ message: String) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        _ = try run(["ca", "init", "--dir", directory.file("ca")])
        let result = try run(["ca", "issue-node", "--dir", directory.file("ca"), "--node-id", id, "--host", "127.0.0.1", "--out", directory.file("n")])
        #expect(result.status != 0)
        #expect(result.standardError.contains(message), "\(result.combinedOutput)")
        #expect(!FileManager.default.fileExists(atPath: directory.file("n/node.key")))
    }

    @Test func namesAMissingCA() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let result = try run(["ca", "issue-node", "--dir", directory.file("nope"), "--node-id", "a", "--host", "127.0.0.1", "--out", directory.file("n")])
        #expect(result.status != 0)
        #expect(result.standardError.contains(directory.file("nope/ca.crt")), "\(result.combinedOutput)")
    }
}
