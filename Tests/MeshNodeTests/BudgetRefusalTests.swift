import Foundation
import TestSupport
import Testing

@testable import MeshNode

/// Budgets and rates on real processes (docs/PRIVACY.md, "Budgets and rates"): every
/// provider charges its own ledger and refuses past its limits, the refusal shows in the
/// result's coverage with its reason, the ledger outlives a restart, and the origin's audit
/// records each submission in a chain that verifies.
@Suite(.serialized) struct BudgetRefusalTests {
    /// A count of one diagnosis costs ρ = 1 / (2 · 4²) = 0.03125 at σ = 4, so `frugal`
    /// admits three different ones within its budget of 0.1 and refuses the fourth;
    /// `hurried` has no budget but answers at most four queries a minute.
    static let sites: [PrivacyMesh.Site] = [
        PrivacyMesh.Site(name: "frugal", subjects: 400, seed: 301) { policy in
            policy.k = 5
            policy.privacyBudget = 0.1
            policy.maxQueriesPerMinute = 1000
        },
        PrivacyMesh.Site(name: "hurried", subjects: 400, seed: 302) { policy in
            policy.k = 5
            policy.privacyBudget = nil
            policy.maxQueriesPerMinute = 4
        },
    ]

    static func count(_ diagnosis: String) -> String {
        "SELECT COUNT(DISTINCT subject) FROM cases WHERE diagnosis = '\(diagnosis)'"
    }

    @Test func budgetAndRateRefusalsShowInCoverageAndTheLedgerOutlivesARestart() async throws {
        let federation = try await PrivacyMesh.start(Self.sites)
        defer { federation.stop() }
        for diagnosis in ["C50", "C34", "C61"] {
            let answer = try federation.ask(Self.count(diagnosis), at: "hurried")
            #expect(answer.answered == ["frugal", "hurried"], "\(diagnosis): \(answer.coverageText)")
        }
        let overBudget = try federation.ask(Self.count("C18"), at: "hurried")
        #expect(overBudget.answered == ["hurried"], "\(overBudget.coverageText)")
        let budgetReason = try #require(overBudget.refused["frugal"], "\(overBudget.coverageText)")
        #expect(budgetReason.hasPrefix("budget: researcher alice has spent rho 0.09375 of 0.1"), "\(budgetReason)")

        // A repeat costs nothing at frugal; it is hurried's fifth query within the minute.
        let repeated = try federation.ask(Self.count("C50"), at: "frugal")
        #expect(repeated.answered == ["frugal"], "\(repeated.coverageText)")
        let rateReason = try #require(repeated.refused["hurried"], "\(repeated.coverageText)")
        #expect(rateReason.hasPrefix("rate: researcher alice asked 4 queries in the last minute"), "\(rateReason)")

        // The ledger is in the site database: a restarted frugal still refuses.
        try await federation.restart("frugal")
        let afterRestart = try federation.ask(Self.count("C20"), at: "frugal")
        #expect(afterRestart.refused["frugal"]?.hasPrefix("budget:") == true, "\(afterRestart.coverageText)")

        let ledger = try PrivacyMesh.run(["budget", "--config", federation.mesh.config("frugal"), "--format", "json"])
        let report = try JSONSerialization.jsonObject(with: Data(ledger.standardOutput.utf8)) as? [String: Any]
        let alice = (report?["researchers"] as? [[String: Any]])?.first { $0["researcher"] as? String == "alice" }
        #expect((alice?["spent"] as? Double).map { abs($0 - 0.09375) < 1e-9 } == true, "\(ledger.standardOutput)")

        // Every node's audit chain verifies; the origin recorded the submissions it released.
        for node in ["frugal", "hurried"] {
            let verified = try ProcessRunner.run(CACommandTests.meshnode, ["audit", "verify", "--config", federation.mesh.config(node)])
            #expect(verified.status == 0 && verified.standardOutput.contains("intact"), "\(node): \(verified.combinedOutput)")
        }
        let audit = try PrivacyMesh.run(["audit", "--config", federation.mesh.config("hurried"), "--format", "json"])
        let records = try JSONSerialization.jsonObject(with: Data(audit.standardOutput.utf8)) as? [[String: Any]] ?? []
        let submissions = records.filter { $0["kind"] as? String == "submission" }
        #expect(submissions.count == 4 && submissions.allSatisfy { $0["outcome"] as? String == "released" && $0["table_digest"] is String }, "\(audit.standardOutput)")
        let refusals = records.filter { $0["kind"] as? String == "plan" && $0["outcome"] as? String == "refused" }
        // hurried refused the repeat and the query after frugal's restart, both within the minute.
        #expect(refusals.count == 2 && refusals.allSatisfy { ($0["reason"] as? String)?.hasPrefix("rate:") == true }, "\(audit.standardOutput)")
    }
}
