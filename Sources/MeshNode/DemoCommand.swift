import ArgumentParser
import Foundation
import Logging
import MeshCore
import NIOCore
import NIOPosix
import Transport

/// `meshnode demo`: a federation CA, two node identities, and two nodes on loopback that
/// authenticate each other over mutual TLS 1.3 and exchange LZ4-compressed frames.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run two nodes on loopback that exchange compressed frames over mutual TLS."
    )

    @Option(help: "Working directory for the demo's CA and node identities.")
    var dir = "demo-output"

    @Option(help: "Log level: trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .warning

    func run() async throws {
        bootstrapLogging(level: logLevel)

        let caDirectory = dir + "/ca"
        let ca: FederationCA
        if SecureFile.exists(caDirectory + "/" + FederationCA.certificateFileName) {
            ca = try FederationCA.load(directory: caDirectory)
            print("using the federation CA in \(caDirectory)")
        } else {
            ca = try FederationCA.create(commonName: "OncoMesh Demo Federation CA")
            try ca.save(directory: caDirectory)
            print("created federation CA in \(caDirectory)")
        }
        let nodeIDs = [try NodeID("hospital-a"), try NodeID("hospital-b")]
        var credentials: [Credential] = []
        for node in nodeIDs {
            let directory = dir + "/" + node.rawValue
            if !SecureFile.exists(directory + "/node.key") {
                try ca.issue(.node(node), hosts: ["127.0.0.1", "localhost"]).save(directory: directory)
                print("issued node certificate urn:oncomesh:node:\(node) in \(directory)")
            }
            credentials.append(try Credential.load(directory: directory))
        }

        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let a = try MeshTransport(credential: credentials[0], eventLoop: group.next(), logger: Logger(label: "hospital-a"))
        let b = try MeshTransport(credential: credentials[1], eventLoop: group.next(), logger: Logger(label: "hospital-b"))
        let addressA = try await a.listen(host: "127.0.0.1", port: 0)
        let addressB = try await b.listen(host: "127.0.0.1", port: 0)
        print("hospital-a listens on 127.0.0.1:\(addressA.port ?? 0), hospital-b on 127.0.0.1:\(addressB.port ?? 0)")

        let echo = Task { await b.serveEcho() }
        let watchers = [("hospital-a", a), ("hospital-b", b)].map { name, transport in
            Task {
                for await event in transport.events {
                    switch event {
                    case .authenticated(let peer):
                        print("  \(name) authenticated \(peer.identity) (\(peer.inbound ? "inbound" : "outbound"), \(peer.tlsVersion), mutual)")
                    case .refused(let remote, let reason):
                        print("  \(name) refused \(remote): \(reason)")
                    case .closed(let identity, let reason):
                        print("  \(name) closed connection to \(identity): \(reason)")
                    }
                }
            }
        }

        let peer = try await a.connect(to: PeerAddress(host: "127.0.0.1", port: addressB.port ?? 0), expecting: nodeIDs[1])
        print("hospital-a connected to \(peer) over mutual TLS")
        try await Task.sleep(for: .milliseconds(50))

        let payloads: [(String, [UInt8])] = [
            ("100 B status line", Array("node hospital-a ok; catalogue v1; 3 datasets; k=5; modalities CT MR PT US; 1,204 subjects; uptime 9d".utf8.prefix(100))),
            ("4 KiB catalogue excerpt", Self.catalogueText(bytes: 4096)),
            ("64 KiB partial results", Self.catalogueText(bytes: 65536)),
        ]
        print("")
        print("request                         body  frame (a->b)  compressed  round trip")
        for (name, body) in payloads {
            let before = a.statistics.snapshot
            var request = Envelope()
            request.kind = .echo
            request.body = Data(body)
            let start = ContinuousClock.now
            let response = try await a.request(request, to: nodeIDs[1], timeout: .seconds(5))
            let elapsed = ContinuousClock.now - start
            let after = a.statistics.snapshot
            guard response.body == request.body else {
                throw ValidationError("echo of \(name) came back different")
            }
            let wire = after.wireBytesSent - before.wireBytesSent
            let compressed = after.framesSentCompressed > before.framesSentCompressed
            print(
                name.padding(toLength: 28, withPad: " ", startingAt: 0)
                    + String(format: "%8d  %11d  %10@  %7.2f ms", body.count, wire, compressed ? "LZ4" : "no", elapsed.fractionalMilliseconds)
            )
        }
        let statsA = a.statistics.snapshot
        let statsB = b.statistics.snapshot
        print("")
        print("hospital-a sent \(statsA.framesSent) frames: \(statsA.payloadBytesSent) payload bytes as \(statsA.wireBytesSent) bytes on the wire")
        print("hospital-b sent \(statsB.framesSent) frames: \(statsB.payloadBytesSent) payload bytes as \(statsB.wireBytesSent) bytes on the wire")

        await a.shutdown()
        await b.shutdown()
        echo.cancel()
        for watcher in watchers { await watcher.value }
        try await group.shutdownGracefully()
        print("demo finished; identities are in \(dir)")
    }

    /// Text shaped like what nodes exchange (attribute names, codes, counts): repetitive, so
    /// LZ4 has something to find, like real catalogues and partials.
    static func catalogueText(bytes: Int) -> [UInt8] {
        let diagnoses = ["C50", "C61", "C34", "C18", "C20", "C25", "C22", "C71", "C64", "C74"]
        let modalities = ["CT", "MR", "PT", "MG", "US", "CR", "DX", "NM"]
        var text = ""
        var row = 0
        while text.utf8.count < bytes {
            let diagnosis = diagnoses[row % diagnoses.count]
            let modality = modalities[(row / diagnoses.count) % modalities.count]
            text += "{\"diagnosis\":\"\(diagnosis)\",\"modality\":\"\(modality)\",\"studies\":\((row * 37) % 1000),\"subjects\":\((row * 13) % 400)}\n"
            row += 1
        }
        return Array(text.utf8.prefix(bytes))
    }
}
