import Foundation
import MeshCore
import Transport
import Yams

/// A node's configuration file (YAML), as `meshnode init` writes it and `meshnode run`
/// reads it. Relative paths are relative to the file's directory, so a node folder can be
/// moved as a whole.
///
/// ```yaml
/// node_id: hospital-a
/// site_name: Hospital A
/// country: NL
/// listen: 127.0.0.1:7400
/// advertise: 127.0.0.1:7400
/// seeds: [127.0.0.1:7401]
/// certificate: node.crt
/// key: node.key
/// ca: ca.crt
/// database: site.sqlite
/// policy:
///   k: 5
///   allowed_query_kinds: [count, histogram, statistics]
///   max_cells: 10000
///   noise_sigma: 4
///   privacy_budget: 20
///   budget_window_days: 30
///   max_queries_per_minute: 30
///   max_queries_per_day: 1000
///   plaintext_partials: refuse  # or allow: answer plans without secure aggregation
/// gossip:
///   probe_interval_ms: 1000
///   ping_timeout_ms: 500
///   indirect_probes: 3
/// load:                       # see LoadSettings
///   max_concurrent_plans: 64
/// sync:                       # see SyncSettings
///   dicomweb: http://127.0.0.1:8042/dicom-web
///   clinical: clinical.csv
///   mapping: mapping.yaml
/// admin:                      # see AdminSettings: /metrics, /health/live, /health/ready
///   listen: 127.0.0.1:9400    # HTTP, loopback unless a host is given; absent: no admin listener
/// ```
struct NodeConfig: Equatable {
    var nodeID: NodeID
    var siteName: String
    var country: String
    var listen: PeerAddress
    var advertise: PeerAddress
    var seeds: [PeerAddress]
    var certificatePath: String
    var keyPath: String
    var caPath: String
    var databasePath: String
    var schemaPath: String?
    var policy: Policy
    var gossip: GossipOverrides
    var load = LoadSettings()
    /// Where the node keeps its site data current from; nil when data comes by `meshnode import`.
    var sync: SyncSettings?
    /// Where the operator's HTTP listener (metrics, health) listens; nil: none.
    var admin: AdminSettings?

    struct Policy: Equatable {
        static let queryKinds: Set<String> = ["count", "histogram", "statistics"]
        var k = 5
        var allowedQueryKinds: [String] = ["count", "histogram", "statistics"]
        var maxCells = 10_000
        /// Researcher IDs this node answers; nil (the setting absent) means every researcher
        /// of the federation, an empty list means nobody.
        var allowedResearchers: [String]? = nil
        /// Standard deviation, in persons, of the discrete Gaussian noise on every released
        /// count of a query this node contributes to (sums get it times their sensitivity);
        /// 0 releases exact values under k alone. See docs/PRIVACY.md, "Noise".
        var noiseSigma: Double = Self.defaultNoiseSigma
        /// The privacy loss (zero-concentrated DP, rho) one researcher may spend at this node
        /// per rolling window; nil: unlimited.
        var privacyBudget: Double? = Self.defaultPrivacyBudget
        var budgetWindowDays = 30
        var maxQueriesPerMinute = 30
        var maxQueriesPerDay = 1000
        /// Whether this node answers plans without secure aggregation (a researcher's
        /// `--plaintext-tree`, for comparisons), which hand its partial to its parent in
        /// the clear. Off unless the operator allows it (docs/PRIVACY.md).
        var plaintextPartials = false

        static let defaultNoiseSigma = 4.0
        static let defaultPrivacyBudget: Double? = 20.0
        static let settings = [
            "k", "allowed_query_kinds", "max_cells", "allowed_researchers", "noise_sigma", "privacy_budget", "budget_window_days",
            "max_queries_per_minute", "max_queries_per_day", "plaintext_partials",
        ]
    }

    /// Gossip settings that differ from the defaults (milliseconds and counts).
    struct GossipOverrides: Equatable {
        var probeIntervalMilliseconds: Int?
        var pingTimeoutMilliseconds: Int?
        var indirectProbes: Int?
        var pushPullIntervalMilliseconds: Int?
        var gossipIntervalMilliseconds: Int?
        var gossipFanout: Int?
    }

    static let fileName = "node.yaml"

    /// Where the node folder is: the config file's directory.
    var directory = "."

    // MARK: Reading

    static func load(path: String) throws(ConfigError) -> NodeConfig {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(file: path, line: nil, "cannot read the configuration: \(error.localizedDescription)")
        }
        return try parse(text, file: path)
    }

    static func parse(_ text: String, file: String) throws(ConfigError) -> NodeConfig {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text), let _ = node.mapping else {
                throw ConfigError(file: file, line: nil, "the configuration must be a YAML mapping")
            }
            root = node
        } catch let error as ConfigError {
            throw error
        } catch {
            throw ConfigError(file: file, line: nil, "invalid YAML: \(error)")
        }
        let mapping = root.mapping!
        let known: Set<String> = [
            "node_id", "site_name", "country", "listen", "advertise", "seeds", "certificate", "key", "ca", "database", "schema", "policy", "gossip", "load", "sync", "admin",
        ]
        for key in mapping.keys where !known.contains(key.string ?? "") {
            throw ConfigError(file: file, line: key.mark?.line, "unknown setting '\(key.string ?? "?")'; known settings: \(known.sorted().joined(separator: ", "))")
        }
        func required(_ key: String) throws(ConfigError) -> (String, Int?) {
            guard let node = mapping[key], let value = node.string, !value.isEmpty else {
                throw ConfigError(file: file, line: root.mark?.line, "missing required setting '\(key)'")
            }
            return (value, node.mark?.line)
        }
        func address(_ text: String, _ line: Int?, _ key: String) throws(ConfigError) -> PeerAddress {
            do {
                return try PeerAddress(parsing: text)
            } catch {
                throw ConfigError(file: file, line: line, "\(key): \(error.message)")
            }
        }
        let (idText, idLine) = try required("node_id")
        let nodeID: NodeID
        do {
            nodeID = try NodeID(idText)
        } catch {
            throw ConfigError(file: file, line: idLine, error.message)
        }
        let (listenText, listenLine) = try required("listen")
        let listen = try address(listenText, listenLine, "listen")
        var advertise = listen
        if let node = mapping["advertise"], let text = node.string {
            advertise = try address(text, node.mark?.line, "advertise")
        }
        var seeds: [PeerAddress] = []
        if let node = mapping["seeds"] {
            guard let list = node.sequence else {
                throw ConfigError(file: file, line: node.mark?.line, "seeds must be a list of HOST:PORT")
            }
            for item in list {
                seeds.append(try address(item.string ?? "", item.mark?.line, "seeds"))
            }
        }
        var policy = Policy()
        if let node = mapping["policy"] {
            guard let policyMapping = node.mapping else {
                throw ConfigError(file: file, line: node.mark?.line, "policy must be a mapping")
            }
            for key in policyMapping.keys where !Policy.settings.contains(key.string ?? "") {
                throw ConfigError(
                    file: file, line: key.mark?.line, "unknown policy setting '\(key.string ?? "?")'; known: \(Policy.settings.joined(separator: ", "))"
                )
            }
            if let k = policyMapping["k"] {
                guard let value = k.int, value >= 1 else { throw ConfigError(file: file, line: k.mark?.line, "policy.k must be a whole number of at least 1") }
                policy.k = value
            }
            if let cells = policyMapping["max_cells"] {
                guard let value = cells.int, value >= 1 else { throw ConfigError(file: file, line: cells.mark?.line, "policy.max_cells must be at least 1") }
                policy.maxCells = value
            }
            if let kinds = policyMapping["allowed_query_kinds"] {
                let values = kinds.sequence?.compactMap(\.string) ?? []
                for value in values where !Policy.queryKinds.contains(value) {
                    throw ConfigError(file: file, line: kinds.mark?.line, "unknown query kind '\(value)'; use count, histogram or statistics")
                }
                policy.allowedQueryKinds = values
            }
            if let researchers = policyMapping["allowed_researchers"] {
                policy.allowedResearchers = try researcherList(researchers, file: file)
            }
            if let sigma = policyMapping["noise_sigma"] {
                guard let value = sigma.float, value.isFinite, value >= 0, value <= 1000 else {
                    throw ConfigError(file: file, line: sigma.mark?.line, "policy.noise_sigma must be a number from 0 (no noise) to 1000; got '\(sigma.string ?? "?")'")
                }
                policy.noiseSigma = value
            }
            if let budget = policyMapping["privacy_budget"] {
                if budget.string == "unlimited" {
                    policy.privacyBudget = nil
                } else {
                    guard let value = budget.float, value.isFinite, value > 0 else {
                        throw ConfigError(file: file, line: budget.mark?.line, "policy.privacy_budget must be a positive number (rho per window) or 'unlimited'; got '\(budget.string ?? "?")'")
                    }
                    policy.privacyBudget = value
                }
            }
            func positive(_ key: String, _ assign: (Int) -> Void) throws(ConfigError) {
                guard let node = policyMapping[key] else { return }
                guard let value = node.int, value >= 1 else {
                    throw ConfigError(file: file, line: node.mark?.line, "policy.\(key) must be a whole number of at least 1; got '\(node.string ?? "?")'")
                }
                assign(value)
            }
            try positive("budget_window_days") { policy.budgetWindowDays = $0 }
            try positive("max_queries_per_minute") { policy.maxQueriesPerMinute = $0 }
            try positive("max_queries_per_day") { policy.maxQueriesPerDay = $0 }
            if let node = policyMapping["plaintext_partials"] {
                switch node.string {
                case "refuse": policy.plaintextPartials = false
                case "allow": policy.plaintextPartials = true
                default:
                    throw ConfigError(file: file, line: node.mark?.line, "policy.plaintext_partials must be 'refuse' or 'allow'; got '\(node.string ?? "?")'")
                }
            }
        }
        var gossip = GossipOverrides()
        if let node = mapping["gossip"] {
            guard let gossipMapping = node.mapping else {
                throw ConfigError(file: file, line: node.mark?.line, "gossip must be a mapping")
            }
            for (key, value) in gossipMapping {
                guard let number = value.int, number > 0 else {
                    throw ConfigError(file: file, line: value.mark?.line, "gossip.\(key.string ?? "?") must be a positive whole number")
                }
                switch key.string {
                case "probe_interval_ms": gossip.probeIntervalMilliseconds = number
                case "ping_timeout_ms": gossip.pingTimeoutMilliseconds = number
                case "indirect_probes": gossip.indirectProbes = number
                case "push_pull_interval_ms": gossip.pushPullIntervalMilliseconds = number
                case "gossip_interval_ms": gossip.gossipIntervalMilliseconds = number
                case "gossip_fanout": gossip.gossipFanout = number
                default:
                    throw ConfigError(
                        file: file, line: key.mark?.line,
                        "unknown gossip setting '\(key.string ?? "?")'; known: probe_interval_ms, ping_timeout_ms, indirect_probes, push_pull_interval_ms, gossip_interval_ms, gossip_fanout"
                    )
                }
            }
        }
        let directory = (file as NSString).deletingLastPathComponent
        func resolved(_ path: String) -> String {
            path.hasPrefix("/") ? path : ((directory.isEmpty ? "." : directory) + "/" + path)
        }
        var config = NodeConfig(
            nodeID: nodeID,
            siteName: mapping["site_name"]?.string ?? idText,
            country: mapping["country"]?.string ?? "",
            listen: listen,
            advertise: advertise,
            seeds: seeds,
            certificatePath: resolved(try required("certificate").0),
            keyPath: resolved(try required("key").0),
            caPath: resolved(try required("ca").0),
            databasePath: resolved(try required("database").0),
            schemaPath: mapping["schema"]?.string.map(resolved),
            policy: policy,
            gossip: gossip
        )
        config.directory = directory.isEmpty ? "." : directory
        if let node = mapping["load"] {
            config.load = try LoadSettings(parsing: node, file: file)
        }
        if let node = mapping["sync"] {
            config.sync = try SyncSettings(parsing: node, file: file, resolve: resolved)
        }
        if let node = mapping["admin"] {
            config.admin = try AdminSettings(parsing: node, file: file)
        }
        do {
            try config.swimSettings.validate()
        } catch {
            throw ConfigError(file: file, line: mapping["gossip"]?.mark?.line, "gossip: \(error.message)")
        }
        return config
    }

    // MARK: Writing

    /// The YAML `meshnode init` writes, with paths relative to the node folder.
    func yaml() -> String {
        var lines = [
            "# OncoMesh node configuration; paths are relative to this file's folder.",
            "node_id: \(nodeID)",
            "site_name: \(Self.quoted(siteName))",
            "country: \(Self.quoted(country))",
            "listen: \(listen)",
            "advertise: \(advertise)",
            "seeds: [\(seeds.map(\.description).joined(separator: ", "))]",
            "certificate: \(Self.relative(certificatePath, to: directory))",
            "key: \(Self.relative(keyPath, to: directory))",
            "ca: \(Self.relative(caPath, to: directory))",
            "database: \(Self.relative(databasePath, to: directory))",
            "policy:",
            "  k: \(policy.k)",
            "  allowed_query_kinds: [\(policy.allowedQueryKinds.joined(separator: ", "))]",
            "  max_cells: \(policy.maxCells)",
        ]
        if let researchers = policy.allowedResearchers {
            lines.append("  allowed_researchers: [\(researchers.joined(separator: ", "))]")
        }
        lines += [
            "  noise_sigma: \(Self.number(policy.noiseSigma))",
            "  privacy_budget: \(policy.privacyBudget.map(Self.number) ?? "unlimited")",
            "  budget_window_days: \(policy.budgetWindowDays)",
            "  max_queries_per_minute: \(policy.maxQueriesPerMinute)",
            "  max_queries_per_day: \(policy.maxQueriesPerDay)",
            "  plaintext_partials: \(policy.plaintextPartials ? "allow" : "refuse")",
        ]
        var gossipLines: [String] = []
        if let value = gossip.probeIntervalMilliseconds { gossipLines.append("  probe_interval_ms: \(value)") }
        if let value = gossip.pingTimeoutMilliseconds { gossipLines.append("  ping_timeout_ms: \(value)") }
        if let value = gossip.indirectProbes { gossipLines.append("  indirect_probes: \(value)") }
        if let value = gossip.pushPullIntervalMilliseconds { gossipLines.append("  push_pull_interval_ms: \(value)") }
        if let value = gossip.gossipIntervalMilliseconds { gossipLines.append("  gossip_interval_ms: \(value)") }
        if let value = gossip.gossipFanout { gossipLines.append("  gossip_fanout: \(value)") }
        if !gossipLines.isEmpty { lines += ["gossip:"] + gossipLines }
        lines += load.yamlLines()
        lines += admin?.yamlLines() ?? []
        return lines.joined(separator: "\n") + "\n"
    }

    /// A researcher list as the operator wrote it: a YAML list, or one ID alone (read as a
    /// list of one). Anything else is an error: an access list never fails open.
    private static func researcherList(_ node: Node, file: String) throws(ConfigError) -> [String] {
        let items: [Node]
        switch node {
        case .sequence(let sequence): items = Array(sequence)
        case .scalar: items = [node]
        default:
            throw ConfigError(file: file, line: node.mark?.line, "policy.allowed_researchers must be a list of researcher IDs (or one ID)")
        }
        var values: [String] = []
        for item in items {
            guard case .scalar(let scalar) = item else {
                throw ConfigError(file: file, line: item.mark?.line, "policy.allowed_researchers: each entry must be a researcher ID, not a list or mapping")
            }
            do { _ = try ResearcherID(scalar.string) } catch { throw ConfigError(file: file, line: item.mark?.line, "policy.allowed_researchers: \(error.message)") }
            values.append(scalar.string)
        }
        return values
    }

    private static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }

    private static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    private static func relative(_ path: String, to directory: String) -> String {
        let prefix = directory.hasSuffix("/") ? directory : directory + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
    }
}

/// A configuration that cannot be used, with the file and line at fault.
struct ConfigError: Error, Equatable, CustomStringConvertible {
    let file: String
    let line: Int?
    let message: String

    init(file: String, line: Int?, _ message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    var description: String { line.map { "\(file):\($0): \(message)" } ?? "\(file): \(message)" }
}
