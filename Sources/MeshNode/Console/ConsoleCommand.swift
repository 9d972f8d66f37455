import ArgumentParser
import Foundation
import Hummingbird
import Logging
import MeshCore
import NIOCore
import Transport

/// `meshnode console`: the researcher's web console. A local web server that holds the
/// researcher's identity and speaks to the mesh through one node over mutual TLS as that
/// researcher, exactly as `meshnode query` does; the page it serves picks attributes from
/// the catalogues, builds and runs queries, and shows who answered and the result.
struct ConsoleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console",
        abstract: "Serve the researcher's web console for one node, with a researcher certificate.",
        discussion: """
            Example:
              meshnode console --node 127.0.0.1:7400 --identity alice --ca alice/ca.crt
            then open http://127.0.0.1:8080/ in a browser on the same machine. Listening on
            an address other than loopback needs --token-file: every API request must then
            carry `Authorization: Bearer <token>`.
            """
    )

    @Option(help: "The node to ask, HOST:PORT.")
    var node: String

    @Option(help: "Directory with researcher.crt and researcher.key (from `meshnode ca issue-researcher`).")
    var identity: String

    @Option(help: "The federation CA certificate.")
    var ca: String

    @Option(help: "Where the console listens, HOST:PORT (port 0 picks a free one).")
    var listen: String = "127.0.0.1:8080"

    @Option(help: "A file holding the bearer token API requests must carry; required beyond loopback.")
    var tokenFile: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .notice

    /// The fewest characters a bearer token may have.
    static let tokenLengthMin = 16

    func validate() throws {
        let address: PeerAddress
        do {
            address = try Self.listenAddress(listen)
        } catch {
            throw ValidationError("--listen \(listen): \(error.message)")
        }
        if !Self.isLoopback(address.host), tokenFile == nil {
            throw ValidationError(
                "--listen \(listen) is not a loopback address: anyone who reaches it would ask the mesh as you; give --token-file with a secret token, or listen on 127.0.0.1"
            )
        }
    }

    func run() async throws {
        bootstrapLogging(level: logLevel)
        let listenAddress = try Self.listenAddress(listen)
        let nodeAddress: PeerAddress
        do {
            nodeAddress = try PeerAddress(parsing: node)
        } catch {
            throw CommandFailure("--node \(node): \(error.message)")
        }
        let token = try tokenFile.map(Self.readToken)
        let names = Credential.fileNames(for: .researcher)
        let credential = try Credential.load(certificatePath: identity + "/" + names.certificate, keyPath: identity + "/" + names.key, caPath: ca)
        let settings = ConsoleSettings()
        let mesh = try ResearcherMeshClient(node: nodeAddress, nodeAddress: node, credential: credential, settings: settings)
        let session = ConsoleSession(researcher: mesh.researcher.rawValue, node: node, identityDirectory: identity, caPath: ca)
        let api = ConsoleAPI(mesh: mesh, session: session, page: try ConsolePage.load(), settings: settings, bearerToken: token)
        let logger = Logger(label: "oncomesh.console")
        let app = Application(
            router: api.router(),
            configuration: ApplicationConfiguration(address: .hostname(listenAddress.host, port: listenAddress.port), serverName: "meshnode-console"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? listenAddress.port
                let host = listenAddress.host.contains(":") ? "[\(listenAddress.host)]" : listenAddress.host
                // Written at once, unbuffered: scripts wait for this line to learn the port.
                let line = "console for \(mesh.researcher) on http://\(host):\(port)/ asking \(nodeAddress)\(token == nil ? "" : " (bearer token required)")\n"
                FileHandle.standardOutput.write(Data(line.utf8))
            },
            logger: logger
        )
        try await app.runService()
    }

    /// `HOST:PORT` as for a peer, and port 0 as well (the system picks one; the console
    /// prints it), which tests and scripts use to avoid taken ports.
    static func listenAddress(_ text: String) throws(TransportError) -> PeerAddress {
        guard text.hasSuffix(":0") else { return try PeerAddress(parsing: text) }
        var address = try PeerAddress(parsing: String(text.dropLast()) + "1")
        address.port = 0
        return address
    }

    /// Whether `host` is a loopback address (or the name of one).
    static func isLoopback(_ host: String) -> Bool {
        let host = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased()
        return host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    /// The token in `path`, without surrounding whitespace.
    static func readToken(_ path: String) throws -> String {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw CommandFailure("--token-file \(path) cannot be read")
        }
        let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard token.count >= tokenLengthMin, !token.contains(where: \.isWhitespace) else {
            throw CommandFailure("--token-file \(path) must hold one token of at least \(tokenLengthMin) characters without spaces")
        }
        return token
    }
}
