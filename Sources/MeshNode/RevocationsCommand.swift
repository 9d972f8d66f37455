import ArgumentParser
import Foundation
import MeshCore

/// `meshnode revocations publish`: hands a CA-signed revocation list to a node. The node
/// picks it up from its folder within a round, drops the catalogues of revoked signers and
/// passes the list on by gossip.
struct RevocationsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revocations",
        abstract: "Hand a revocation list to a node, which spreads it by gossip.",
        subcommands: [Publish.self]
    )

    struct Publish: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Give a node a newer CA-signed revocation list (from `meshnode ca revoke`).")

        @Option(help: "The node's configuration file.")
        var config: String

        @Option(help: "The revocation list (revocations.pem in the CA directory).")
        var file: String

        func run() throws {
            let node = try NodeConfig.load(path: config)
            let ca = try PEMLoader.certificate(at: node.caPath)
            let list = try SignedRevocationList.load(path: file)
            let verified = try list.verify(caCertificate: ca)
            let held = RevocationFile(directory: node.directory)
            if let current = try held.verifiedList(ca: ca), !verified.supersedes(current) {
                throw CommandFailure("node \(node.nodeID) already holds revocation list version \(current.version); '\(file)' is version \(verified.version)")
            }
            try held.save(list)
            print("node \(node.nodeID) now holds revocation list version \(verified.version) (\(verified.serials.count) revoked); a running node spreads it within a second")
            // Handed over all the same: a stale list still revokes more than an older one.
            if verified.isStale(nowMilliseconds: UnixMilliseconds.now()) {
                let due = ISO8601Time.text(milliseconds: verified.nextUpdateMilliseconds)
                FileHandle.standardError.write(Data("warning: revocation list version \(verified.version) is already past its next update (\(due)); ask the CA for a newer one\n".utf8))
            }
        }
    }
}
