import Foundation
import TestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

@testable import MeshNode

/// The operator's side of real `meshnode` processes on loopback: the admin listener's
/// health and metrics (checked by `promtool check metrics`, and moving as a query runs),
/// `meshnode members`, the exit status of `meshnode query` for complete and partial results,
/// and the ONCOMESH_* environment variables.
@Suite(.serialized) struct AdminEndpointTests {
    /// Three nodes, each with a small synthetic site, an admin listener and fast gossip.
    final class Nodes: @unchecked Sendable {
        let mesh: MeshFormationTests.Mesh
        let names = ["node-0", "node-1", "node-2"]
        var meshPorts: [String: Int] = [:]
        var adminPorts: [String: Int] = [:]
        let researcher: String

        init() throws {
            mesh = try MeshFormationTests.Mesh()
            researcher = mesh.directory.file("alice")
            let ca = mesh.directory.file("ca")
            try run(["ca", "init", "--dir", ca])
            try run(["ca", "issue-researcher", "--dir", ca, "--id", "alice", "--out", researcher])
            let ports = try MeshFormationTests.freePorts(names.count * 2)
            for (index, name) in names.enumerated() {
                meshPorts[name] = ports[index]
                adminPorts[name] = ports[names.count + index]
                let csv = mesh.directory.file("\(name).csv")
                try run(["synth", "--profile", "general", "--subjects", "300", "--seed", "\(200 + index)", "--out", csv])
                try run([
                    "init", "--node-id", name, "--ca-dir", ca, "--listen", "127.0.0.1:\(ports[index])", "--seeds", "127.0.0.1:\(ports[0])",
                    "--csv", csv, "--k", "5", "--admin-listen", "\(ports[names.count + index])", "--dir", mesh.directory.file(name),
                ])
                var yaml = try String(contentsOfFile: mesh.config(name), encoding: .utf8)
                guard yaml.contains("admin:\n  listen: 127.0.0.1:\(ports[names.count + index])") else {
                    throw TestSupportError("init did not write the admin section:\n\(yaml)")
                }
                yaml += "gossip:\n" + MeshFormationTests.gossip.sorted { $0.key < $1.key }.map { "  \($0.key): \($0.value)\n" }.joined()
                try yaml.write(toFile: mesh.config(name), atomically: true, encoding: .utf8)
            }
        }

        @discardableResult
        func run(_ arguments: [String]) throws -> ProcessResult {
            let result = try ProcessRunner.run(CACommandTests.meshnode, arguments)
            guard result.status == 0 else { throw TestSupportError("meshnode \(arguments.joined(separator: " ")) failed: \(result.combinedOutput)") }
            return result
        }

        /// An admin endpoint's status and body; nil status when nothing answers.
        func get(_ node: String, _ path: String) async -> (status: Int?, body: String) {
            guard let url = URL(string: "http://127.0.0.1:\(adminPorts[node]!)\(path)") else { return (nil, "") }
            do {
                let (data, response) = try await URLSession.shared.data(from: url)
                return ((response as? HTTPURLResponse)?.statusCode, String(decoding: data, as: UTF8.self))
            } catch {
                return (nil, "\(error)")
            }
        }

        /// Polls `path` at `node` until its status is `status`, up to `timeout`.
        func waitFor(_ node: String, _ path: String, status: Int, timeout: Duration) async -> (status: Int?, body: String) {
            let start = ContinuousClock.now
            var last = await get(node, path)
            while last.status != status, ContinuousClock.now - start < timeout {
                try? await Task.sleep(for: .milliseconds(100))
                last = await get(node, path)
            }
            return last
        }

        /// `meshnode query` as alice through `node`, with the connection in the environment.
        func query(_ node: String, _ sql: String, extra: [String] = []) throws -> ProcessResult {
            try ProcessRunner.run(
                CACommandTests.meshnode, ["query", "--format", "json"] + extra + [sql],
                environment: ["ONCOMESH_NODE": "127.0.0.1:\(meshPorts[node]!)", "ONCOMESH_IDENTITY": researcher, "ONCOMESH_CA": researcher + "/ca.crt"]
            )
        }
    }

    /// The value of one series in a Prometheus text exposition (0 when absent).
    static func value(_ text: String, _ series: String) -> Double {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1)) ?? .nan
        }
        return 0
    }

    @Test func healthMetricsMembersAndExitCodes() async throws {
        let nodes = try Nodes()
        defer { nodes.mesh.stopAll() }

        // node-1 alone: it serves, but its seed (node-0) is not up, so it has not joined.
        try nodes.mesh.start("node-1")
        let live = await nodes.waitFor("node-1", "/health/live", status: 200, timeout: .seconds(20))
        #expect(live.status == 200, "\(live.body)")
        let notReady = await nodes.get("node-1", "/health/ready")
        #expect(notReady.status == 503, "\(notReady)")
        #expect(notReady.body.contains("\"status\": \"not ready\"") && notReady.body.contains("not joined"), "\(notReady.body)")
        let missing = await nodes.get("node-1", "/nothing")
        #expect(missing.status == 404)

        // The others start; node-1 joins and becomes ready.
        try nodes.mesh.start("node-0")
        try nodes.mesh.start("node-2")
        let ready = await nodes.waitFor("node-1", "/health/ready", status: 200, timeout: .seconds(20))
        #expect(ready.status == 200 && ready.body.contains("\"status\": \"ready\""), "\(ready)")
        let formed = await nodes.mesh.wait(for: nodes.names, timeout: .seconds(30)) { status in
            status.members.filter { $0.status == "alive" }.count == 3 && status.catalogues.count == 3
        }
        try #require(formed != nil, "the mesh did not form: \(nodes.names.map { nodes.mesh.status($0)?.members.map { "\($0.nodeID)=\($0.status)" } ?? [] })")

        // members, with the node's own identity and as a researcher through the environment.
        let own = try nodes.run(["members", "--config", nodes.mesh.config("node-1"), "--format", "json"])
        let listed = try JSONDecoder().decode([NodeStatus.MemberEntry].self, from: Data(own.standardOutput.utf8))
        #expect(listed.map(\.nodeID) == nodes.names && listed.allSatisfy { $0.status == "alive" }, "\(own.standardOutput)")
        let asResearcher = try ProcessRunner.run(
            CACommandTests.meshnode, ["members"],
            environment: ["ONCOMESH_NODE": "127.0.0.1:\(nodes.meshPorts["node-2"]!)", "ONCOMESH_IDENTITY": nodes.researcher, "ONCOMESH_CA": nodes.researcher + "/ca.crt"]
        )
        #expect(asResearcher.status == 0, "\(asResearcher.combinedOutput)")
        let rows = asResearcher.standardOutput.split(separator: "\n")
        #expect(rows.first?.hasPrefix("NODE") == true && rows.count == 4 && rows.dropFirst().allSatisfy { $0.contains(" alive ") }, "\(asResearcher.standardOutput)")

        // /metrics passes promtool, and moves as a query runs.
        let before = (origin: await nodes.get("node-0", "/metrics").body, provider: await nodes.get("node-1", "/metrics").body)
        let check = try ProcessRunner.run("promtool", ["check", "metrics"], input: Data(before.origin.utf8))
        #expect(check.status == 0, "promtool check metrics: \(check.combinedOutput)")
        #expect(Self.value(before.origin, "oncomesh_members{state=\"alive\"}") == 3, "\(before.origin)")
        #expect(Self.value(before.origin, "oncomesh_catalogues_held") == 3)
        #expect(Self.value(before.origin, "oncomesh_messages_total{direction=\"sent\",kind=\"membership\"}") > 0)
        #expect(Self.value(before.origin, "oncomesh_swim_probes_sent_total{kind=\"direct\"}") > 0)

        let complete = try nodes.query("node-0", "SELECT COUNT(DISTINCT subject) FROM cases GROUP BY sex")
        #expect(complete.status == 0, "a complete result exits 0: \(complete.combinedOutput)")
        #expect(complete.standardOutput.contains("\"answered\": [\"node-0\", \"node-1\", \"node-2\"]"), "\(complete.standardOutput)")
        let after = (origin: await nodes.get("node-0", "/metrics").body, provider: await nodes.get("node-1", "/metrics").body)
        for (series, text, old) in [
            ("oncomesh_query_duration_seconds_count", after.origin, before.origin),
            ("oncomesh_queries_total{outcome=\"released\"}", after.origin, before.origin),
            ("oncomesh_plans_executed_total", after.origin, before.origin),
            ("oncomesh_audit_rows_written_total{kind=\"submission\"}", after.origin, before.origin),
            ("oncomesh_plans_received_total", after.provider, before.provider),
            ("oncomesh_plans_executed_total", after.provider, before.provider),
            ("oncomesh_audit_rows_written_total{kind=\"plan\"}", after.provider, before.provider),
        ] {
            #expect(Self.value(text, series) == Self.value(old, series) + 1, "\(series): \(Self.value(old, series)) -> \(Self.value(text, series))")
        }
        #expect(Self.value(after.provider, "oncomesh_partial_bytes_sent_total") > Self.value(before.provider, "oncomesh_partial_bytes_sent_total"))
        #expect(Self.value(after.origin, "oncomesh_messages_total{direction=\"sent\",kind=\"query_plan\"}") >= 1, "\(after.origin)")
        let recheck = try ProcessRunner.run("promtool", ["check", "metrics"], input: Data(after.provider.utf8))
        #expect(recheck.status == 0, "promtool check metrics: \(recheck.combinedOutput)")

        // A query the origin cannot plan is an error: exit 1.
        let invalid = try nodes.query("node-0", "SELECT COUNT(*) FROM cases GROUP BY modaliti")
        #expect(invalid.status == 1, "\(invalid.combinedOutput)")

        // node-2 killed: the result is partial (it failed or timed out), exit 2, printed all the same.
        nodes.mesh.processes["node-2"]?.kill()
        let partial = try nodes.query("node-0", "SELECT COUNT(DISTINCT subject) FROM cases GROUP BY sex", extra: ["--timeout", "5"])
        #expect(partial.status == 2, "a partial result exits 2: \(partial.combinedOutput)")
        #expect(partial.standardOutput.contains("\"node-2\""), "\(partial.standardOutput)")
    }
}
