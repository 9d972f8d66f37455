import ArgumentParser
import Foundation
import MeshCore
import Transport

/// `meshnode init`: a ready node folder — configuration, certificate and key issued by the
/// federation CA, and the site database (imported from a CSV export when one is given).
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a ready node folder: node.yaml, certificate, key and site database."
    )

    @Option(name: .customLong("node-id"), help: "Node ID: 1-63 characters from a-z, 0-9 and '-'.")
    var nodeID: String

    @Option(name: .customLong("ca-dir"), help: "The federation CA directory (from `meshnode ca init`).")
    var caDirectory: String

    @Option(help: "Address to listen on, HOST:PORT.")
    var listen: String

    @Option(help: "Address peers dial, HOST:PORT (default: the listen address).")
    var advertise: String?

    @Option(help: "Comma-separated HOST:PORT addresses of nodes to join through.")
    var seeds: String = ""

    @Option(help: "A CSV export to import into the node's database.")
    var csv: String?

    @Option(name: .customLong("site-name"), help: "Human-readable site name for the catalogue.")
    var siteName: String?

    @Option(help: "Country code for the catalogue, e.g. NL.")
    var country = ""

    /// 10 by default: with the default noise (σ 4), a cell of one person then reads "<10"
    /// with probability 98.3% (docs/PRIVACY.md, "Threshold").
    @Option(help: "Minimum number of distinct persons behind a released cell (compared with the noisy count).")
    var k = 10

    @Option(help: "The node folder to create.")
    var dir: String

    @Option(name: .customLong("admin-listen"), help: "Where the operator's HTTP listener serves /metrics and /health, HOST:PORT or a port alone for loopback (node.yaml's admin section; default: none).")
    var adminListen: String?

    func validate() throws {
        do { _ = try NodeID(nodeID) } catch { throw ValidationError(error.message) }
        guard k >= 1 else { throw ValidationError("--k must be at least 1") }
        if let adminListen {
            do { _ = try AdminSettings.address(adminListen, file: "--admin-listen", line: nil) } catch { throw ValidationError(error.description) }
        }
    }

    func run() throws {
        let node = try NodeID(nodeID)
        let listenAddress = try PeerAddress(parsing: listen)
        let advertiseAddress = try advertise.map { try PeerAddress(parsing: $0) } ?? listenAddress
        let seedAddresses = try seeds.split(separator: ",").map { try PeerAddress(parsing: String($0).trimmingCharacters(in: .whitespaces)) }
        let configPath = dir + "/" + NodeConfig.fileName
        guard !SecureFile.exists(configPath) else {
            throw CommandFailure("'\(configPath)' already exists; a node folder is never overwritten (choose another --dir)")
        }
        // Validate the data before anything is written, so a bad CSV leaves no half folder.
        let rows = try csv.map { try SiteImporter(schema: .reference).validate(csvAt: $0) } ?? SiteImporter.ValidatedRows()

        let ca = try FederationCA.load(directory: caDirectory)
        var hosts = [advertiseAddress.host]
        if listenAddress.host != advertiseAddress.host, listenAddress.host != "0.0.0.0", listenAddress.host != "::" {
            hosts.append(listenAddress.host)
        }
        try ca.issue(.node(node), hosts: hosts).save(directory: dir)

        var config = NodeConfig(
            nodeID: node,
            siteName: siteName ?? nodeID,
            country: country,
            listen: listenAddress,
            advertise: advertiseAddress,
            seeds: seedAddresses,
            certificatePath: dir + "/node.crt",
            keyPath: dir + "/node.key",
            caPath: dir + "/ca.crt",
            databasePath: dir + "/site.sqlite",
            schemaPath: nil,
            policy: NodeConfig.Policy(k: k),
            gossip: NodeConfig.GossipOverrides(),
            directory: dir
        )
        config.admin = try adminListen.map { text throws(ConfigError) in AdminSettings(listen: try AdminSettings.address(text, file: "--admin-listen", line: nil)) }
        let store = try SiteStore(path: config.databasePath)
        let summary = try store.replaceCases(with: rows, schema: .reference, schemaYAML: Schema.referenceYAML, sourceFile: csv ?? "(none)")
        try RecordKeyFile.create(directory: dir)
        try SecureFile.writeAtomically(config.yaml(), to: configPath, mode: SecureFile.publicMode)
        print(
            "created node \(node) in \(dir): \(NodeConfig.fileName), node.crt, node.key, ca.crt, \(RecordKeyFile.fileName), site.sqlite (\(summary.rows) studies of \(summary.subjects) subjects)"
        )
        print("start it with: meshnode run --config \(configPath)")
    }
}
