import Aggregation
import Foundation
import Gossip
import MeshCore
@testable import MeshNode
import QueryPlanner
import Testing
import Transport

/// The node's own shells, several nodes in one process over memory on a test clock: the
/// membership forms and detects a crash, catalogues spread, and a masked federated query is
/// answered, all without a socket and without waiting in real time.
@Suite struct InProcessShellTests {
    @Test func membershipAndCataloguesConvergeOnTheTestClock() async throws {
        let mesh = try await InProcessMesh(nodeCount: 5)
        defer { mesh.shutdown() }
        let all = Set(mesh.nodes.map(\.id))
        let members = await mesh.advance(until: .seconds(30)) { await mesh.membersAgree(running: all) }
        #expect(members != nil, "the five nodes did not all see each other alive within 30 s of protocol time")
        let catalogues = await mesh.advance(until: .seconds(30)) { await mesh.cataloguesAgree(running: all) }
        #expect(catalogues != nil, "catalogues did not reach every node within 30 s of protocol time")
    }

    @Test func aCrashedNodeIsDeclaredDeadAfterItsSuspicion() async throws {
        let mesh = try await InProcessMesh(nodeCount: 5)
        defer { mesh.shutdown() }
        let all = Set(mesh.nodes.map(\.id))
        #expect(await mesh.formed())
        mesh.crash(4)
        let running = all.subtracting([mesh.nodes[4].id])
        // Not within one probe period (nobody has even probed it yet everywhere), but within
        // the suspicion timeout and a few periods of gossip (SWIMSettings).
        let settings = SWIMSettings()
        let bound = settings.suspicionTimeoutMax(memberCount: 5) + settings.probeInterval * 10
        let took = await mesh.advance(until: bound) {
            for node in mesh.nodes.prefix(4) {
                let status = await node.shells.membership.members.first { $0.nodeID == mesh.nodes[4].id }?.status
                guard case .dead? = status else { return false }
            }
            return true
        }
        #expect(took != nil, "the crashed node was not declared dead everywhere within \(bound)")
        if let took { #expect(took > settings.probeInterval) }
        #expect(await mesh.membersAgree(running: running))
    }

    @Test func aMaskedQueryIsAnsweredByEveryProviderInProcess() async throws {
        let mesh = try await InProcessMesh(nodeCount: 4)
        defer { mesh.shutdown() }
        let all = Set(mesh.nodes.map(\.id))
        #expect(await mesh.formed())
        let response = try await mesh.ask("SELECT COUNT(*) FROM cases", origin: 1, as: "dr-in-process")
        #expect(response.status == .ok, "\(response.statusMessage)")
        let result = try FederatedResult(decoding: Array(response.body))
        #expect(result.coverage.answered == all)
        // The policy adds no noise, so the released count is exactly the union of the sites.
        let expected = Int64(mesh.nodes.map(\.site.rowCount).reduce(0, +))
        #expect(result.table.rows.first?.first == .integer(expected))
    }

    @Test func aProviderThatStopsIsReportedWhenTheDeadlinePasses() async throws {
        let mesh = try await InProcessMesh(nodeCount: 4)
        defer { mesh.shutdown() }
        let all = Set(mesh.nodes.map(\.id))
        #expect(await mesh.formed())
        // A provider that hangs (its endpoint takes messages but its shells are gone): only
        // the deadline, on the test clock, can end the wait for it.
        mesh.nodes[3].tasks.forEach { $0.cancel() }
        let started = mesh.clock.now
        let response = try await mesh.ask("SELECT COUNT(*) FROM cases", origin: 0, as: "dr-deadline", timeoutMilliseconds: 2_000)
        try #require(response.status == .ok, "\(response.status): \(response.statusMessage)")
        let result = try FederatedResult(decoding: Array(response.body))
        #expect(!result.coverage.answered.contains(mesh.nodes[3].id))
        #expect(result.coverage.accountedFor == all)
        #expect(mesh.clock.now - started >= .milliseconds(1_000))
    }
}
