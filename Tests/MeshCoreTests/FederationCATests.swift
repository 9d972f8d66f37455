import Foundation
import MeshCore
import TestSupport
import Testing
import X509

@Suite struct FederationCATests {
    @Test func createsRootAndRefusesToOverwriteIt() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let caDirectory = directory.file("ca")
        let ca = try FederationCA.create()
        try ca.save(directory: caDirectory)

        let root = try PEMLoader.certificate(at: caDirectory + "/ca.crt")
        let constraints = try #require(try root.extensions.basicConstraints)
        #expect(constraints == .isCertificateAuthority(maxPathLength: 0))
        let years = root.notValidAfter.timeIntervalSince(root.notValidBefore) / (365.25 * 24 * 3600)
        #expect(years > 9.99 && years < 10.01)
        #expect(try posixMode(caDirectory + "/ca.key") == 0o600)

        let original = try String(contentsOfFile: caDirectory + "/ca.key", encoding: .utf8)
        #expect {
            try FederationCA.create().save(directory: caDirectory)
        } throws: { error in
            (error as? PKIError)?.code == .alreadyExists
        }
        #expect(try String(contentsOfFile: caDirectory + "/ca.key", encoding: .utf8) == original)
    }

    @Test func issuedNodeCertificateVerifiesWithOpenSSL() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let ca = try FederationCA.create()
        try ca.save(directory: directory.file("ca"))
        let node = try ca.issue(.node(try NodeID("hospital-a")), hosts: ["127.0.0.1", "node-a.example.org", "::1"])
        try node.save(directory: directory.file("a"))

        #expect(try posixMode(directory.file("a/node.key")) == 0o600)
        let verify = try ProcessRunner.run("openssl", ["verify", "-CAfile", directory.file("a/ca.crt"), directory.file("a/node.crt")])
        #expect(verify.status == 0, "\(verify.combinedOutput)")
        #expect(verify.standardOutput.contains(": OK"))

        let text = try ProcessRunner.run("openssl", ["x509", "-in", directory.file("a/node.crt"), "-noout", "-text"]).standardOutput
        #expect(text.contains("URI:urn:oncomesh:node:hospital-a"))
        #expect(text.contains("IP Address:127.0.0.1"))
        #expect(text.contains("DNS:node-a.example.org"))
        #expect(text.contains("IP Address:0:0:0:0:0:0:0:1"))
        #expect(text.contains("TLS Web Server Authentication, TLS Web Client Authentication"))
        #expect(text.contains("ASN1 OID: prime256v1"))
        #expect(text.contains("CA:FALSE"))

        let loaded = try Credential.load(directory: directory.file("a"))
        #expect(try loaded.identity == .node(try NodeID("hospital-a")))
        let days = loaded.certificate.notValidAfter.timeIntervalSince(Date()) / 86400
        #expect(days > 364 && days < 366)
    }

    @Test func issuedResearcherCertificateIsClientOnly() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let ca = try FederationCA.create()
        let researcher = try ca.issue(.researcher(try ResearcherID("dr-who")))
        try ca.save(directory: directory.file("ca"))
        try researcher.save(directory: directory.file("r"))

        let verify = try ProcessRunner.run(
            "openssl", ["verify", "-purpose", "sslclient", "-CAfile", directory.file("r/ca.crt"), directory.file("r/researcher.crt")]
        )
        #expect(verify.status == 0, "\(verify.combinedOutput)")
        let asServer = try ProcessRunner.run(
            "openssl", ["verify", "-purpose", "sslserver", "-CAfile", directory.file("r/ca.crt"), directory.file("r/researcher.crt")]
        )
        #expect(asServer.status != 0, "a researcher certificate must not be usable as a server certificate")
        let text = try ProcessRunner.run("openssl", ["x509", "-in", directory.file("r/researcher.crt"), "-noout", "-text"]).standardOutput
        #expect(text.contains("URI:urn:oncomesh:researcher:dr-who"))
        #expect(text.contains("TLS Web Client Authentication"))
        #expect(!text.contains("TLS Web Server Authentication"))
    }

    @Test func refusesToReplaceAnIdentity() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let ca = try FederationCA.create()
        try ca.issue(.node(try NodeID("a")), hosts: ["127.0.0.1"]).save(directory: directory.path)
        #expect {
            try ca.issue(.node(try NodeID("a")), hosts: ["127.0.0.1"]).save(directory: directory.path)
        } throws: { error in
            (error as? PKIError)?.code == .alreadyExists
        }
    }

    @Test(arguments: ["bad host", "-leading.example", "a..b", ""])
    func refusesInvalidHosts(_ host: String) throws {
        let ca = try FederationCA.create()
        #expect {
            try ca.issue(.node(try NodeID("a")), hosts: [host])
        } throws: { error in
            (error as? PKIError)?.code == .invalidHost
        }
    }

    @Test func loadsOpenSSLMadeCertificatesAndKeys() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try OpenSSL.makeRoot(in: directory.path)
        try OpenSSL.issueLeaf(
            caDirectory: directory.path,
            out: directory.path,
            name: "node",
            subjectAltName: "URI:urn:oncomesh:node:openssl-site,IP:127.0.0.1"
        )
        // The openssl CA key is SEC1 ("EC PRIVATE KEY"), the leaf key PKCS#8 ("PRIVATE KEY").
        let ca = try FederationCA.load(directory: directory.path)
        let credential = try Credential.load(
            certificatePath: directory.file("node.crt"),
            keyPath: directory.file("node.key"),
            caPath: directory.file("ca.crt")
        )
        #expect(try credential.identity == .node(try NodeID("openssl-site")))
        #expect(credential.caCertificate == ca.certificate)

        // An openssl-made CA can issue through `meshnode ca` as well.
        let issued = try ca.issue(.node(try NodeID("b")), hosts: ["localhost"])
        try issued.save(directory: directory.file("b"))
        let verify = try ProcessRunner.run("openssl", ["verify", "-CAfile", directory.file("ca.crt"), directory.file("b/node.crt")])
        #expect(verify.status == 0, "\(verify.combinedOutput)")
    }

    @Test func namesTheFileThatIsNotPEM() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try "not a certificate".write(toFile: directory.file("ca.crt"), atomically: true, encoding: .utf8)
        #expect {
            try PEMLoader.certificate(at: directory.file("ca.crt"))
        } throws: { error in
            guard let error = error as? PKIError else { return false }
            return error.code == .malformedPEM && error.message.contains(directory.file("ca.crt"))
        }
        #expect {
            try PEMLoader.certificate(at: directory.file("missing.crt"))
        } throws: { error in
            (error as? PKIError)?.message.contains("missing.crt") == true
        }
    }

    @Test func refusesCertificatesWithoutOrWithTwoIdentities() throws {
        let ca = try FederationCA.create()
        let none = try ca.issueCustom(
            commonName: "no-san",
            notValidBefore: Date().addingTimeInterval(-60),
            notValidAfter: Date().addingTimeInterval(3600),
            extensions: try Certificate.Extensions { SubjectAlternativeNames([.dnsName("localhost")]) }
        )
        #expect(throws: PKIError.self) { try none.identity }
        let two = try ca.issueCustom(
            commonName: "two",
            notValidBefore: Date().addingTimeInterval(-60),
            notValidAfter: Date().addingTimeInterval(3600),
            extensions: try Certificate.Extensions {
                SubjectAlternativeNames([.uniformResourceIdentifier("urn:oncomesh:node:a"), .uniformResourceIdentifier("urn:oncomesh:node:b")])
            }
        )
        #expect(throws: PKIError.self) { try two.identity }
    }

    private func posixMode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.posixPermissions] as? Int ?? 0) & 0o777
    }
}
