import Foundation
import MeshCore
import TestSupport
import Testing

@testable import MeshNode

/// Real `meshnode` processes on loopback: the mesh forms through one seed, detects a crash,
/// takes a restarted node back, tells a leave from a death, and keeps strangers out.
@Suite(.serialized) struct MeshFormationTests {
    /// Fast gossip so that the test takes seconds: 200 ms probes, 100 ms ping timeout.
    static let gossip = ["probe_interval_ms": 200, "ping_timeout_ms": 100, "push_pull_interval_ms": 2000]

    final class Mesh: @unchecked Sendable {
        let directory: TemporaryDirectory
        var processes: [String: InteractiveProcess] = [:]
        /// When the nodes run on test hosts: each node's host.
        let hosts: HostBed?
        var hostOf: [String: Int] = [:]

        init(hosts: HostBed? = nil) throws {
            directory = try TemporaryDirectory("oncomesh-mesh")
            self.hosts = hosts
        }

        func config(_ node: String) -> String { directory.file("\(node)/node.yaml") }

        func initialise(_ node: String, port: Int, seed: Int, caDirectory: String) throws {
            let result = try ProcessRunner.run(
                CACommandTests.meshnode,
                ["init", "--node-id", node, "--ca-dir", caDirectory, "--listen", "127.0.0.1:\(port)", "--seeds", "127.0.0.1:\(seed)", "--dir", directory.file(node)]
            )
            guard result.status == 0 else { throw TestSupportError("init \(node) failed: \(result.combinedOutput)") }
            var yaml = try String(contentsOfFile: config(node), encoding: .utf8)
            yaml += "gossip:\n" + MeshFormationTests.gossip.sorted { $0.key < $1.key }.map { "  \($0.key): \($0.value)\n" }.joined()
            try yaml.write(toFile: config(node), atomically: true, encoding: .utf8)
        }

        func start(_ node: String) throws {
            let arguments = ["run", "--config", config(node), "--log-level", "warning"]
            if let hosts, let host = hostOf[node] {
                let command = hosts.command(on: host, try ProcessRunner.resolve(CACommandTests.meshnode), arguments)
                processes[node] = try InteractiveProcess(command.executable, command.arguments)
            } else {
                processes[node] = try InteractiveProcess(CACommandTests.meshnode, arguments)
            }
        }

        func status(_ node: String) -> NodeStatus? {
            try? NodeStatus.read(fromDirectory: directory.file(node))
        }

        /// Polls until `condition` holds for the statuses of `observers`, up to `timeout`.
        func wait(for observers: [String], timeout: Duration, _ condition: (NodeStatus) -> Bool) async -> Duration? {
            let start = ContinuousClock.now
            while ContinuousClock.now - start < timeout {
                if observers.allSatisfy({ status($0).map(condition) ?? false }) { return ContinuousClock.now - start }
                try? await Task.sleep(for: .milliseconds(50))
            }
            return nil
        }

        func stopAll() {
            for process in processes.values { process.kill() }
            processes.removeAll()
            directory.remove()
        }
    }

    static func freePorts(_ count: Int) throws -> [Int] {
        var sockets: [Int32] = []
        var ports: [Int] = []
        defer { sockets.forEach { close($0) } }
        for _ in 0..<count {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
            _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
            sockets.append(fd)
            ports.append(Int(UInt16(bigEndian: address.sin_port)))
        }
        return ports
    }

    static func state(_ status: NodeStatus, of node: String) -> String? {
        status.members.first { $0.nodeID == node }?.status
    }

    /// A CA and `count` nodes started through the first as seed; returns once every node
    /// lists every other as alive and holds every verified catalogue (nil: it did not).
    static func formMesh(_ mesh: Mesh, count: Int) async throws -> (ca: String, names: [String], formed: Duration?) {
        let ca = mesh.directory.file("ca")
        _ = try ProcessRunner.run(CACommandTests.meshnode, ["ca", "init", "--dir", ca])
        let names = (0..<count).map { "node-\($0)" }
        let ports = try freePorts(names.count)
        for (index, name) in names.enumerated() {
            try mesh.initialise(name, port: ports[index], seed: ports[0], caDirectory: ca)
        }
        for name in names { try mesh.start(name) }
        // A bound on liveness, not a speed target: formation takes a few seconds, and far
        // longer only when the machine is busy with other test processes.
        let formed = await mesh.wait(for: names, timeout: .seconds(30)) { status in
            names.allSatisfy { state(status, of: $0) == "alive" } && Set(status.catalogues.map(\.nodeID)) == Set(names)
        }
        return (ca, names, formed)
    }

    @Test func eightNodesFormDetectACrashTakeItBackAndSeeALeave() async throws {
        let mesh = try Mesh()
        defer { mesh.stopAll() }
        // Formation: everyone lists everyone as alive and holds every verified catalogue.
        let (ca, names, formed) = try await Self.formMesh(mesh, count: 8)
        #expect(
            formed != nil,
            "the mesh did not form: \(names.map { name in mesh.status(name).map { "\(name): \($0.members.map { "\($0.nodeID)=\($0.status)" }), \($0.catalogues.count) catalogues" } ?? "\(name): no status" })"
        )
        guard let formed else { return }
        print("mesh formation: 8 nodes through one seed, all alive with all 8 verified catalogues everywhere after \(formed) (settings \(Self.gossip))")

        // Revocation: the CA revokes node-6; handed to one node, the list spreads and every
        // node drops node-6's catalogue.
        let revoked = names[6]
        let revoke = try ProcessRunner.run(CACommandTests.meshnode, ["ca", "revoke", "--dir", ca, "--cert", mesh.directory.file("\(revoked)/node.crt")])
        #expect(revoke.status == 0, "\(revoke.combinedOutput)")
        let publish = try ProcessRunner.run(
            CACommandTests.meshnode, ["revocations", "publish", "--config", mesh.config(names[0]), "--file", ca + "/revocations.pem"]
        )
        #expect(publish.status == 0, "\(publish.combinedOutput)")
        let dropped = await mesh.wait(for: names.filter { $0 != revoked }, timeout: .seconds(10)) { status in
            !status.catalogues.contains { $0.nodeID == revoked }
        }
        #expect(dropped != nil, "the revoked node's catalogue is still held")
        // Its connections are refused, so it fails its probes and is declared dead.
        let excluded = await mesh.wait(for: names.filter { $0 != revoked }, timeout: .seconds(20)) { status in
            Self.state(status, of: revoked) == "dead"
        }
        #expect(excluded != nil, "the revoked node is still a member: \(names.map { mesh.status($0).flatMap { Self.state($0, of: revoked) } ?? "?" })")
        mesh.processes[revoked]?.kill()
        let remaining = names.filter { $0 != revoked }

        // A crash (SIGKILL) is detected by every other node.
        let victim = remaining[4]
        let survivors = remaining.filter { $0 != victim }
        mesh.processes[victim]?.kill()
        let detected = await mesh.wait(for: survivors, timeout: .seconds(20)) { Self.state($0, of: victim) == "dead" }
        #expect(detected != nil, "\(victim) was not marked dead by all: \(survivors.map { Self.state(mesh.status($0)!, of: victim) ?? "?" })")
        if let detected { print("crash detection: SIGKILLed node dead in every other node's view after \(detected)") }

        // Restarted, it rejoins with a higher incarnation.
        let deadIncarnation = mesh.status(survivors[0])?.members.first { $0.nodeID == victim }?.incarnation ?? 0
        try mesh.start(victim)
        let rejoined = await mesh.wait(for: survivors, timeout: .seconds(10)) { status in
            guard let entry = status.members.first(where: { $0.nodeID == victim }) else { return false }
            return entry.status == "alive" && entry.incarnation > deadIncarnation
        }
        #expect(rejoined != nil, "\(victim) did not rejoin: \(survivors.map { mesh.status($0)?.members.first { $0.nodeID == victim }.map { "\($0.status)/\($0.incarnation)" } ?? "?" }), its own view: \(mesh.status(victim)?.members.map { "\($0.nodeID)=\($0.status)" } ?? [])")

        // SIGTERM: seen as left, not dead.
        let leaver = remaining[3]
        let others = remaining.filter { $0 != leaver }
        mesh.processes[leaver]?.terminate()
        let left = await mesh.wait(for: others, timeout: .seconds(10)) { Self.state($0, of: leaver) == "left" }
        #expect(left != nil, "\(leaver) was not seen as left: \(others.map { Self.state(mesh.status($0)!, of: leaver) ?? "?" })")
    }

    /// A node that is down while a revocation list is published gets it when it rejoins:
    /// its seed sees the older list version in its digest and hands the list over, so it
    /// drops the revoked node's catalogue and refuses its connections.
    @Test func aNodeDownDuringARevocationLearnsItWhenItRejoins() async throws {
        let mesh = try Mesh()
        defer { mesh.stopAll() }
        let (ca, names, formed) = try await Self.formMesh(mesh, count: 4)
        #expect(formed != nil, "the mesh did not form")
        let (revoked, absent) = (names[2], names[3])
        mesh.processes[absent]?.kill()
        // Published only once every live node sees the absent one dead, so that no flood
        // and no queued message can reach it: only anti-entropy can.
        let gone = await mesh.wait(for: [names[0], names[1], names[2]], timeout: .seconds(20)) { Self.state($0, of: absent) == "dead" }
        #expect(gone != nil, "\(absent) was not declared dead")
        let revoke = try ProcessRunner.run(
            CACommandTests.meshnode, ["ca", "revoke", "--dir", ca, "--cert", mesh.directory.file("\(revoked)/node.crt"), "--next-update-days", "3"]
        )
        #expect(revoke.status == 0, "\(revoke.combinedOutput)")
        let publish = try ProcessRunner.run(CACommandTests.meshnode, ["revocations", "publish", "--config", mesh.config(names[0]), "--file", ca + "/revocations.pem"])
        #expect(publish.status == 0, "\(publish.combinedOutput)")
        let dropped = await mesh.wait(for: [names[0], names[1]], timeout: .seconds(10)) { status in !status.catalogues.contains { $0.nodeID == revoked } }
        #expect(dropped != nil, "the live nodes still hold the revoked node's catalogue")

        // The absent node comes back: within one anti-entropy round it refuses the revoked one.
        let restarted = Date()
        try mesh.start(absent)
        let learned = await mesh.wait(for: [absent], timeout: .seconds(15)) { status in
            status.updatedAt > restarted.addingTimeInterval(0.5) && !status.catalogues.contains { $0.nodeID == revoked }
                && Self.state(status, of: names[0]) == "alive" && Self.state(status, of: revoked) != "alive"
                && FileManager.default.fileExists(atPath: mesh.directory.file("\(absent)/revocations.pem"))
        }
        #expect(
            learned != nil,
            "\(absent) after rejoining: catalogues \(mesh.status(absent)?.catalogues.map(\.nodeID) ?? []), \(revoked) \(mesh.status(absent).flatMap { Self.state($0, of: revoked) } ?? "?")"
        )

        // Every node reports the list it holds, fresh: three days from its next update.
        let list = try FederationCA.load(directory: ca).loadRevocationList(directory: ca)
        for node in [names[0], absent] {
            let answer = try ProcessRunner.run(CACommandTests.meshnode, ["status", "--config", mesh.config(node), "--format", "json"])
            #expect(answer.status == 0, "\(answer.combinedOutput)")
            let status = try NodeStatus.decoded(Data(answer.standardOutput.utf8))
            #expect(status.revocationListVersion == list.version)
            // The status JSON has whole seconds.
            let nextUpdate = UnixMilliseconds.date(list.nextUpdateMilliseconds)
            #expect(status.revocationListNextUpdate.map { abs($0.timeIntervalSince(nextUpdate)) < 1 } == true, "\(node): \(String(describing: status.revocationListNextUpdate)), not \(nextUpdate)")
            #expect(status.revocationsStale == false)
        }
        let table = try ProcessRunner.run(CACommandTests.meshnode, ["status", "--config", mesh.config(absent)])
        #expect(table.standardOutput.contains("revocation list version \(list.version), issued "), "\(table.combinedOutput)")
        #expect(!table.standardOutput.contains("STALE"), "\(table.combinedOutput)")
    }

    @Test func aNodeFromAnotherCANeverJoins() async throws {
        let mesh = try Mesh()
        defer { mesh.stopAll() }
        let ca = mesh.directory.file("ca")
        let otherCA = mesh.directory.file("other-ca")
        _ = try ProcessRunner.run(CACommandTests.meshnode, ["ca", "init", "--dir", ca])
        _ = try ProcessRunner.run(CACommandTests.meshnode, ["ca", "init", "--dir", otherCA])
        let ports = try Self.freePorts(3)
        try mesh.initialise("node-a", port: ports[0], seed: ports[1], caDirectory: ca)
        try mesh.initialise("node-b", port: ports[1], seed: ports[0], caDirectory: ca)
        try mesh.initialise("stranger", port: ports[2], seed: ports[0], caDirectory: otherCA)
        for name in ["node-a", "node-b", "stranger"] { try mesh.start(name) }
        let formed = await mesh.wait(for: ["node-a", "node-b"], timeout: .seconds(10)) { status in
            Self.state(status, of: "node-a") == "alive" && Self.state(status, of: "node-b") == "alive"
        }
        #expect(formed != nil)
        try await Task.sleep(for: .seconds(2))
        for name in ["node-a", "node-b"] {
            #expect(Self.state(mesh.status(name)!, of: "stranger") == nil, "\(name) lists the stranger")
        }
        #expect(mesh.status("stranger")?.members.map(\.nodeID) == ["stranger"])
    }
}
