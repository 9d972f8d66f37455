@testable import MeshNode
import Testing

/// The policy section of node.yaml: access lists never fail open, privacy settings reach the
/// catalogue policy and survive a rewrite, and mistakes name the file and line.
@Suite struct PolicyConfigTests {
    static func text(policy: [String]) -> String {
        MinimalNodeConfig.text(section: "policy", policy)
    }

    /// `allowed_researchers: bob` once read as an empty list and let everyone in.
    @Test func aSingleAllowedResearcherReadsAsAListOfOne() throws {
        let config = try NodeConfig.parse(Self.text(policy: ["allowed_researchers: bob"]), file: "node.yaml")
        #expect(config.policy.allowedResearchers == ["bob"])
        let policy = config.cataloguePolicy
        #expect(policy.allowedResearchers?.map(\.rawValue) == ["bob"])
        #expect(try NodeConfig.parse(config.yaml(), file: "node.yaml").policy.allowedResearchers == ["bob"])
    }

    @Test func anEmptyListAllowsNobodyAndAnAbsentOneEverybody() throws {
        let none = try NodeConfig.parse(Self.text(policy: ["allowed_researchers: []"]), file: "node.yaml")
        #expect(none.cataloguePolicy.allowedResearchers == [])
        #expect(try NodeConfig.parse(none.yaml(), file: "node.yaml").policy.allowedResearchers == [])
        let everybody = try NodeConfig.parse(Self.text(policy: ["k: 5"]), file: "node.yaml")
        #expect(everybody.cataloguePolicy.allowedResearchers == nil)
    }

    @Test func anAccessListOfTheWrongTypeIsAnErrorWithItsLine() {
        let mapping = #expect(throws: ConfigError.self) {
            try NodeConfig.parse(Self.text(policy: ["allowed_researchers:", "    alice: yes"]), file: "node.yaml")
        }
        #expect(mapping?.line == 9)
        #expect(mapping?.message.contains("allowed_researchers") == true)
        let badID = #expect(throws: ConfigError.self) { try NodeConfig.parse(Self.text(policy: ["allowed_researchers: [alice, 'Bob Smith']"]), file: "node.yaml") }
        #expect(badID?.message.contains("allowed_researchers") == true)
    }

    @Test func privacySettingsReachThePolicyAndSurviveARewrite() throws {
        let config = try NodeConfig.parse(
            Self.text(policy: ["noise_sigma: 6.5", "privacy_budget: 2", "budget_window_days: 7", "max_queries_per_minute: 5", "max_queries_per_day: 50"]),
            file: "node.yaml"
        )
        #expect(config.policy.noiseSigma == 6.5 && config.cataloguePolicy.noiseSigma == 6.5)
        #expect(config.policy.privacyBudget == 2 && config.policy.budgetWindowDays == 7)
        #expect(config.policy.maxQueriesPerMinute == 5 && config.policy.maxQueriesPerDay == 50)
        #expect(try NodeConfig.parse(config.yaml(), file: "node.yaml").policy == config.policy)
        let unlimited = try NodeConfig.parse(Self.text(policy: ["privacy_budget: unlimited"]), file: "node.yaml")
        #expect(unlimited.policy.privacyBudget == nil)
        #expect(try NodeConfig.parse(unlimited.yaml(), file: "node.yaml").policy.privacyBudget == nil)
    }

    /// Partials leave masked unless the operator says otherwise, and the setting survives
    /// a rewrite of the file.
    @Test func plaintextPartialsAreRefusedUnlessAllowed() throws {
        #expect(try NodeConfig.parse(Self.text(policy: ["k: 5"]), file: "node.yaml").policy.plaintextPartials == false)
        let allowed = try NodeConfig.parse(Self.text(policy: ["plaintext_partials: allow"]), file: "node.yaml")
        #expect(allowed.policy.plaintextPartials)
        #expect(try NodeConfig.parse(allowed.yaml(), file: "node.yaml").policy.plaintextPartials)
    }

    @Test func badPrivacySettingsAreNamedWithTheirLine() {
        for (line, fragment) in [
            ("noise_sigma: -1", "noise_sigma"), ("privacy_budget: 0", "privacy_budget"), ("max_queries_per_day: many", "max_queries_per_day"),
            ("plaintext_partials: yes", "plaintext_partials"),
        ] {
            let error = #expect(throws: ConfigError.self) { try NodeConfig.parse(Self.text(policy: [line]), file: "node.yaml") }
            #expect(error?.line == 8, "\(line)")
            #expect(error?.message.contains(fragment) == true, "\(error?.message ?? "")")
        }
    }
}
