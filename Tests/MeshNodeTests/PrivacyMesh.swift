import Foundation
import GRDB
import TestSupport
import Testing

@testable import MeshNode

/// A federation of real `meshnode` processes for the privacy suites: synthetic sites made
/// with `meshnode synth` and `meshnode init`, each with its policy set through the
/// configuration type and a fixed record-key secret (so that the noise, a function of the
/// records and the secrets, is the same on every run), plus an oracle over all the sites'
/// exports for the true values the attacks try to recover.
final class PrivacyMesh: @unchecked Sendable {
    struct Site: Sendable {
        var name: String
        var profile = "general"
        var subjects: Int
        var seed: Int
        var configure: @Sendable (inout NodeConfig.Policy) -> Void = { _ in }
    }

    let mesh: MeshFormationTests.Mesh
    let oracle: FederatedQueryTests.Oracle
    let ports: [String: Int]
    let sites: [Site]
    let ca: String

    private init(mesh: MeshFormationTests.Mesh, oracle: FederatedQueryTests.Oracle, ports: [String: Int], sites: [Site], ca: String) {
        self.mesh = mesh
        self.oracle = oracle
        self.ports = ports
        self.sites = sites
        self.ca = ca
    }

    static func start(_ sites: [Site], researchers: [String] = ["alice"]) async throws -> PrivacyMesh {
        let mesh = try MeshFormationTests.Mesh()
        do {
            let ca = mesh.directory.file("ca")
            try run(["ca", "init", "--dir", ca])
            for researcher in researchers {
                try run(["ca", "issue-researcher", "--dir", ca, "--id", researcher, "--out", mesh.directory.file(researcher)])
            }
            let portList = try MeshFormationTests.freePorts(sites.count)
            let ports = Dictionary(uniqueKeysWithValues: zip(sites.map(\.name), portList))
            for (index, site) in sites.enumerated() {
                let csv = mesh.directory.file("\(site.name).csv")
                try run(["synth", "--profile", site.profile, "--subjects", String(site.subjects), "--seed", String(site.seed), "--out", csv])
                try run([
                    "init", "--node-id", site.name, "--ca-dir", ca, "--listen", "127.0.0.1:\(portList[index])", "--seeds", "127.0.0.1:\(portList[0])",
                    "--csv", csv, "--dir", mesh.directory.file(site.name),
                ])
                var config = try NodeConfig.load(path: mesh.config(site.name))
                site.configure(&config.policy)
                config.gossip.probeIntervalMilliseconds = 200
                config.gossip.pingTimeoutMilliseconds = 100
                config.gossip.pushPullIntervalMilliseconds = 2000
                try config.yaml().write(toFile: mesh.config(site.name), atomically: true, encoding: .utf8)
                // A fixed secret per site: the runs of this suite see the same noise.
                let secret = Data((0..<32).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ index &* 101 &+ 7) }).base64EncodedString()
                try (secret + "\n").write(toFile: mesh.directory.file("\(site.name)/\(RecordKeyFile.fileName)"), atomically: true, encoding: .utf8)
            }
            let oracle = try FederatedQueryTests.Oracle(csvFiles: sites.map { ($0.name, mesh.directory.file("\($0.name).csv")) })
            for site in sites { try mesh.start(site.name) }
            let names = sites.map(\.name)
            let formed = await mesh.wait(for: names, timeout: .seconds(30)) { status in
                status.members.filter { $0.status == "alive" }.count == names.count && Set(status.catalogues.map(\.nodeID)) == Set(names)
            }
            guard formed != nil else { throw TestSupportError("the privacy mesh did not form") }
            return PrivacyMesh(mesh: mesh, oracle: oracle, ports: ports, sites: sites, ca: ca)
        } catch {
            mesh.stopAll()
            throw error
        }
    }

    func stop() { mesh.stopAll() }

    /// `meshnode query --format json` as `researcher` through `origin`.
    func ask(_ sql: String, at origin: String, as researcher: String = "alice") throws -> FederatedQueryTests.Answer {
        let identity = mesh.directory.file(researcher)
        let result = try ProcessRunner.run(
            CACommandTests.meshnode,
            ["query", "--node", "127.0.0.1:\(ports[origin]!)", "--identity", identity, "--ca", identity + "/ca.crt", "--format", "json", sql]
        )
        // 2: a partial result, printed like a complete one.
        guard result.status == 0 || result.status == 2 else { throw TestSupportError("meshnode query through \(origin) failed (\(result.status)): \(result.combinedOutput)\nquery: \(sql)") }
        return try FederatedQueryTests.Answer(decoding: result.standardOutput, origin: origin)
    }

    /// Kills `node` and starts it again from its folder; returns once the others see it alive.
    func restart(_ node: String) async throws {
        mesh.processes[node]?.kill()
        let restarted = Date()
        try mesh.start(node)
        let names = sites.map(\.name)
        let back = await mesh.wait(for: names, timeout: .seconds(15)) { status in
            status.updatedAt > restarted.addingTimeInterval(0.5) && MeshFormationTests.state(status, of: node) == "alive"
                && Set(status.catalogues.map(\.nodeID)) == Set(names)
        }
        guard back != nil else { throw TestSupportError("\(node) did not rejoin after its restart") }
    }

    /// An integer from the oracle's SQL over every site's export.
    func truth(_ sql: String, _ arguments: StatementArguments = StatementArguments()) throws -> Int {
        try oracle.database.read { db in try Int.fetchOne(db, sql: sql, arguments: arguments) ?? 0 }
    }

    @discardableResult
    static func run(_ arguments: [String]) throws -> ProcessResult {
        let result = try ProcessRunner.run(CACommandTests.meshnode, arguments)
        guard result.status == 0 else { throw TestSupportError("meshnode \(arguments.joined(separator: " ")) failed: \(result.combinedOutput)") }
        return result
    }
}

extension FederatedQueryTests.Answer {
    /// The number in `row`, `column`, or nil when the value is suppressed ("<K") or not a number.
    func number(row: Int, column: String) -> Double? {
        guard let index = columns.firstIndex(of: column), case .number(let value) = rows[row][index] else { return nil }
        return value
    }

    /// The row whose first value is `label`.
    func row(labelled label: String) -> Int? {
        rows.firstIndex { $0.first == .text(label) }
    }
}
