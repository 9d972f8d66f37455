import Foundation
import TestSupport

/// Test hosts: one Linux network namespace per node, each with its own address on a bridge
/// (iproute2 and veth pairs), so that what crosses the network between nodes crosses a
/// real interface and can be cut. The root namespace holds an address on the bridge too,
/// from which the tests (and the researcher's `meshnode query`) reach every host.
///
/// Faults are link-level: ``cut(from:to:)`` drops every packet from some hosts to others
/// (a blackhole route in each sender's namespace: one-way, or both ways when called both
/// ways), ``heal()`` removes the routes. Stalls and crashes are signals to the processes.
///
/// Every name carries the creating process's ID: ``tearDown()`` removes what this bed made,
/// and a new bed first removes the namespaces and bridges of test processes that are gone,
/// so a failed or killed run leaves nothing behind for long.
final class HostBed: @unchecked Sendable {
    static let ip = "/usr/sbin/ip"
    static let port = 7400

    /// Whether this machine can make namespaces: root and iproute2.
    static var isAvailable: Bool {
        geteuid() == 0 && FileManager.default.isExecutableFile(atPath: ip)
    }

    let owner: Int32
    /// The third octet of 10.77.x.0/24.
    let subnet: Int
    let count: Int
    private var isTornDown = false

    init(hosts count: Int) throws {
        precondition(count >= 1 && count <= 200, "1 to 200 hosts")
        owner = getpid()
        subnet = Int(owner % 200) + 20
        self.count = count
        Self.sweep()
        do {
            try Self.ip(["link", "add", bridge, "type", "bridge"])
            try Self.ip(["addr", "add", "10.77.\(subnet).254/24", "dev", bridge])
            try Self.ip(["link", "set", bridge, "up"])
            for host in 0..<count {
                let inner = "om\(owner)n\(host)"
                try Self.ip(["netns", "add", namespace(host)])
                try Self.ip(["link", "add", outer(host), "type", "veth", "peer", "name", inner])
                try Self.ip(["link", "set", inner, "netns", namespace(host)])
                try Self.ip(["-n", namespace(host), "link", "set", inner, "name", "eth0"])
                try Self.ip(["-n", namespace(host), "addr", "add", "\(address(host))/24", "dev", "eth0"])
                try Self.ip(["-n", namespace(host), "link", "set", "eth0", "up"])
                try Self.ip(["-n", namespace(host), "link", "set", "lo", "up"])
                try Self.ip(["link", "set", outer(host), "master", bridge])
                try Self.ip(["link", "set", outer(host), "up"])
            }
        } catch {
            tearDown()
            throw error
        }
    }

    deinit { tearDown() }

    var bridge: String { "omb\(owner)" }
    func namespace(_ host: Int) -> String { "omh-\(owner)-\(host)" }
    private func outer(_ host: Int) -> String { "om\(owner)h\(host)" }
    func address(_ host: Int) -> String { "10.77.\(subnet).\(host + 1)" }
    func endpoint(_ host: Int) -> String { "\(address(host)):\(Self.port)" }

    /// The command line that runs `executable` inside `host`'s namespace.
    func command(on host: Int, _ executable: String, _ arguments: [String]) -> (executable: String, arguments: [String]) {
        (Self.ip, ["netns", "exec", namespace(host), executable] + arguments)
    }

    /// Drops every packet `from` hosts send `to` hosts (TCP then fails both ways between
    /// them: its handshake needs both directions, but the other direction of each pair
    /// stays open to new traffic that needs no answer).
    func cut(from senders: [Int], to receivers: [Int]) throws {
        for sender in senders {
            for receiver in receivers where receiver != sender {
                try Self.ip(["-n", namespace(sender), "route", "add", "blackhole", "\(address(receiver))/32"])
            }
        }
    }

    /// Removes every cut.
    func heal() throws {
        for host in 0..<count {
            try Self.ip(["-n", namespace(host), "route", "flush", "type", "blackhole"])
        }
    }

    /// Removes the veth pairs, the namespaces and the bridge. Each pair is deleted by its
    /// outer end: the kernel would drop it with its namespace too, but only later.
    func tearDown() {
        guard !isTornDown else { return }
        isTornDown = true
        for host in 0..<count {
            try? Self.ip(["link", "del", outer(host)])
            try? Self.ip(["netns", "del", namespace(host)])
        }
        try? Self.ip(["link", "del", bridge])
    }

    /// The namespaces and bridges this bed's naming marks as made by test processes that
    /// are no longer running.
    static func sweep() {
        let namespaces = (try? ProcessRunner.run(ip, ["netns", "list"]).standardOutput) ?? ""
        for line in namespaces.split(separator: "\n") {
            let name = String(line.split(separator: " ").first ?? "")
            let parts = name.split(separator: "-")
            guard parts.count == 3, parts[0] == "omh", let pid = Int32(parts[1]), !isRunning(pid) else { continue }
            try? Self.ip(["netns", "del", name])
        }
        let links = (try? ProcessRunner.run(ip, ["-o", "link", "show", "type", "bridge"]).standardOutput) ?? ""
        for line in links.split(separator: "\n") {
            let fields = line.split(separator: ":")
            guard fields.count > 1 else { continue }
            let name = fields[1].trimmingCharacters(in: .whitespaces)
            guard name.hasPrefix("omb"), let pid = Int32(name.dropFirst(3)), !isRunning(pid) else { continue }
            try? Self.ip(["link", "del", name])
        }
    }

    /// The namespaces and bridges of this naming that exist now (for the clean-up check).
    static func leftovers(of owner: Int32) -> [String] {
        let namespaces = (try? ProcessRunner.run(ip, ["netns", "list"]).standardOutput) ?? ""
        let links = (try? ProcessRunner.run(ip, ["-o", "link", "show"]).standardOutput) ?? ""
        return (namespaces + "\n" + links).split(separator: "\n").compactMap { line -> String? in
            line.contains("omh-\(owner)-") || line.contains("omb\(owner)") || line.contains("om\(owner)h") ? String(line) : nil
        }
    }

    private static func isRunning(_ pid: Int32) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }

    private static func ip(_ arguments: [String]) throws {
        let result = try ProcessRunner.run(ip, arguments)
        guard result.status == 0 else {
            throw TestSupportError("ip \(arguments.joined(separator: " ")) failed (\(result.status)): \(result.combinedOutput)")
        }
    }
}
