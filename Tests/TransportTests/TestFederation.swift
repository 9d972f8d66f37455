import Foundation
import Logging
import MeshCore
import NIOCore
import NIOPosix
import TestSupport
import X509

@testable import Transport

/// A federation CA, credentials on disk for command-line clients, and transports on
/// loopback, for the tests of this target.
final class TestFederation: @unchecked Sendable {
    let ca: FederationCA
    let directory: TemporaryDirectory
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
    private var transports: [MeshTransport] = []

    init() throws {
        ca = try FederationCA.create(commonName: "Test Federation CA")
        directory = try TemporaryDirectory("oncomesh-transport")
    }

    func node(_ id: String) throws -> Credential {
        try ca.issue(.node(try NodeID(id)), hosts: ["127.0.0.1", "localhost"])
    }

    /// Writes a credential as `name.crt`, `name.key` and `ca.crt` for openssl.
    func write(_ credential: Credential, as name: String) throws -> (certificate: String, key: String, ca: String) {
        let certificate = directory.file(name + ".crt")
        let key = directory.file(name + ".key")
        let caPath = directory.file(name + "-ca.crt")
        try credential.certificate.serializeAsPEM().pemString.write(toFile: certificate, atomically: true, encoding: .utf8)
        try credential.privateKey.serializeAsPEM().pemString.write(toFile: key, atomically: true, encoding: .utf8)
        try credential.caCertificate.serializeAsPEM().pemString.write(toFile: caPath, atomically: true, encoding: .utf8)
        return (certificate, key, caPath)
    }

    func transport(_ credential: Credential, settings: TransportSettings = TransportSettings(), seed: UInt64 = 1) throws -> MeshTransport {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let transport = try MeshTransport(
            credential: credential,
            settings: settings,
            eventLoop: group.next(),
            logger: logger,
            random: SeededRandom(seed: seed)
        )
        transports.append(transport)
        return transport
    }

    /// The transport created for the node with this ID, if any.
    func transportNamed(_ id: String) -> MeshTransport? {
        transports.first { $0.localIdentity.idString == id }
    }

    /// Starts an echo responder on `transport`'s requests.
    func serveEcho(_ transport: MeshTransport) -> Task<Void, Never> {
        Task { await transport.serveEcho() }
    }

    func shutdown() async {
        for transport in transports { await transport.shutdown() }
        try? await group.shutdownGracefully()
        directory.remove()
    }
}

/// Collects a transport's connection events so that tests can wait for one.
final class EventRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [ConnectionEvent] = []
    private var task: Task<Void, Never>?

    init(_ transport: MeshTransport) {
        task = Task { [weak self] in
            for await event in transport.events {
                self?.append(event)
            }
        }
    }

    private func append(_ event: ConnectionEvent) {
        lock.lock()
        recorded.append(event)
        lock.unlock()
    }

    var events: [ConnectionEvent] {
        lock.lock()
        defer { lock.unlock() }
        return recorded
    }

    /// Waits until an event matches (polling the recorded list), up to `timeout`.
    func waitFor(timeout: Duration = .seconds(10), _ matches: (ConnectionEvent) -> Bool) async -> ConnectionEvent? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let event = events.first(where: matches) { return event }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    func refusals() -> [String] {
        events.compactMap { if case .refused(_, let reason) = $0 { reason } else { nil } }
    }
}
