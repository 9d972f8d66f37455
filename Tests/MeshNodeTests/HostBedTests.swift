import Foundation
import TestSupport
import Testing

@testable import MeshNode

/// The federation of ``FederatedQueryTests`` on eight test hosts (``HostBed``): one network
/// namespace and address per node, faults cut into the links or sent to the processes.
/// After every fault heals, each node must list all eight as alive again; queries during a
/// fault name the nodes out of reach in their coverage and are exact over the rest; every
/// node that answered keeps the query in its audit log.
///
/// `make test` runs the partition scenario; `make test-hosts` (`ONCOMESH_HOST_TESTS=all`)
/// runs every scenario.
@Suite(.serialized, .enabled(if: HostBed.isAvailable, "needs root and iproute2 to make network namespaces"))
struct HostBedTests {
    typealias Federation = FederatedQueryTests.Federation

    static var everyScenario: Bool { ProcessInfo.processInfo.environment["ONCOMESH_HOST_TESTS"] == "all" }
    static let names = Federation.sites.map(\.name)

    /// Runs `body` on a fresh federation of eight hosts and checks that nothing of the bed
    /// is left afterwards, whether `body` passed or not.
    static func onHosts(_ body: (HostBed, Federation) async throws -> Void) async throws {
        let bed = try HostBed(hosts: names.count)
        do {
            let federation = try await Federation.start(hosts: bed)
            defer { federation.stop() }
            try await body(bed, federation)
        } catch {
            bed.tearDown()
            #expect(HostBed.leftovers(of: getpid()).isEmpty, "namespaces or links left behind after a failure")
            throw error
        }
        bed.tearDown()
        #expect(HostBed.leftovers(of: getpid()).isEmpty, "namespaces or links left behind: \(HostBed.leftovers(of: getpid()))")
    }

    /// Waits until each of `observers` lists every node in `expected` as alive and every
    /// node in `absent` as not alive (`timeout` bounds liveness; it is not a speed target).
    static func await(_ federation: Federation, observers: [String], alive expected: Set<String>, absent: Set<String> = [], timeout: Duration = .seconds(60)) async -> Bool {
        await federation.mesh.wait(for: observers, timeout: timeout) { status in
            expected.allSatisfy { MeshFormationTests.state(status, of: $0) == "alive" }
                && absent.allSatisfy { MeshFormationTests.state(status, of: $0) != "alive" }
        } != nil
    }

    /// A query through `origin` while `outOfReach` cannot be reached: its coverage names each
    /// of them, the rest answered, and the result is exact over those that answered.
    static func expectQueryNames(_ outOfReach: Set<String>, through origin: String, in federation: Federation) throws -> FederatedQueryTests.Answer {
        let question = FederatedQueryTests.countQuestion
        let answer = try federation.ask(question, at: origin)
        let named = Set(answer.failed.keys).union(answer.timedOut).union(answer.pruned.keys).union(answer.refused.keys)
        #expect(outOfReach.isSubset(of: named), "coverage does not name \(outOfReach.subtracting(named).sorted()): \(answer.failed) \(answer.timedOut)")
        #expect(answer.answered == Set(names).subtracting(outOfReach), "answered: \(answer.answered.sorted())")
        #expect(try federation.discrepancies(answer, question).isEmpty)
        return answer
    }

    /// Every node in `nodes` holds `answer`'s query in its audit log as answered.
    static func expectAudited(_ answer: FederatedQueryTests.Answer, at nodes: Set<String>, in federation: Federation) throws {
        for node in nodes.sorted() {
            let entries = try federation.audit(node).filter { $0.queryID == answer.queryID }
            #expect(entries.contains { $0.outcome == "answered" }, "\(node)'s audit lacks query \(answer.queryID): \(entries)")
        }
    }

    /// Three hosts are cut from the other five both ways. The five see them go, a query
    /// through one of the five names them and is exact over the five; after the links come
    /// back every node lists all eight as alive, and a query covers everyone.
    @Test func aPartitionIsNamedAndHealsIntoOneMesh() async throws {
        try await Self.onHosts { bed, federation in
            let majority = Array(0..<5), minority = Array(5..<8)
            let minorityNames = Set(minority.map { Self.names[$0] }), majorityNames = Set(majority.map { Self.names[$0] })
            try bed.cut(from: majority, to: minority)
            try bed.cut(from: minority, to: majority)
            #expect(await Self.await(federation, observers: majorityNames.sorted(), alive: majorityNames, absent: minorityNames), "the majority did not see the minority go")
            let during = try Self.expectQueryNames(minorityNames, through: Self.names[0], in: federation)
            try bed.heal()
            #expect(await Self.await(federation, observers: Self.names, alive: Set(Self.names)), "the mesh did not become one again: \(Self.views(federation))")
            let after = try Self.expectQueryNames([], through: Self.names[6], in: federation)
            try Self.expectAudited(during, at: majorityNames, in: federation)
            try Self.expectAudited(after, at: Set(Self.names), in: federation)
        }
    }

    /// One-way: the minority's packets to the majority are dropped, the other way is open.
    @Test(.enabled(if: everyScenario, "ONCOMESH_HOST_TESTS=all (make test-hosts)"))
    func aOneWayPartitionIsNamedAndHeals() async throws {
        try await Self.onHosts { bed, federation in
            let minorityNames = Set([5, 6, 7].map { Self.names[$0] }), majorityNames = Set((0..<5).map { Self.names[$0] })
            try bed.cut(from: [5, 6, 7], to: Array(0..<5))
            #expect(await Self.await(federation, observers: majorityNames.sorted(), alive: majorityNames, absent: minorityNames), "the majority did not see the minority go")
            let during = try Self.expectQueryNames(minorityNames, through: Self.names[1], in: federation)
            try bed.heal()
            #expect(await Self.await(federation, observers: Self.names, alive: Set(Self.names)), "the mesh did not become one again: \(Self.views(federation))")
            _ = try Self.expectQueryNames([], through: Self.names[7], in: federation)
            try Self.expectAudited(during, at: majorityNames, in: federation)
        }
    }

    /// A stalled host (SIGSTOP, as a hung machine): the others stop counting on it, a
    /// query names it; once it resumes it refutes its death and is counted again.
    @Test(.enabled(if: everyScenario, "ONCOMESH_HOST_TESTS=all (make test-hosts)"))
    func aStalledHostIsNamedAndComesBack() async throws {
        try await Self.onHosts { _, federation in
            let stalled = Self.names[3]
            let others = Set(Self.names).subtracting([stalled])
            federation.mesh.processes[stalled]?.send(SIGSTOP)
            #expect(await Self.await(federation, observers: others.sorted(), alive: others, absent: [stalled]), "the others did not see the stall")
            let during = try Self.expectQueryNames([stalled], through: Self.names[0], in: federation)
            federation.mesh.processes[stalled]?.send(SIGCONT)
            #expect(await Self.await(federation, observers: Self.names, alive: Set(Self.names)), "the stalled host did not come back: \(Self.views(federation))")
            let after = try Self.expectQueryNames([], through: stalled, in: federation)
            try Self.expectAudited(during, at: others, in: federation)
            try Self.expectAudited(after, at: Set(Self.names), in: federation)
        }
    }

    /// A host killed and restarted: named while it is down, counted once it is back, and
    /// its audit log still holds what it answered before the crash.
    @Test(.enabled(if: everyScenario, "ONCOMESH_HOST_TESTS=all (make test-hosts)"))
    func aKilledHostIsNamedAndRejoinsWithItsAudit() async throws {
        try await Self.onHosts { _, federation in
            let victim = Self.names[6]
            let others = Set(Self.names).subtracting([victim])
            let before = try Self.expectQueryNames([], through: Self.names[2], in: federation)
            federation.kill(victim)
            #expect(await Self.await(federation, observers: others.sorted(), alive: others, absent: [victim]), "the others did not see the crash")
            _ = try Self.expectQueryNames([victim], through: Self.names[2], in: federation)
            #expect(try await federation.restart(victim), "the restarted host did not rejoin")
            #expect(await Self.await(federation, observers: Self.names, alive: Set(Self.names)))
            _ = try Self.expectQueryNames([], through: victim, in: federation)
            try Self.expectAudited(before, at: Set(Self.names), in: federation)
        }
    }

    /// A run that fails inside the bed removes it; namespaces and bridges of a test process
    /// that died without tearing down are removed by the next bed.
    @Test func nothingIsLeftBehind() async throws {
        await #expect(throws: TestSupportError.self) {
            let bed = try HostBed(hosts: 2)
            defer { bed.tearDown() }
            throw TestSupportError("a scenario failing halfway")
        }
        #expect(HostBed.leftovers(of: getpid()).isEmpty)
        // A process that made hosts and died: its PID names them.
        let gone = try ProcessRunner.run("/bin/sh", ["-c", "echo $$"])
        let pid = try #require(Int32(gone.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)))
        _ = try ProcessRunner.run(HostBed.ip, ["netns", "add", "omh-\(pid)-0"])
        _ = try ProcessRunner.run(HostBed.ip, ["link", "add", "omb\(pid)", "type", "bridge"])
        #expect(HostBed.leftovers(of: pid).count == 2)
        let bed = try HostBed(hosts: 1)
        bed.tearDown()
        #expect(HostBed.leftovers(of: pid).isEmpty, "\(HostBed.leftovers(of: pid))")
    }

    static func views(_ federation: Federation) -> String {
        names.map { name in
            "\(name): " + (federation.mesh.status(name).map { $0.members.map { "\($0.nodeID)=\($0.status)" }.joined(separator: " ") } ?? "no status")
        }.joined(separator: "\n")
    }
}
