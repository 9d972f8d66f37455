import MeshCore
import Transport
import Yams

/// The `admin` section of node.yaml: where the node's operator listener serves `/metrics`
/// (Prometheus text format) and `/health/live`, `/health/ready` (HTTP, no TLS, no
/// authentication). It is a port apart from the mesh's mutual-TLS port, so that a scraper or
/// a load balancer's health check needs no federation certificate, and it listens on
/// loopback unless the operator says otherwise: metrics name members and traffic, which is
/// for the site's own monitoring, not for the network.
///
/// ```yaml
/// admin:
///   listen: 127.0.0.1:9400   # or a port alone (9400), which means loopback
/// ```
///
/// A node.yaml without the section runs no admin listener; `meshnode init --admin-listen`
/// writes one.
struct AdminSettings: Equatable, Sendable {
    static let defaultListen = PeerAddress(host: "127.0.0.1", port: 9400)
    static let keys = ["listen"]

    var listen = Self.defaultListen

    init(listen: PeerAddress = Self.defaultListen) {
        self.listen = listen
    }

    /// Reads the section; an empty section means the default, loopback port 9400. Errors
    /// name the file and line.
    init(parsing node: Node, file: String) throws(ConfigError) {
        if case .scalar(let scalar) = node, scalar.string.isEmpty || scalar.string == "~" || scalar.string == "null" { return }
        guard let mapping = node.mapping else {
            throw ConfigError(file: file, line: node.mark?.line, "admin must be a mapping, e.g. 'admin:' then '  listen: 127.0.0.1:9400'")
        }
        for (key, value) in mapping {
            let name = key.string ?? "?"
            guard Self.keys.contains(name) else {
                let hint = NameSuggestion.closest(to: name, among: Self.keys).map { "; did you mean '\($0)'?" } ?? ""
                throw ConfigError(file: file, line: key.mark?.line, "unknown admin setting '\(name)'\(hint)")
            }
            guard let text = value.string, !text.isEmpty else {
                throw ConfigError(file: file, line: value.mark?.line, "admin.listen needs a value: HOST:PORT, or a port for loopback")
            }
            listen = try Self.address(text, file: file, line: value.mark?.line)
        }
    }

    /// `HOST:PORT`, or a port alone for loopback.
    static func address(_ text: String, file: String, line: Int?) throws(ConfigError) -> PeerAddress {
        if let port = Int(text) {
            guard (1...65535).contains(port) else {
                throw ConfigError(file: file, line: line, "admin.listen: port \(port) is out of range; use 1 to 65535")
            }
            return PeerAddress(host: defaultListen.host, port: port)
        }
        do {
            return try PeerAddress(parsing: text)
        } catch {
            throw ConfigError(file: file, line: line, "admin.listen: \(error.message)")
        }
    }

    /// Whether only this machine can reach the listener.
    var isLoopback: Bool {
        listen.host == "localhost" || listen.host == "::1" || listen.host.hasPrefix("127.")
    }

    /// The section as `meshnode init` writes it.
    func yamlLines() -> [String] {
        // An IPv6 address in brackets would read as a YAML list: quoted.
        let text = listen.host.contains(":") ? "\"\(listen)\"" : "\(listen)"
        return ["admin:", "  listen: \(text)"]
    }
}
