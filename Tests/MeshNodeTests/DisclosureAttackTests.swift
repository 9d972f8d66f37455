import Foundation
import GRDB
import TestSupport
import Testing

@testable import MeshNode

/// The differencing attacks of docs/PRIVACY.md ("Attacks"), asked as a researcher would,
/// through `meshnode query` only, against four real nodes at K = 10 with the default noise
/// (σ = 4). Each attack is run over every instance the data offers; without noise each one
/// recovers the hidden value every time (the core tests in CellKeyNoiseTests and the exact
/// release of FederatedQueryTests show that), with noise only as often as two independent
/// noisy values happen to differ by exactly the hidden one.
///
/// `registry-4` does not allow statistics, so a query with AVG is refused there: the site
/// isolation attack.
@Suite(.serialized, .runningAttackFederation) struct DisclosureAttackTests {
    static let k = 10
    static let refusingSite = "registry-4"

    static let sites: [PrivacyMesh.Site] = [
        PrivacyMesh.Site(name: "hospital-1", subjects: 800, seed: 201, configure: Self.configure),
        PrivacyMesh.Site(name: "hospital-2", subjects: 700, seed: 202, configure: Self.configure),
        PrivacyMesh.Site(name: "hospital-3", subjects: 600, seed: 203, configure: Self.configure),
        PrivacyMesh.Site(name: "registry-4", subjects: 600, seed: 204) { policy in
            Self.configure(&policy)
            policy.allowedQueryKinds = ["count", "histogram"]
        },
    ]

    /// The default noise, K = 10, and no budget or rate limit: the attacks need hundreds of
    /// queries, and the budgets have a suite of their own.
    @Sendable static func configure(_ policy: inout NodeConfig.Policy) {
        policy.k = k
        policy.noiseSigma = NodeConfig.Policy.defaultNoiseSigma
        policy.privacyBudget = nil
        policy.maxQueriesPerMinute = 100_000
        policy.maxQueriesPerDay = 1_000_000
    }

    static let diagnoses = ["C15", "C16", "C18", "C20", "C22", "C25", "C34", "C43", "C49", "C50", "C53", "C56", "C61", "C62", "C64", "C67", "C71", "C73", "C81", "C83"]

    var federation: PrivacyMesh {
        get throws { try #require(RunningAttackFederation.current, "the federation did not start") }
    }

    var everySite: String { Self.sites.map { "'\($0.name)'" }.joined(separator: ", ") }

    /// Prints how often an attack hit the hidden value exactly and checks it is rare.
    func expectRare(_ exact: Int, of instances: Int, _ attack: String, minimumInstances: Int = 5) {
        print("\(attack): exact in \(exact) of \(instances) instances")
        #expect(instances >= minimumInstances, "\(attack): the data offered only \(instances) instances")
        #expect(exact * 4 <= instances, "\(attack) recovered the hidden value in \(exact) of \(instances) instances")
    }

    @Test func resultsSayTheyArePerturbed() throws {
        let answer = try federation.ask("SELECT COUNT(DISTINCT subject) FROM cases GROUP BY sex", at: "hospital-1")
        #expect(answer.perturbed && answer.noiseSigma == NodeConfig.Policy.defaultNoiseSigma && answer.k == Self.k)
        #expect(answer.answered.count == Self.sites.count, "coverage: \(answer.coverageText)")
    }

    /// Repeating gains nothing: the same records get the same noise.
    @Test func theSameQueryAskedAHundredTimesGivesOneAnswer() throws {
        let sql = "SELECT COUNT(*), COUNT(DISTINCT subject) FROM cases WHERE diagnosis = 'C34' GROUP BY tumour_stage"
        let first = try federation.ask(sql, at: "hospital-2")
        var distinct: Set<[[FederatedQueryTests.Value]]> = [first.rows]
        for index in 1..<100 {
            distinct.insert(try federation.ask(sql, at: Self.sites[index % Self.sites.count].name).rows)
        }
        #expect(distinct.count == 1, "100 askings gave \(distinct.count) different answers")
    }

    /// Rephrasing gains nothing: three spellings of the same persons, one answer.
    @Test func differentlyWrittenQueriesOverTheSameRecordsGiveTheSameAnswer() throws {
        let spellings = [
            "SELECT COUNT(DISTINCT subject), COUNT(*) FROM cases WHERE diagnosis = 'C18' AND sex = 'F'",
            "SELECT COUNT(DISTINCT subject), COUNT(*) FROM cases WHERE sex IN ('F') AND NOT diagnosis <> 'C18'",
            "SELECT COUNT(DISTINCT subject), COUNT(*) FROM cases WHERE (diagnosis = 'C18' OR diagnosis = 'C18') AND NOT (sex = 'M' OR sex = 'O')",
        ]
        let answers = try spellings.enumerated().map { index, sql in try federation.ask(sql, at: Self.sites[index].name) }
        for answer in answers.dropFirst() {
            #expect(answer.rows == answers[0].rows, "\(answer.rows) vs \(answers[0].rows)")
        }
        // And the grouped cell of the same persons reads the same as the filtered total.
        let grouped = try federation.ask("SELECT COUNT(DISTINCT subject), COUNT(*) FROM cases WHERE sex = 'F' GROUP BY diagnosis", at: "hospital-3")
        let row = try #require(grouped.row(labelled: "C18"))
        #expect(Array(grouped.rows[row].dropFirst()) == answers[0].rows[0])
    }

    /// Complement: the total of a diagnosis minus its released stage cells.
    @Test func theComplementAttackDoesNotRecoverASuppressedCell() throws {
        var instances = 0
        var exact = 0
        for diagnosis in Self.diagnoses {
            let total = try federation.ask("SELECT COUNT(DISTINCT subject) FROM cases WHERE diagnosis = '\(diagnosis)'", at: "hospital-1")
            guard let all = total.number(row: 0, column: "count_distinct_subject") else { continue }
            let grouped = try federation.ask("SELECT COUNT(DISTINCT subject) FROM cases WHERE diagnosis = '\(diagnosis)' GROUP BY tumour_stage", at: "hospital-2")
            var shown = 0.0
            var hidden: [String] = []
            for (index, row) in grouped.rows.enumerated() {
                guard case .text(let stage) = row[0] else { continue }
                if let count = grouped.number(row: index, column: "count_distinct_subject") { shown += count } else { hidden.append(stage) }
            }
            guard !hidden.isEmpty else { continue }
            let truth = try federation.truth(
                "SELECT COUNT(DISTINCT site || '/' || subject_id) FROM cases WHERE diagnosis = ? AND tumour_stage IN (\(hidden.map { "'\($0)'" }.joined(separator: ", ")))",
                [diagnosis]
            )
            instances += 1
            if Int(all - shown) == truth { exact += 1 }
        }
        expectRare(exact, of: instances, "complement (total minus released cells)")
    }

    /// One-unit bins: the total minus the two outer bins of HISTOGRAM(age, a, a+1, 1).
    @Test func oneUnitBinsDoNotRecoverTheMiddleBin() throws {
        var instances = 0
        var exact = 0
        for diagnosis in ["C50", "C34", "C61", "C18", "C20"] {
            let total = try federation.ask("SELECT COUNT(DISTINCT subject) FROM cases WHERE diagnosis = '\(diagnosis)'", at: "hospital-3")
            guard let all = total.number(row: 0, column: "count_distinct_subject") else { continue }
            for age in stride(from: 40, to: 85, by: 4) {
                let histogram = try federation.ask("SELECT HISTOGRAM(age_at_diagnosis, \(age), \(age + 1), 1) FROM cases WHERE diagnosis = '\(diagnosis)'", at: "hospital-1")
                guard let below = histogram.row(labelled: "<\(age)"), let above = histogram.row(labelled: ">=\(age + 1)"), let middle = histogram.row(labelled: "[\(age),\(age + 1))"),
                    let low = histogram.number(row: below, column: "count_distinct_subject"), let high = histogram.number(row: above, column: "count_distinct_subject"),
                    histogram.number(row: middle, column: "count_distinct_subject") == nil
                else { continue }
                let truth = try federation.truth(
                    "SELECT COUNT(DISTINCT site || '/' || subject_id) FROM cases WHERE diagnosis = ? AND age_at_diagnosis >= ? AND age_at_diagnosis < ?",
                    [diagnosis, age, age + 1]
                )
                instances += 1
                if Int(all - low - high) == truth { exact += 1 }
            }
        }
        expectRare(exact, of: instances, "one-unit bins (total minus the outer bins)")
    }

    /// Persons alone in their (diagnosis, stage, sex, year of age) at the sites that answer
    /// statistics: the targets of the average and presence attacks.
    func loners(limit: Int) throws -> [(site: String, diagnosis: String, stage: String, sex: String, age: Double)] {
        try federation.oracle.database.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT MIN(site) AS site, diagnosis, tumour_stage, sex, MIN(age_at_diagnosis) AS age, CAST(age_at_diagnosis AS INTEGER) AS year
                    FROM (SELECT DISTINCT site, subject_id, diagnosis, tumour_stage, sex, age_at_diagnosis FROM cases)
                    GROUP BY diagnosis, tumour_stage, sex, year HAVING COUNT(*) = 1 AND MIN(site) <> ?
                    ORDER BY diagnosis, tumour_stage, sex, year
                    """,
                arguments: [Self.refusingSite]
            ).filter { ["C50", "C34", "C61", "C18", "C20"].contains($0["diagnosis"] as String) }
                .prefix(limit).map { ($0["site"], $0["diagnosis"], $0["tumour_stage"], $0["sex"], $0["age"]) }
        }
    }

    /// Average difference: n1·AVG1 − n2·AVG2 over two filters that differ by one person.
    @Test func theAverageDifferenceDoesNotRecoverOnePersonsAge() throws {
        var errors: [Double] = []
        for person in try loners(limit: 6) {
            let base = "SELECT COUNT(DISTINCT subject), AVG(age_at_diagnosis) FROM cases WHERE diagnosis = '\(person.diagnosis)'"
            let year = Int(person.age)
            let without = base + " AND NOT (tumour_stage = '\(person.stage)' AND sex = '\(person.sex)' AND age_at_diagnosis >= \(year) AND age_at_diagnosis < \(year + 1))"
            let with = try federation.ask(base, at: "hospital-1")
            let other = try federation.ask(without, at: "hospital-2")
            guard let n1 = with.number(row: 0, column: "count_distinct_subject"), let mean1 = with.number(row: 0, column: "avg_age_at_diagnosis"),
                let n2 = other.number(row: 0, column: "count_distinct_subject"), let mean2 = other.number(row: 0, column: "avg_age_at_diagnosis")
            else { continue }
            #expect(with.refused.keys.contains(Self.refusingSite), "\(with.coverageText)")
            errors.append(abs(n1 * mean1 - n2 * mean2 - person.age))
        }
        print("average difference: errors of \(errors.map { String(format: "%.1f", $0) }.joined(separator: ", ")) years against the person's true age")
        #expect(errors.count >= 4, "only \(errors.count) instances")
        #expect(errors.allSatisfy { $0 >= 0.05 }, "an age was recovered to its recorded precision: \(errors)")
    }

    /// Presence: a filter that fits exactly one person reads like the same filter moved to an
    /// age where nobody is.
    @Test func oneTruePersonReadsLikeNobody() throws {
        var instances = 0
        var different: [String] = []
        for person in try loners(limit: 8) {
            let year = Int(person.age)
            let empty = try (0..<120).first { candidate in
                try federation.truth(
                    "SELECT COUNT(*) FROM cases WHERE diagnosis = ? AND tumour_stage = ? AND sex = ? AND age_at_diagnosis >= ? AND age_at_diagnosis < ?",
                    [person.diagnosis, person.stage, person.sex, candidate, candidate + 1]
                ) == 0
            }
            guard let empty else { continue }
            func filter(_ age: Int) -> String {
                "SELECT COUNT(DISTINCT subject), COUNT(*) FROM cases WHERE diagnosis = '\(person.diagnosis)' AND tumour_stage = '\(person.stage)' AND sex = '\(person.sex)' AND age_at_diagnosis >= \(age) AND age_at_diagnosis < \(age + 1)"
            }
            let one = try federation.ask(filter(year), at: "hospital-3")
            let none = try federation.ask(filter(empty), at: "hospital-3")
            instances += 1
            if one.rows != none.rows { different.append("\(person): \(one.rows) vs \(none.rows)") }
            #expect(none.rows == [[.text("<\(Self.k)"), .text("<\(Self.k)")]])
        }
        print("presence: one person and nobody read differently in \(different.count) of \(instances) instances")
        #expect(instances >= 5)
        #expect(different.isEmpty, "\(different.joined(separator: "\n"))")
    }

    /// Site isolation by refusal: a query every site answers minus the same query with AVG
    /// added, which registry-4 refuses.
    @Test func aRefusedSiteCountIsNotTheDifferenceOfTwoAnswers() throws {
        var instances = 0
        var exact = 0
        for diagnosis in ["C50", "C34", "C61", "C18", "C20", "C25", "C64", "C83"] {
            for stage in ["I", "II", "III", "IV"] {
                let filter = "FROM cases WHERE diagnosis = '\(diagnosis)' AND tumour_stage = '\(stage)'"
                let everyone = try federation.ask("SELECT COUNT(DISTINCT subject) \(filter)", at: "hospital-1")
                let withoutRegistry = try federation.ask("SELECT COUNT(DISTINCT subject), AVG(age_at_diagnosis) \(filter)", at: "hospital-1")
                #expect(withoutRegistry.refused[Self.refusingSite]?.contains("statistics") == true, "\(withoutRegistry.coverageText)")
                guard let all = everyone.number(row: 0, column: "count_distinct_subject"),
                    let rest = withoutRegistry.number(row: 0, column: "count_distinct_subject")
                else { continue }
                let truth = try federation.truth(
                    "SELECT COUNT(DISTINCT subject_id) FROM cases WHERE site = ? AND diagnosis = ? AND tumour_stage = ?", [Self.refusingSite, diagnosis, stage]
                )
                guard truth > 0 else { continue }
                instances += 1
                if Int(all - rest) == truth { exact += 1 }
            }
        }
        expectRare(exact, of: instances, "site isolation by refusal")
    }
}

/// Starts the attack federation once around the suite and stops it afterwards.
struct RunningAttackFederation: SuiteTrait, TestScoping {
    @TaskLocal static var current: PrivacyMesh?

    func scopeProvider(for test: Test, testCase: Test.Case?) -> Self? {
        test.isSuite ? self : nil
    }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let federation = try await PrivacyMesh.start(DisclosureAttackTests.sites)
        defer { federation.stop() }
        try await Self.$current.withValue(federation) { try await function() }
    }
}

extension Trait where Self == RunningAttackFederation {
    static var runningAttackFederation: Self { Self() }
}
