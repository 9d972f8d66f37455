import ArgumentParser
import Foundation
import MeshCore
import Transport

/// `--node`, `--identity` and `--ca`: how a researcher's command (`query`, `members
/// --node`) reaches a node. Each falls back to an environment variable, so that a shell
/// session sets them once (as `CONSUL_HTTP_ADDR` does for Consul's commands).
struct ResearcherConnectionOptions: ParsableArguments {
    static let nodeVariable = "ONCOMESH_NODE"
    static let identityVariable = "ONCOMESH_IDENTITY"
    static let caVariable = "ONCOMESH_CA"

    @Option(help: "The node to ask, HOST:PORT (default: $\(Self.nodeVariable)).")
    var node: String?

    @Option(help: "Directory with researcher.crt and researcher.key, from `meshnode ca issue-researcher` (default: $\(Self.identityVariable)).")
    var identity: String?

    @Option(help: "The federation CA certificate (default: $\(Self.caVariable)).")
    var ca: String?

    /// The flag, else the environment variable, else an error naming both.
    static func value(_ flag: String?, _ name: String, variable: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        if let flag, !flag.isEmpty { return flag }
        if let value = environment[variable], !value.isEmpty { return value }
        throw ValidationError("missing --\(name); give it, or set \(variable)")
    }

    /// Whether the node to ask is given, by flag or environment.
    var hasNode: Bool { (try? Self.value(node, "node", variable: Self.nodeVariable)) != nil }

    /// The node's address and the researcher's credential.
    func resolved() throws -> (node: PeerAddress, credential: Credential) {
        let text = try Self.value(node, "node", variable: Self.nodeVariable)
        let address: PeerAddress
        do {
            address = try PeerAddress(parsing: text)
        } catch {
            throw CommandFailure("--node \(text): \(error.message)")
        }
        let directory = try Self.value(identity, "identity", variable: Self.identityVariable)
        let caPath = try Self.value(ca, "ca", variable: Self.caVariable)
        let names = Credential.fileNames(for: .researcher)
        let credential = try Credential.load(certificatePath: directory + "/" + names.certificate, keyPath: directory + "/" + names.key, caPath: caPath)
        return (address, credential)
    }
}
