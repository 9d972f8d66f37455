import Testing
import Transport

@testable import MeshNode

/// The `admin` section of node.yaml: loopback unless a host is given, and errors that name
/// the line.
@Suite struct AdminSettingsTests {
    @Test func anAddressAPortAloneOrAnEmptySection() throws {
        let full = try NodeConfig.parse(MinimalNodeConfig.text(section: "admin", ["listen: 0.0.0.0:9500"]), file: "node.yaml")
        #expect(full.admin?.listen == PeerAddress(host: "0.0.0.0", port: 9500))
        #expect(full.admin?.isLoopback == false)
        let port = try NodeConfig.parse(MinimalNodeConfig.text(section: "admin", ["listen: 9401"]), file: "node.yaml")
        #expect(port.admin?.listen == PeerAddress(host: "127.0.0.1", port: 9401))
        #expect(port.admin?.isLoopback == true)
        let empty = try NodeConfig.parse(MinimalNodeConfig.text(section: "admin"), file: "node.yaml")
        #expect(empty.admin == AdminSettings())
        #expect(empty.admin?.listen.description == "127.0.0.1:9400")
        #expect(try NodeConfig.parse(MinimalNodeConfig.text(), file: "node.yaml").admin == nil)
    }

    @Test func theSectionReadsBackAsWritten() throws {
        var config = try NodeConfig.parse(MinimalNodeConfig.text(section: "admin", ["listen: '[::1]:9400'"]), file: "/srv/node/node.yaml")
        #expect(config.admin?.listen == PeerAddress(host: "::1", port: 9400))
        config.directory = "/srv/node"
        let again = try NodeConfig.parse(config.yaml(), file: "/srv/node/node.yaml")
        #expect(again.admin == config.admin)
    }

    @Test(arguments: [
        (["listen: 127.0.0.1"], 8, "admin.listen: address '127.0.0.1' has no port"),
        (["listen: 70000"], 8, "admin.listen: port 70000 is out of range"),
        (["listen: 'host:0'"], 8, "admin.listen: address 'host:0' has an invalid port"),
        (["listn: 9400"], 8, "unknown admin setting 'listn'; did you mean 'listen'?"),
        (["listen:"], 8, "admin.listen needs a value"),
        (["- 9400"], 8, "admin must be a mapping"),
    ])
    func aSectionThatCannotWorkNamesTheLine(lines: [String], line: Int, message: String) {
        do {
            _ = try NodeConfig.parse(MinimalNodeConfig.text(section: "admin", lines), file: "node.yaml")
            Issue.record("accepted: \(lines)")
        } catch {
            #expect(error.line == line, "\(error)")
            #expect(error.description.hasPrefix("node.yaml:\(line): "), "\(error)")
            #expect(error.description.contains(message), "\(error)")
        }
    }
}
