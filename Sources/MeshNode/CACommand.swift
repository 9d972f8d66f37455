import ArgumentParser
import Foundation
import MeshCore

/// `meshnode ca`: the federation's certificate authority (docs/ARCHITECTURE.md, "Identity and PKI").
struct CACommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ca",
        abstract: "Create the federation CA and issue node and researcher certificates.",
        subcommands: [Init.self, IssueNode.self, IssueResearcher.self, Revoke.self]
    )

    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a new federation root (ECDSA P-256, 10 years) in --dir; never overwrites one."
        )

        @Option(help: "Directory for ca.crt and ca.key.")
        var dir: String

        @Option(help: "Common name of the root certificate.")
        var name = "OncoMesh Federation CA"

        func run() throws {
            let ca = try FederationCA.create(commonName: name)
            try ca.save(directory: dir)
            print("created federation CA in \(dir): \(FederationCA.certificateFileName), \(FederationCA.keyFileName) (keep the key offline)")
            print("root serial \(ca.certificate.serialNumber), valid until \(ca.certificate.notValidAfter)")
        }
    }

    struct IssueNode: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "issue-node",
            abstract: "Issue a node certificate (SAN urn:oncomesh:node:ID, serverAuth + clientAuth, 1 year)."
        )

        @Option(help: "The CA directory made by `meshnode ca init`.")
        var dir: String

        @Option(name: .customLong("node-id"), help: "Node ID: 1-63 characters from a-z, 0-9 and '-'.")
        var nodeID: String

        @Option(name: .customLong("host"), help: "A DNS name or IP address the node is reached at (repeatable).")
        var hosts: [String] = []

        @Option(help: "Directory for node.crt, node.key and ca.crt.")
        var out: String

        func validate() throws {
            do {
                _ = try NodeID(nodeID)
            } catch {
                throw ValidationError(error.message)
            }
            if hosts.isEmpty {
                throw ValidationError("give at least one --host (the DNS name or IP address peers dial)")
            }
        }

        func run() throws {
            let ca = try FederationCA.load(directory: dir)
            let credential = try ca.issue(.node(try NodeID(nodeID)), hosts: hosts)
            try credential.save(directory: out)
            print("issued node certificate for urn:oncomesh:node:\(nodeID) (hosts: \(hosts.joined(separator: ", "))) in \(out)")
            print("serial \(credential.certificate.serialNumber), valid until \(credential.certificate.notValidAfter)")
        }
    }

    struct IssueResearcher: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "issue-researcher",
            abstract: "Issue a researcher certificate (SAN urn:oncomesh:researcher:ID, clientAuth only, 1 year)."
        )

        @Option(help: "The CA directory made by `meshnode ca init`.")
        var dir: String

        @Option(help: "Researcher ID: 1-63 characters from a-z, 0-9 and '-'.")
        var id: String

        @Option(help: "Directory for researcher.crt, researcher.key and ca.crt.")
        var out: String

        func validate() throws {
            do {
                _ = try ResearcherID(id)
            } catch {
                throw ValidationError(error.message)
            }
        }

        func run() throws {
            let ca = try FederationCA.load(directory: dir)
            let credential = try ca.issue(.researcher(try ResearcherID(id)))
            try credential.save(directory: out)
            print("issued researcher certificate for urn:oncomesh:researcher:\(id) in \(out)")
            print("serial \(credential.certificate.serialNumber), valid until \(credential.certificate.notValidAfter)")
        }
    }
}
