import Foundation
import MeshCore
import NIOCore
import SwiftASN1
import TestSupport
import Testing
import X509

@testable import Transport

/// The mutual-TLS matrix over real loopback sockets, with `openssl s_client` as the client:
/// a TLS implementation that is not ours decides nothing for us.
@Suite(.serialized) struct MutualTLSTests {
    func sClient(port: Int, files: (certificate: String, key: String, ca: String)?, caFile: String, extra: [String] = ["-tls1_3"])
        throws -> InteractiveProcess
    {
        var arguments = ["s_client", "-connect", "127.0.0.1:\(port)", "-CAfile", caFile, "-verify_return_error", "-brief"] + extra
        if let files { arguments += ["-cert", files.certificate, "-key", files.key] }
        return try InteractiveProcess("openssl", arguments)
    }

    @Test func refusesEveryBadClientAndKeepsServing() async throws {
        let federation = try TestFederation()
        let server = try federation.transport(try federation.node("server"))
        let events = EventRecorder(server)
        let port = try #require(try await server.listen(host: "127.0.0.1", port: 0).port)
        let caFile = try federation.write(try federation.node("unused"), as: "unused").ca

        let otherCA = try FederationCA.create(commonName: "Some Other CA")
        let now = Date()
        let valid = try federation.write(try federation.node("client-a"), as: "valid")
        let cases: [(name: String, files: (certificate: String, key: String, ca: String)?, extra: [String], reason: String)] = [
            ("no client certificate", nil, ["-tls1_3"], "CERTIFICATE"),
            ("certificate from another CA", try federation.write(try otherCA.issue(.node(try NodeID("client-a")), hosts: ["127.0.0.1"]), as: "other-ca"), ["-tls1_3"], "CERTIFICATE_VERIFY_FAILED"),
            (
                "expired certificate",
                try federation.write(
                    try federation.ca.issue(.node(try NodeID("client-a")), notValidBefore: now.addingTimeInterval(-7200), notValidAfter: now.addingTimeInterval(-3600)),
                    as: "expired"
                ), ["-tls1_3"], "CERTIFICATE_VERIFY_FAILED"
            ),
            (
                "not yet valid certificate",
                try federation.write(
                    try federation.ca.issue(.node(try NodeID("client-a")), notValidBefore: now.addingTimeInterval(3600), notValidAfter: now.addingTimeInterval(7200)),
                    as: "future"
                ), ["-tls1_3"], "CERTIFICATE_VERIFY_FAILED"
            ),
            (
                "certificate without SAN URI",
                try federation.write(
                    try federation.ca.issueCustom(
                        commonName: "client-a",
                        notValidBefore: now.addingTimeInterval(-60),
                        notValidAfter: now.addingTimeInterval(3600),
                        extensions: try Certificate.Extensions {
                            Critical(BasicConstraints.notCertificateAuthority)
                            try ExtendedKeyUsage([.serverAuth, .clientAuth])
                            SubjectAlternativeNames([.dnsName("localhost"), .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1]))])
                        }
                    ),
                    as: "no-uri"
                ), ["-tls1_3"], "no urn:oncomesh"
            ),
            ("TLS 1.2", valid, ["-tls1_2"], "UNSUPPORTED_PROTOCOL"),
        ]

        for testCase in cases {
            let before = events.events.count
            let client = try sClient(port: port, files: testCase.files, caFile: caFile, extra: testCase.extra)
            let refused = await events.waitFor { event in
                guard case .refused = event else { return false }
                return events.events.firstIndex(of: event).map { $0 >= before } ?? false
            }
            let output = client.finish()
            guard case .refused(_, let reason) = refused else {
                Issue.record("\(testCase.name): no refusal; openssl said: \(output.combinedOutput)")
                continue
            }
            #expect(reason.contains(testCase.reason), "\(testCase.name): reason was '\(reason)'")
            #expect(!events.events.dropFirst(before).contains { if case .authenticated = $0 { true } else { false } }, "\(testCase.name)")
        }

        // The server still serves: a valid node certificate gets in, with its node ID seen.
        let client = try sClient(port: port, files: valid, caFile: caFile)
        let authenticated = await events.waitFor { if case .authenticated = $0 { true } else { false } }
        let output = client.finish()
        guard case .authenticated(let peer) = authenticated else {
            Issue.record("valid client was not authenticated; openssl said: \(output.combinedOutput)")
            await federation.shutdown()
            return
        }
        #expect(peer.identity == .node(try NodeID("client-a")))
        #expect(peer.tlsVersion == "TLS 1.3")
        #expect(peer.inbound)
        #expect(output.combinedOutput.contains("TLSv1.3"), "\(output.combinedOutput)")
        await federation.shutdown()
    }

    @Test func researcherCertificateIsSeenAsAResearcher() async throws {
        let federation = try TestFederation()
        let server = try federation.transport(try federation.node("server"))
        let events = EventRecorder(server)
        let port = try #require(try await server.listen(host: "127.0.0.1", port: 0).port)
        let researcher = try federation.write(try federation.ca.issue(.researcher(try ResearcherID("dr-lee"))), as: "researcher")
        let client = try sClient(port: port, files: researcher, caFile: researcher.ca)
        let event = await events.waitFor { if case .authenticated = $0 { true } else { false } }
        _ = client.finish()
        guard case .authenticated(let peer) = event else {
            Issue.record("researcher was not authenticated")
            await federation.shutdown()
            return
        }
        #expect(peer.identity == .researcher(try ResearcherID("dr-lee")))
        await federation.shutdown()
    }

    @Test func openSSLMadeNodeCertificatesWork() async throws {
        let federation = try TestFederation()
        let pki = try TemporaryDirectory("oncomesh-openssl")
        defer { pki.remove() }
        try OpenSSL.makeRoot(in: pki.path)
        for name in ["server", "client"] {
            try OpenSSL.issueLeaf(caDirectory: pki.path, out: pki.path, name: name, subjectAltName: "URI:urn:oncomesh:node:openssl-\(name),IP:127.0.0.1")
        }
        let server = try federation.transport(
            try Credential.load(certificatePath: pki.file("server.crt"), keyPath: pki.file("server.key"), caPath: pki.file("ca.crt"))
        )
        let events = EventRecorder(server)
        let port = try #require(try await server.listen(host: "127.0.0.1", port: 0).port)
        let client = try sClient(port: port, files: (pki.file("client.crt"), pki.file("client.key"), pki.file("ca.crt")), caFile: pki.file("ca.crt"))
        let event = await events.waitFor { if case .authenticated = $0 { true } else { false } }
        _ = client.finish()
        guard case .authenticated(let peer) = event else {
            Issue.record("openssl-made node certificate was not authenticated")
            await federation.shutdown()
            return
        }
        #expect(peer.identity == .node(try NodeID("openssl-client")))
        await federation.shutdown()
    }

    /// An authenticated peer that sends garbage loses its connection, with the reason logged;
    /// the server goes on serving others.
    @Test func malformedFramesCloseOnlyThatConnection() async throws {
        let federation = try TestFederation()
        let server = try federation.transport(try federation.node("server"))
        let events = EventRecorder(server)
        let port = try #require(try await server.listen(host: "127.0.0.1", port: 0).port)
        let files = try federation.write(try federation.node("rogue"), as: "rogue")
        let inputs: [(bytes: [UInt8], reason: String)] = [
            ([0xFF, 0xFF, 0xFF, 0xFF, 0x00], "exceeds the maximum"),
            ([0x00, 0x00, 0x00, 0x02, 0x80, 0x01, 0x02], "reserved bits"),
            ([0x00, 0x00, 0x00, 0x04, 0x01, 0x01, 0x02, 0x03, 0x04], "compressed frame refused"),
            ([0x00, 0x00, 0x00, 0x03, 0x00, 0xFF, 0xFF, 0xFF], "not a valid Envelope"),
        ]
        for input in inputs {
            let before = events.events.count
            let client = try sClient(port: port, files: files, caFile: files.ca)
            _ = await events.waitFor { event in
                if case .authenticated = event { return events.events.firstIndex(of: event).map { $0 >= before } ?? false }
                return false
            }
            client.write(Data(input.bytes))
            let closed = await events.waitFor { event in
                if case .closed = event { return events.events.firstIndex(of: event).map { $0 >= before } ?? false }
                return false
            }
            _ = client.finish()
            guard case .closed(let identity, let reason) = closed else {
                Issue.record("connection sending \(input.bytes) was not closed")
                continue
            }
            #expect(identity == .node(try NodeID("rogue")))
            #expect(reason.contains(input.reason), "reason was '\(reason)'")
        }
        // Still serving.
        let client = try federation.transport(try federation.node("client"))
        _ = federation.serveEcho(server)
        let peer = try await client.connect(to: PeerAddress(host: "127.0.0.1", port: port))
        #expect(peer == .node(try NodeID("server")))
        await federation.shutdown()
    }
}
