import Aggregation
import Foundation
import GRDB
import MeshCore
import QueryPlanner
import TestSupport
import Testing

@testable import MeshNode

/// Federated queries end to end: eight real `meshnode` processes on loopback, each with its
/// own synthetic site, asked by a researcher through `meshnode query`. Every released value
/// is checked against an oracle that is independent of the product: all the sites' CSV
/// exports loaded into one SQLite database and aggregated with plain SQL, then put through
/// the disclosure rule of docs/ARCHITECTURE.md ("Queries") with K the largest k of the nodes that
/// answered.
///
/// One mesh serves the whole suite (forming it takes seconds); the tests run in source
/// order, and the ones that crash nodes come last.
@Suite(.serialized, .runningFederation) struct FederatedQueryTests {
    static let countQuestion = Question(
        sql: "SELECT COUNT(*), COUNT(DISTINCT subject) FROM cases WHERE modality IN ('MR', 'CT') GROUP BY diagnosis, modality",
        filter: "modality IN ('MR', 'CT')",
        groups: [.attribute("diagnosis"), .attribute("modality")],
        aggregates: [.studies, .subjects]
    )

    static let histogramQuestion = Question(
        sql: "SELECT HISTOGRAM(age_at_diagnosis, 0, 100, 10) FROM cases WHERE sex = 'F'",
        filter: "sex = 'F'",
        groups: [.bins("age_at_diagnosis", lower: 0, upper: 100, count: 10, scale: 1)],
        aggregates: [.subjects]
    )

    static let statisticsQuestion = Question(
        sql: "SELECT COUNT(DISTINCT subject), AVG(slice_thickness_mm), STDDEV(slice_thickness_mm) FROM cases GROUP BY manufacturer",
        filter: nil,
        groups: [.attribute("manufacturer")],
        aggregates: [.subjects, .mean("slice_thickness_mm", scale: 2), .standardDeviation("slice_thickness_mm", scale: 2)]
    )

    /// A diagnosis that only some profiles produce, so that the origin prunes the others.
    static let prostateQuestion = Question(
        sql: "SELECT COUNT(*) FROM cases WHERE diagnosis = 'C61'",
        filter: "diagnosis = 'C61'",
        groups: [],
        aggregates: [.studies]
    )

    /// Counts and statistics of a subject-level attribute together, for the crash scenarios;
    /// rare diagnoses and sex O make cells whose statistics must be suppressed with them.
    static let mixedQuestion = Question(
        sql: "SELECT COUNT(*), COUNT(DISTINCT subject), AVG(age_at_diagnosis), VARIANCE(age_at_diagnosis) FROM cases GROUP BY diagnosis, sex",
        filter: nil,
        groups: [.attribute("diagnosis"), .attribute("sex")],
        aggregates: [.studies, .subjects, .mean("age_at_diagnosis", scale: 1), .variance("age_at_diagnosis", scale: 1)]
    )

    var federation: Federation {
        get throws { try #require(Federation.current, "the federation did not start") }
    }

    @Test func countsGroupedByDiagnosisAndModalityMatchTheOracle() throws {
        let federation = try federation
        let answer = try federation.ask(Self.countQuestion, at: "general-1")
        print("one federated query over 8 nodes (count, grouped by diagnosis and modality): \(answer.elapsed) wall clock for `meshnode query`")
        #expect(answer.answered == federation.allNodes, "coverage: \(answer.coverageText)")
        let problems = try federation.discrepancies(answer, Self.countQuestion)
        #expect(problems.isEmpty, "\(Self.countQuestion.sql)\n\(problems.joined(separator: "\n"))")
        let suppressed = answer.rows.filter { $0.contains(.text("<\(answer.k)")) }.count
        #expect(suppressed > 0, "no cell below K=\(answer.k) was suppressed; the data should produce some")
    }

    @Test func histogramOfAgeAtDiagnosisMatchesTheOracle() throws {
        let federation = try federation
        let answer = try federation.ask(Self.histogramQuestion, at: "lung-1")
        #expect(answer.answered == federation.allNodes, "coverage: \(answer.coverageText)")
        let problems = try federation.discrepancies(answer, Self.histogramQuestion)
        #expect(problems.isEmpty, "\(Self.histogramQuestion.sql)\n\(problems.joined(separator: "\n"))")
    }

    @Test func meanAndStandardDeviationPerManufacturerMatchTheOracle() throws {
        let federation = try federation
        let answer = try federation.ask(Self.statisticsQuestion, at: "prostate-2")
        #expect(answer.answered == federation.allNodes, "coverage: \(answer.coverageText)")
        let problems = try federation.discrepancies(answer, Self.statisticsQuestion)
        #expect(problems.isEmpty, "\(Self.statisticsQuestion.sql)\n\(problems.joined(separator: "\n"))")
    }

    @Test func nodesWithoutTheDiagnosisArePrunedWithAReason() throws {
        let federation = try federation
        let answer = try federation.ask(Self.prostateQuestion, at: "general-2")
        let holders = try federation.oracle.sites(where: "diagnosis = 'C61'")
        let lacking = federation.allNodes.subtracting(holders)
        #expect(!lacking.isEmpty && !holders.isEmpty, "the synthetic sites should include some with and some without C61: holders \(holders.sorted())")
        #expect(Set(answer.pruned.keys) == lacking, "pruned \(answer.pruned.keys.sorted()), sites without C61 rows \(lacking.sorted())")
        for (node, reason) in answer.pruned {
            #expect(reason.contains("C61"), "the pruning reason of \(node) does not name the value: '\(reason)'")
        }
        #expect(answer.answered == holders, "answered \(answer.answered.sorted()), sites with C61 rows \(holders.sorted())")
        #expect(answer.answered.union(answer.pruned.keys) == federation.allNodes && answer.answered.isDisjoint(with: answer.pruned.keys))
        let problems = try federation.discrepancies(answer, Self.prostateQuestion)
        #expect(problems.isEmpty, "\(Self.prostateQuestion.sql)\n\(problems.joined(separator: "\n"))")
    }

    @Test func theSameQueryThroughThreeOriginsGivesTheSameResult() throws {
        let federation = try federation
        let answers = try ["prostate-1", "lung-1", "paediatric-2"].map { try federation.ask(Self.statisticsQuestion, at: $0) }
        #expect(Set(answers.map(\.queryID)).count == 3, "query ids: \(answers.map(\.queryID))")
        for answer in answers.dropFirst() {
            #expect(answer.columns == answers[0].columns)
            #expect(answer.k == answers[0].k)
            #expect(answer.rows == answers[0].rows, "origin \(answer.origin) differs from \(answers[0].origin):\n\(answer.rows)\nvs\n\(answers[0].rows)")
            #expect(answer.answered == federation.allNodes, "coverage through \(answer.origin): \(answer.coverageText)")
        }
        let problems = try federation.discrepancies(answers[0], Self.statisticsQuestion)
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }

    @Test func theTreeShapeDoesNotChangeTheResult() throws {
        let federation = try federation
        let reference = try federation.ask(Self.countQuestion, at: "breast-1")
        for fanout in [1, 2, 8, 30] {
            let answer = try federation.ask(Self.countQuestion, at: "breast-1", fanout: fanout)
            #expect(answer.columns == reference.columns && answer.k == reference.k, "fanout \(fanout)")
            #expect(answer.rows == reference.rows, "fanout \(fanout) gives other rows than the default fanout")
            #expect(answer.answered == federation.allNodes, "fanout \(fanout): \(answer.coverageText)")
            let problems = try federation.discrepancies(answer, Self.countQuestion)
            #expect(problems.isEmpty, "fanout \(fanout):\n\(problems.joined(separator: "\n"))")
        }
    }

    /// Every plan a node executed is in its audit log, under the researcher and with its
    /// outcome; a plan that pruned the node never reached it and is not.
    @Test func theAuditLogListsTheQueriesTheNodeAnswered() throws {
        let federation = try federation
        let node = "paediatric-2"
        _ = try federation.ask(Self.histogramQuestion, at: "general-1")
        _ = try federation.ask(Self.prostateQuestion, at: "general-1")
        let records = try federation.audit(node)
        let byID = Dictionary(records.map { ($0.queryID, $0) }, uniquingKeysWith: { first, _ in first })
        let asked = federation.answers
        let answered = asked.filter { $0.answered.contains(node) }
        #expect(!answered.isEmpty)
        for answer in answered {
            guard let record = byID[answer.queryID] else {
                Issue.record("\(node) answered query \(answer.queryID) but its audit has no record of it (audit ids: \(records.map(\.queryID)))")
                continue
            }
            #expect(record.researcher == "alice", "\(record)")
            #expect(record.outcome == "answered", "\(record)")
            #expect(record.origin == answer.origin, "\(record)")
        }
        for answer in asked where answer.pruned[node] != nil {
            #expect(byID[answer.queryID] == nil, "\(node) was pruned from \(answer.queryID) but its audit lists it")
        }
    }

    /// Partials leave a provider masked unless its operator allows otherwise: a researcher
    /// who asks for the plaintext tree is refused by every provider, with the setting named.
    @Test func thePlaintextTreeIsRefusedByProvidersThatDoNotAllowIt() throws {
        let federation = try federation
        let answer = try federation.ask(Self.countQuestion, at: "general-1", plaintextTree: true)
        #expect(answer.answered.isEmpty, "answered in the clear: \(answer.coverageText)")
        #expect(Set(answer.refused.keys) == federation.liveNodes, "\(answer.coverageText)")
        #expect(answer.refused.values.allSatisfy { $0.contains("plaintext_partials") }, "\(answer.refused)")
    }

    /// A provider answers the first round (its masked vector is in the sum) and is killed
    /// before the unmasking round: its self mask is rebuilt from its neighbours' shares, so
    /// the result is exact over every node that answered, the killed one included.
    ///
    /// To hold the first round open without a dropout, another node is frozen (SIGSTOP)
    /// before the query and resumed (SIGCONT) once the victim has answered and been killed;
    /// the frozen node then answers well before the deadline.
    @Test func aNodeKilledBetweenMaskingAndUnmaskingStillCounts() async throws {
        let federation = try federation
        // Nodes the other crash tests do not use.
        let (origin, frozen, victim) = ("prostate-1", "paediatric-1", "prostate-2")
        try #require(Set([origin, frozen, victim]).isSubset(of: federation.liveNodes), "live: \(federation.liveNodes.sorted())")
        let before = try federation.audit(victim).count
        federation.mesh.processes[frozen]?.send(SIGSTOP)
        let question = Self.countQuestion
        let asking = Task.detached { try federation.ask(question, at: origin, timeout: 12) }
        // The victim has answered the first round once its audit holds the plan (the record
        // is written before the masked vector leaves); a moment later the vector is sent.
        var answeredFirstRound = false
        for _ in 0..<100 where !answeredFirstRound {
            try await Task.sleep(for: .milliseconds(50))
            answeredFirstRound = try federation.audit(victim).count > before
        }
        try await Task.sleep(for: .milliseconds(300))
        federation.kill(victim)
        federation.mesh.processes[frozen]?.send(SIGCONT)
        let answer = try await asking.value
        print("query with \(victim) killed between the rounds: \(answer.elapsed); \(answer.coverageText)")
        #expect(answeredFirstRound, "\(victim) never recorded the plan")
        #expect(answer.answered.contains(victim), "\(victim) was killed before its masked vector left; the between-rounds case was not exercised: \(answer.coverageText)")
        #expect(answer.answered.contains(frozen), "the frozen node did not answer after it resumed: \(answer.coverageText)")
        let problems = try federation.discrepancies(answer, question)
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
        // The frozen node may have been suspected meanwhile; the next tests need it alive.
        let settled = await federation.mesh.wait(for: federation.liveNodes.sorted(), timeout: .seconds(15)) { status in
            MeshFormationTests.state(status, of: frozen) == "alive" && MeshFormationTests.state(status, of: victim) != "alive"
        }
        #expect(settled != nil, "\(frozen) is not alive again (or \(victim) not gone) in every view")
    }

    /// A provider crashes (SIGKILL) just before a query: it is reported, and the result is
    /// that of the seven others, under the largest k of every node planned for (the crashed
    /// one, which has the largest, included).
    /// With the default fanout (8) the tree is a star, so the crashed node is a leaf.
    @Test func aCrashedLeafIsReportedAndTheOthersStillCount() async throws {
        let federation = try federation
        let victim = "breast-1"
        federation.kill(victim)
        let answer = try federation.ask(Self.mixedQuestion, at: "general-1", timeout: 5)
        print("query with \(victim) crashed just before: \(answer.elapsed); coverage \(answer.coverageText)")
        #expect(answer.failed[victim] != nil || answer.timedOut.contains(victim), "the crashed node is not reported: \(answer.coverageText)")
        #expect(answer.answered == federation.liveNodes, "answered \(answer.answered.sorted()), live \(federation.liveNodes.sorted())")
        // K stays that of every provider the origin planned against, the crashed one
        // included: which providers answer never changes the threshold.
        #expect(answer.k == federation.strictestK(of: federation.allNodes), "K is \(answer.k); the planned nodes' largest k is \(federation.strictestK(of: federation.allNodes))")
        let problems = try federation.discrepancies(answer, Self.mixedQuestion)
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }

    /// An interior node of the aggregation tree crashes: its parent asks the crashed node's
    /// children directly, so everybody alive still answers. Fanout 1 makes the tree a chain,
    /// in which every node but the last is interior; the test rebuilds the query's tree from
    /// its id and checks that the crashed node was a target with children in it.
    ///
    /// The crash must come before the failure detector notices it (a few hundred
    /// milliseconds with the test's gossip settings), or the origin leaves the node out of
    /// the plan; an attempt that loses that race restarts the node and tries again.
    @Test func aCrashedInteriorNodeDoesNotHideItsSubtree() async throws {
        let federation = try federation
        let victim = "general-2"
        let origin = "lung-1"
        // A node that is long dead is named in the coverage without being a target; its
        // reason tells apart a node left out of the plan from one that failed in the tree.
        let absentee = "breast-1"
        if !federation.crashedNodes.contains(absentee) { federation.kill(absentee) }
        let settled = await federation.mesh.wait(for: federation.liveNodes.sorted(), timeout: .seconds(15)) { status in
            MeshFormationTests.state(status, of: absentee) == "dead"
        }
        try #require(settled != nil, "\(absentee) is not dead in every view")

        var exercised = false
        for attempt in 1...4 where !exercised {
            if attempt > 1 {
                let rejoined = try await federation.restart(victim)
                try #require(rejoined, "\(victim) did not rejoin after its restart")
            }
            federation.kill(victim)
            let answer = try federation.ask(Self.mixedQuestion, at: origin, fanout: 1, timeout: 5)
            let absentReason = answer.failed[absentee]
            let leftOut = Set(answer.failed.filter { absentReason != nil && $0.value == absentReason }.keys)
            let targets = answer.answered.union(answer.failed.keys).union(answer.timedOut).union(answer.refused.keys).subtracting(leftOut)
            guard targets.contains(victim) else {
                print("attempt \(attempt): \(victim) was already out of \(origin)'s view when it planned; \(answer.coverageText)")
                continue
            }
            let tree = AggregationTree(
                queryID: try QueryID(hex: answer.queryID).bytes,
                origin: try NodeID(origin),
                targets: try targets.map { try NodeID($0) },
                fanout: 1
            )
            let children = tree.children(of: try NodeID(victim)).map(\.rawValue)
            print("attempt \(attempt): \(victim) at depth \(tree.depth(of: try NodeID(victim)) ?? -1) of \(tree.order.map(\.rawValue)) with children \(children); \(answer.elapsed); \(answer.coverageText)")
            #expect(answer.failed[victim] != nil || answer.timedOut.contains(victim), "the crashed node is not reported: \(answer.coverageText)")
            #expect(
                answer.answered == federation.liveNodes,
                "live nodes below the crashed \(victim) did not answer: answered \(answer.answered.sorted()), live \(federation.liveNodes.sorted()), chain \(tree.order.map(\.rawValue)); \(answer.coverageText)"
            )
            let problems = try federation.discrepancies(answer, Self.mixedQuestion)
            #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
            exercised = !children.isEmpty
        }
        #expect(exercised, "\(victim) was never an interior target of a query; the scenario was not exercised")
    }
}

/// The oracle's own rules, checked against the product's release step on hand-made partials,
/// so that a mismatch in the process tests points at the mesh and not at the oracle.
@Suite struct FederatedQueryOracleTests {
    typealias Answer = FederatedQueryTests.Answer
    typealias Question = FederatedQueryTests.Question
    typealias Oracle = FederatedQueryTests.Oracle
    typealias OracleGroup = FederatedQueryTests.OracleGroup
    typealias OracleCell = FederatedQueryTests.OracleCell
    typealias OracleStatistic = FederatedQueryTests.OracleStatistic

    @Test func labelsAndSuppressionAgreeWithTheReleasedTable() throws {
        let binning = Grouping.bin("age_at_diagnosis", lower: 0, upper: 100, count: 10)
        let query = Query(aggregates: [.subjectCount], groupBy: [binning])
        let counts: [(GroupValue, Int64)] = [(.bin(-1), 3), (.bin(0), 7), (.bin(4), 5), (.bin(9), 4), (.bin(10), 12), (.null, 6)]
        var partial = QueryPartial(statisticAttributes: [])
        for (value, subjects) in counts {
            partial.cells[[value]] = CellPartial(studies: subjects, subjects: subjects, statistics: [])
        }
        let table = ResultTable(query: query, partial: partial, scales: ["age_at_diagnosis": 1], disclosure: DisclosureControl(k: 5))
        let answer = try Answer(decoding: table.json(), origin: "unit")

        let group = OracleGroup.bins("age_at_diagnosis", lower: 0, upper: 100, count: 10, scale: 1)
        let cells = counts.map { value, subjects in
            let raw: DatabaseValue =
                switch value {
                case .bin(let index): index.databaseValue
                default: .null
                }
            return OracleCell(groups: [group.value(raw)], studies: Int(subjects), subjects: Int(subjects), statistic: nil)
        }
        let question = Question(sql: "", filter: nil, groups: [group], aggregates: [.subjects])
        let problems = Oracle.discrepancies(answer, question, cells: cells, k: 5)
        #expect(problems.isEmpty, "\(problems)\n\(table.json())")
        #expect(group.value(Int(-1).databaseValue) == .text("<0") && group.value(Int(10).databaseValue) == .text(">=100"))
    }

    @Test func statisticsAgreeWithTheReleasedTable() throws {
        let query = Query(aggregates: [.subjectCount, .mean("slice_thickness_mm"), .standardDeviation("slice_thickness_mm")], groupBy: [.attribute("manufacturer")])
        // Values in hundredths of a millimetre, as the oracle sums them.
        let values: [String: [Int]] = ["GE": [125, 250, 300, 300, 75], "SIEMENS": [300], "CANON": [100, 100]]
        var partial = QueryPartial(statisticAttributes: ["slice_thickness_mm"])
        var cells: [OracleCell] = []
        for (manufacturer, list) in values {
            let sum = list.reduce(0, +)
            let squares = list.map { $0 * $0 }.reduce(0, +)
            let subjects = list.count + 10
            partial.cells[[.code(manufacturer)]] = CellPartial(
                studies: Int64(subjects),
                subjects: Int64(subjects),
                statistics: [NumericPartial(count: Int64(list.count), sum: Int128(sum), sumOfSquares: Int128(squares))]
            )
            let statistic = OracleStatistic(mean: Double(sum) / Double(list.count) / 100, count: list.count, sum: sum, sumOfSquares: squares)
            cells.append(OracleCell(groups: [.text(manufacturer)], studies: subjects, subjects: subjects, statistic: statistic))
        }
        let table = ResultTable(query: query, partial: partial, scales: ["slice_thickness_mm": 2], disclosure: DisclosureControl(k: 5))
        let answer = try Answer(decoding: table.json(), origin: "unit")
        let question = FederatedQueryTests.statisticsQuestion
        let problems = Oracle.discrepancies(answer, question, cells: cells, k: 5)
        #expect(problems.isEmpty, "\(problems)\n\(table.json())")
    }

    /// Pseudonyms are site-local, so the same subject key at two sites is two persons; a
    /// person's age counts once per cell however many studies they have.
    @Test func personsAreCountedPerSiteAndTheirAgeOncePerCell() throws {
        let directory = try TemporaryDirectory("oncomesh-oracle")
        defer { directory.remove() }
        let header = "subject_id,sex,age_at_diagnosis,diagnosis,tumour_stage,modality,body_part,manufacturer,study_year,slice_thickness_mm,image_count"
        let exports = [
            "site-a": ["S1,M,60,C61,II,MR,PROSTATE,SIEMENS,2021,3,120", "S1,M,60,C61,II,MR,PROSTATE,GE,2022,,80", "S1,M,60,C61,II,CT,PELVIS,GE,2022,1.25,300", "S2,F,40,C50,I,MG,BREAST,HOLOGIC,2020,,4"],
            "site-b": ["S1,F,50,C50,III,MR,BREAST,PHILIPS,2019,1.5,200", "S1,F,50,C50,III,MG,BREAST,HOLOGIC,2019,,4"],
        ]
        var files: [(site: String, path: String)] = []
        for (site, rows) in exports.sorted(by: { $0.key < $1.key }) {
            let path = directory.file("\(site).csv")
            try ([header] + rows).joined(separator: "\n").appending("\n").write(toFile: path, atomically: true, encoding: .utf8)
            files.append((site, path))
        }
        let oracle = try Oracle(csvFiles: files)
        let everyone: Set<String> = ["site-a", "site-b"]
        let mean = FederatedQueryTests.OracleAggregate.mean("age_at_diagnosis", scale: 1)

        let total = try oracle.cells(Question(sql: "", filter: nil, groups: [], aggregates: [.studies, .subjects, mean]), sites: everyone)
        #expect(total.map(\.studies) == [6] && total.map(\.subjects) == [3])
        #expect(total.first?.statistic?.mean == 50 && total.first?.statistic?.count == 3, "\(String(describing: total.first?.statistic))")

        let byModality = try oracle.cells(Question(sql: "", filter: nil, groups: [.attribute("modality")], aggregates: [.studies, .subjects, mean]), sites: everyone)
        let summary = Dictionary(uniqueKeysWithValues: byModality.map { ($0.groups, [$0.studies, $0.subjects, $0.statistic?.count ?? -1]) })
        #expect(summary == [[.text("MR")]: [3, 2, 2], [.text("CT")]: [1, 1, 1], [.text("MG")]: [2, 2, 2]], "\(summary)")
        let mr = byModality.first { $0.groups == [.text("MR")] }?.statistic
        #expect(mr?.mean == 55 && mr?.sampleVariance(scale: 1) == 50, "\(String(describing: mr))")

        let siteAOnly = try oracle.cells(Question(sql: "", filter: "diagnosis = 'C61'", groups: [], aggregates: [.subjects]), sites: ["site-a"])
        #expect(siteAOnly.map(\.subjects) == [1])
    }

    /// The oracle's SQL binning puts the edges where the executor's rule does:
    /// floor((v - lo) · n / (hi - lo)) on the declared decimal scale, -1 below, n at or above.
    @Test func sqlBinningPutsTheEdgesInTheRightBins() throws {
        let database = try DatabaseQueue()
        let ages: [(Double?, Int?)] = [(-0.1, -1), (0, 0), (9.9, 0), (10, 1), (29.9, 2), (30, 3), (55.5, 5), (69.9, 6), (70, 7), (99.9, 9), (100, 10), (130.2, 10), (nil, nil)]
        let expression = OracleGroup.bins("age_at_diagnosis", lower: 0, upper: 100, count: 10, scale: 1).sqlExpression
        try database.write { db in
            try db.execute(sql: "CREATE TABLE cases (age_at_diagnosis NUMERIC)")
            for (age, _) in ages { try db.execute(sql: "INSERT INTO cases VALUES (?)", arguments: [age]) }
        }
        let bins = try database.read { db in try Int?.fetchAll(db, sql: "SELECT \(expression) FROM cases ORDER BY rowid") }
        #expect(bins == ages.map(\.1))
    }
}

extension FederatedQueryTests {
    // MARK: - The running federation

    /// One synthetic site: a node of the mesh with its own data profile and threshold.
    struct FederatedSite: Sendable {
        let name: String
        let profile: String
        let subjects: Int
        let seed: Int
        let k: Int
    }

    /// Eight `meshnode run` processes, a CA, the researcher "alice" and the oracle over all the
    /// sites' exports; shared by the tests of ``FederatedQueryTests`` through a task-local.
    final class Federation: @unchecked Sendable {
        @TaskLocal static var current: Federation?

        /// Different profiles and sizes; two thresholds above the usual 5, the largest at a node
        /// that a test later crashes, so that K visibly drops with it.
        static let sites: [FederatedSite] = [
            FederatedSite(name: "general-1", profile: "general", subjects: 600, seed: 101, k: 5),
            FederatedSite(name: "prostate-1", profile: "prostate", subjects: 500, seed: 102, k: 5),
            FederatedSite(name: "breast-1", profile: "breast", subjects: 700, seed: 103, k: 12),
            FederatedSite(name: "paediatric-1", profile: "paediatric", subjects: 400, seed: 104, k: 5),
            FederatedSite(name: "lung-1", profile: "lung", subjects: 800, seed: 105, k: 10),
            FederatedSite(name: "general-2", profile: "general", subjects: 900, seed: 106, k: 5),
            FederatedSite(name: "prostate-2", profile: "prostate", subjects: 300, seed: 107, k: 5),
            FederatedSite(name: "paediatric-2", profile: "paediatric", subjects: 350, seed: 108, k: 5),
        ]

        let mesh: MeshFormationTests.Mesh
        let oracle: Oracle
        /// Where each node listens (host:port): loopback ports, or one test host each.
        let addresses: [String: String]
        let researcher: String
        let allNodes: Set<String>
        private let lock = NSLock()
        private var crashed: Set<String> = []
        private var asked: [Answer] = []

        private init(mesh: MeshFormationTests.Mesh, oracle: Oracle, addresses: [String: String], researcher: String) {
            self.mesh = mesh
            self.oracle = oracle
            self.addresses = addresses
            self.researcher = researcher
            self.allNodes = Set(Self.sites.map(\.name))
        }

        /// Creates the CA, the sites and the researcher, starts every node and waits until each
        /// one lists all eight as alive with all eight verified catalogues. On `hosts`, site i
        /// runs on host i; otherwise on loopback ports.
        static func start(hosts: HostBed? = nil) async throws -> Federation {
            let mesh = try MeshFormationTests.Mesh(hosts: hosts)
            do {
                let ca = mesh.directory.file("ca")
                try run(["ca", "init", "--dir", ca])
                let researcher = mesh.directory.file("alice")
                try run(["ca", "issue-researcher", "--dir", ca, "--id", "alice", "--out", researcher])
                let list: [String]
                if let hosts {
                    precondition(hosts.count >= sites.count, "one host per site")
                    list = sites.indices.map(hosts.endpoint)
                    for (index, site) in sites.enumerated() { mesh.hostOf[site.name] = index }
                } else {
                    list = try MeshFormationTests.freePorts(sites.count).map { "127.0.0.1:\($0)" }
                }
                let addresses = Dictionary(uniqueKeysWithValues: zip(sites.map(\.name), list))
                // Synthesis and import dominate the set-up time; the sites are independent.
                let failures = LockedList()
                DispatchQueue.concurrentPerform(iterations: sites.count) { index in
                    do {
                        try create(sites[index], listen: list[index], seed: list[0], ca: ca, in: mesh)
                    } catch {
                        failures.append("\(sites[index].name): \(error)")
                    }
                }
                guard failures.items.isEmpty else { throw TestSupportError(failures.items.joined(separator: "\n")) }
                let oracle = try Oracle(csvFiles: sites.map { ($0.name, mesh.directory.file("\($0.name).csv")) })

                let started = ContinuousClock.now
                for site in sites { try mesh.start(site.name) }
                let names = sites.map(\.name)
                let formed = await mesh.wait(for: names, timeout: .seconds(30)) { status in
                    status.members.filter { $0.status == "alive" }.count == names.count && Set(status.catalogues.map(\.nodeID)) == Set(names)
                }
                guard formed != nil else {
                    let views = names.map { name in
                        "\(name): " + (mesh.status(name).map { "members \($0.members.map { "\($0.nodeID)=\($0.status)" }), catalogues \($0.catalogues.map(\.nodeID))" } ?? "no status")
                    }
                    throw TestSupportError("the mesh did not form:\n" + views.joined(separator: "\n"))
                }
                print("federated query mesh: 8 nodes alive with 8 catalogues each after \(ContinuousClock.now - started)")
                return Federation(mesh: mesh, oracle: oracle, addresses: addresses, researcher: researcher)
            } catch {
                mesh.stopAll()
                throw error
            }
        }

        private static func create(_ site: FederatedSite, listen: String, seed: String, ca: String, in mesh: MeshFormationTests.Mesh) throws {
            let csv = mesh.directory.file("\(site.name).csv")
            try run(["synth", "--profile", site.profile, "--subjects", String(site.subjects), "--seed", String(site.seed), "--out", csv])
            try run([
                "init", "--node-id", site.name, "--ca-dir", ca, "--listen", listen, "--seeds", seed,
                "--csv", csv, "--site-name", "\(site.name) (\(site.profile))", "--k", String(site.k), "--dir", mesh.directory.file(site.name),
            ])
            var yaml = try String(contentsOfFile: mesh.config(site.name), encoding: .utf8)
            guard yaml.contains("\n  k: \(site.k)\n") else { throw TestSupportError("\(site.name)'s node.yaml does not set k: \(site.k):\n\(yaml)") }
            yaml = try exactRelease(yaml)
            yaml += "gossip:\n" + MeshFormationTests.gossip.sorted { $0.key < $1.key }.map { "  \($0.key): \($0.value)\n" }.joined()
            try yaml.write(toFile: mesh.config(site.name), atomically: true, encoding: .utf8)
        }

        /// This suite checks the tree, the threshold and the arithmetic against an exact
        /// oracle, so its sites release exact values under k alone (noise_sigma 0) and set no
        /// budget; the noise and the budgets have suites of their own
        /// (DisclosureAttackTests, PrivacyLedgerTests).
        static func exactRelease(_ yaml: String) throws -> String {
            var lines = yaml.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let replacements = [
                "  noise_sigma:": "  noise_sigma: 0", "  privacy_budget:": "  privacy_budget: unlimited",
                "  max_queries_per_minute:": "  max_queries_per_minute: 100000", "  max_queries_per_day:": "  max_queries_per_day: 1000000",
            ]
            for (prefix, line) in replacements {
                guard let index = lines.firstIndex(where: { $0.hasPrefix(prefix) }) else {
                    throw TestSupportError("node.yaml has no line starting '\(prefix)':\n\(yaml)")
                }
                lines[index] = line
            }
            return lines.joined(separator: "\n")
        }

        @discardableResult
        private static func run(_ arguments: [String]) throws -> ProcessResult {
            let result = try ProcessRunner.run(CACommandTests.meshnode, arguments)
            guard result.status == 0 else { throw TestSupportError("meshnode \(arguments.joined(separator: " ")) failed: \(result.combinedOutput)") }
            return result
        }

        func stop() { mesh.stopAll() }

        /// Ends a node at once (SIGKILL), as a crash would.
        func kill(_ node: String) {
            mesh.processes[node]?.kill()
            lock.withLock { _ = crashed.insert(node) }
        }

        /// Starts a crashed node again and waits until every live node (the restarted one
        /// included) lists it as alive in a status written after the restart.
        func restart(_ node: String) async throws -> Bool {
            let restarted = Date()
            try mesh.start(node)
            lock.withLock { _ = crashed.remove(node) }
            let rejoined = await mesh.wait(for: liveNodes.sorted(), timeout: .seconds(10)) { status in
                status.updatedAt > restarted.addingTimeInterval(0.5) && MeshFormationTests.state(status, of: node) == "alive"
            }
            return rejoined != nil
        }

        var liveNodes: Set<String> { lock.withLock { allNodes.subtracting(crashed) } }

        var crashedNodes: Set<String> { lock.withLock { crashed } }

        /// Every answer received so far.
        var answers: [Answer] { lock.withLock { asked } }

        func strictestK(of nodes: Set<String>) -> Int {
            Self.sites.filter { nodes.contains($0.name) }.map(\.k).max() ?? 1
        }

        /// Runs `meshnode query --format json` as alice through `origin`.
        func ask(_ question: Question, at origin: String, fanout: Int? = nil, timeout: Double? = nil, plaintextTree: Bool = false) throws -> Answer {
            var arguments = [
                "query", "--node", addresses[origin]!, "--identity", researcher, "--ca", researcher + "/ca.crt", "--format", "json",
            ]
            if let fanout { arguments += ["--fanout", String(fanout)] }
            if let timeout { arguments += ["--timeout", String(timeout)] }
            if plaintextTree { arguments.append("--plaintext-tree") }
            arguments.append(question.sql)
            let start = ContinuousClock.now
            let result = try ProcessRunner.run(CACommandTests.meshnode, arguments)
            let elapsed = ContinuousClock.now - start
            // 2: a partial result (a node crashed or timed out), printed like a complete one.
            guard result.status == 0 || result.status == 2 else {
                throw TestSupportError("meshnode query through \(origin) failed (\(result.status)): \(result.combinedOutput)\nquery: \(question.sql)")
            }
            var answer = try Answer(decoding: result.standardOutput, origin: origin)
            answer.elapsed = elapsed
            lock.withLock { asked.append(answer) }
            return answer
        }

        /// Differences between `answer` and the oracle over the sites that answered, released
        /// under the largest k among them.
        func discrepancies(_ answer: Answer, _ question: Question) throws -> [String] {
            // K is the largest k of every provider the origin planned against: all but those
            // it did not see alive.
            let planned = answer.answered.union(answer.pruned.keys).union(answer.refused.keys).union(answer.timedOut)
                .union(answer.failed.filter { !$0.value.hasPrefix("not alive in the membership") }.keys)
            let k = strictestK(of: planned)
            var problems: [String] = []
            if answer.k != k { problems.append("K is \(answer.k); the largest k of the answering nodes \(answer.answered.sorted()) is \(k)") }
            let cells = try oracle.cells(question, sites: answer.answered)
            let suppressed = cells.filter { $0.subjects > 0 && $0.subjects < k }.count
            print("through \(answer.origin): \(cells.count) cells, \(suppressed) below K=\(k), from \(answer.answered.count) nodes: \(question.sql)")
            return problems + Oracle.discrepancies(answer, question, cells: cells, k: k)
        }

        struct AuditEntry: Decodable, CustomStringConvertible {
            let queryID: String
            let researcher: String
            let origin: String
            let outcome: String

            enum CodingKeys: String, CodingKey {
                case queryID = "query_id", researcher, origin, outcome
            }

            var description: String { "\(queryID) \(researcher)@\(origin) \(outcome)" }
        }

        /// `meshnode audit --format json` of `node`.
        func audit(_ node: String) throws -> [AuditEntry] {
            let result = try Self.run(["audit", "--config", mesh.config(node), "--format", "json"])
            do {
                return try JSONDecoder().decode([AuditEntry].self, from: Data(result.standardOutput.utf8))
            } catch {
                throw TestSupportError("the audit of \(node) is not the expected JSON (\(error)):\n\(result.standardOutput)")
            }
        }
    }




    // MARK: - Results as `meshnode query --format json` prints them

    /// A JSON value of a result row.
    enum Value: Hashable, Decodable, CustomStringConvertible {
        case text(String)
        case number(Double)
        case null

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                self = .null
            } else if let text = try? container.decode(String.self) {
                self = .text(text)
            } else {
                self = .number(try container.decode(Double.self))
            }
        }

        var description: String {
            switch self {
            case .text(let text): "\"\(text)\""
            case .number(let number): "\(number)"
            case .null: "null"
            }
        }
    }

    /// A federated result with its coverage.
    struct Answer: Sendable {
        let queryID: String
        let columns: [String]
        let rows: [[Value]]
        let k: Int
        let answered: Set<String>
        let pruned: [String: String]
        let refused: [String: String]
        let timedOut: Set<String>
        let failed: [String: String]
        let origin: String
        /// Whether the released values carry noise, and its standard deviation on a count.
        let perturbed: Bool
        let noiseSigma: Double
        var elapsed: Duration = .zero

        private struct Wire: Decodable {
            struct Coverage: Decodable {
                let answered: [String]
                let pruned: [String: String]
                let refused: [String: String]
                let timed_out: [String]
                let failed: [String: String]
            }
            let query_id: String?
            let columns: [String]
            let rows: [[Value]]
            let k: Int
            let perturbed: Bool?
            let noise_sigma: Double?
            let coverage: Coverage?
        }

        /// Decodes the JSON of a federated result (or of a bare released table, which has no
        /// query id and no coverage).
        init(decoding json: String, origin: String) throws {
            let wire: Wire
            do {
                wire = try JSONDecoder().decode(Wire.self, from: Data(json.utf8))
            } catch {
                throw TestSupportError("not a result (\(error)):\n\(json)")
            }
            queryID = wire.query_id ?? ""
            columns = wire.columns
            rows = wire.rows
            k = wire.k
            perturbed = wire.perturbed ?? false
            noiseSigma = wire.noise_sigma ?? 0
            answered = Set(wire.coverage?.answered ?? [])
            pruned = wire.coverage?.pruned ?? [:]
            refused = wire.coverage?.refused ?? [:]
            timedOut = Set(wire.coverage?.timed_out ?? [])
            failed = wire.coverage?.failed ?? [:]
            self.origin = origin
        }

        var coverageText: String {
            "answered \(answered.sorted()), pruned \(pruned), refused \(refused), timed out \(timedOut.sorted()), failed \(failed)"
        }
    }

    // MARK: - The oracle

    /// A federated query and what the oracle computes for it.
    struct Question: Sendable {
        /// The query as the researcher sends it.
        let sql: String
        /// The same filter in SQLite's SQL, or nil.
        let filter: String?
        let groups: [OracleGroup]
        let aggregates: [OracleAggregate]

        var columns: [String] { groups.map(\.columnName) + aggregates.map(\.columnName) }

        /// The one numeric attribute the statistics use, with its declared decimal places.
        var statistic: (attribute: String, scale: Int)? {
            for aggregate in aggregates {
                switch aggregate {
                case .mean(let a, let s), .variance(let a, let s), .standardDeviation(let a, let s): return (a, s)
                default: continue
                }
            }
            return nil
        }
    }

    enum OracleGroup: Sendable {
        case attribute(String)
        /// Equal bins over [lower, upper) on the attribute's declared decimal scale.
        case bins(String, lower: Int, upper: Int, count: Int, scale: Int)

        var columnName: String {
            switch self {
            case .attribute(let name): name
            case .bins(let name, _, _, _, _): "\(name)_bin"
            }
        }

        /// The group's value per row: the attribute itself, or the bin index, computed in
        /// integers at the declared scale (-1 below the range, `count` at or above it).
        var sqlExpression: String {
            switch self {
            case .attribute(let name):
                return name
            case .bins(let name, let lower, let upper, let count, let scale):
                let factor = Int(pow(10, Double(scale)))
                let value = "CAST(ROUND(\(name) * \(factor)) AS INTEGER)"
                let low = lower * factor
                let high = upper * factor
                return "(CASE WHEN \(name) IS NULL THEN NULL WHEN \(value) < \(low) THEN -1 WHEN \(value) >= \(high) THEN \(count) ELSE (\(value) - \(low)) * \(count) / \(high - low) END)"
            }
        }

        /// How the result shows a group value: a code, NULL, or a bin label such as "[40,50)".
        func value(_ raw: DatabaseValue) -> Value {
            switch (self, raw.storage) {
            case (_, .null):
                return .null
            case (.attribute, .string(let text)):
                return .text(text)
            case (.attribute, _):
                return .text(raw.description)
            case (.bins(_, let lower, let upper, let count, _), _):
                let index = Int.fromDatabaseValue(raw)!
                if index < 0 { return .text("<\(lower)") }
                if index >= count { return .text(">=\(upper)") }
                precondition((upper - lower) % count == 0, "the oracle labels integer-width bins only")
                let width = (upper - lower) / count
                return .text("[\(lower + width * index),\(lower + width * (index + 1)))")
            }
        }
    }

    enum OracleAggregate: Sendable {
        case studies
        case subjects
        case mean(String, scale: Int)
        case variance(String, scale: Int)
        case standardDeviation(String, scale: Int)

        var isStatistic: Bool {
            switch self {
            case .studies, .subjects: false
            default: true
            }
        }

        var columnName: String {
            switch self {
            case .studies: "count"
            case .subjects: "count_distinct_subject"
            case .mean(let a, _): "avg_\(a)"
            case .variance(let a, _): "variance_\(a)"
            case .standardDeviation(let a, _): "stddev_\(a)"
            }
        }
    }

    /// The non-null values of a numeric attribute in a cell: SQLite's own mean, and the count,
    /// sum and sum of squares of the values in units of the declared scale (integers, so the
    /// variance is exact even for cells whose values are all equal).
    struct OracleStatistic {
        let mean: Double?
        let count: Int
        let sum: Int
        let sumOfSquares: Int

        func sampleVariance(scale: Int) -> Double? {
            guard count > 1 else { return nil }
            let numerator = Int128(count) * Int128(sumOfSquares) - Int128(sum) * Int128(sum)
            let unit = pow(10, Double(scale))
            return Double(numerator) / (Double(count) * Double(count - 1)) / (unit * unit)
        }
    }

    struct OracleCell {
        let groups: [Value]
        let studies: Int
        let subjects: Int
        let statistic: OracleStatistic?
    }

    /// Every site's CSV export in one SQLite table, `cases`, with the site's name beside each
    /// row so that subject keys (site-local pseudonyms) are counted per person federation-wide.
    struct Oracle: Sendable {
        let database: DatabaseQueue
        static let numericColumns: Set<String> = ["age_at_diagnosis", "study_year", "slice_thickness_mm", "image_count"]

        init(csvFiles: [(site: String, path: String)]) throws {
            database = try DatabaseQueue()
            var header: [String]?
            try database.write { db in
                for (site, path) in csvFiles {
                    let lines = try String(contentsOfFile: path, encoding: .utf8).split(whereSeparator: \.isNewline)
                    guard let first = lines.first else { throw TestSupportError("\(path) is empty") }
                    let columns = first.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                    if header == nil {
                        header = columns
                        let definitions = columns.map { "\($0) \(Self.numericColumns.contains($0) ? "NUMERIC" : "TEXT")" }
                        try db.execute(sql: "CREATE TABLE cases (site TEXT NOT NULL, \(definitions.joined(separator: ", ")))")
                    } else if header != columns {
                        throw TestSupportError("\(path) has the header \(columns), not \(header!)")
                    }
                    let statement = try db.makeStatement(
                        sql: "INSERT INTO cases (site, \(columns.joined(separator: ", "))) VALUES (?\(String(repeating: ", ?", count: columns.count)))"
                    )
                    for (number, line) in lines.dropFirst().enumerated() {
                        guard !line.contains("\"") else { throw TestSupportError("\(path) line \(number + 2) is quoted; the oracle reads plain CSV only") }
                        let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                        guard fields.count == columns.count else { throw TestSupportError("\(path) line \(number + 2) has \(fields.count) fields") }
                        let values: [DatabaseValue] = [site.databaseValue] + fields.map { $0.isEmpty || $0 == "NULL" ? .null : $0.databaseValue }
                        try statement.execute(arguments: StatementArguments(values))
                    }
                }
                try Self.checkSubjectLevelAttributes(db)
            }
        }

        /// The sites with at least one row matching `condition`.
        func sites(where condition: String) throws -> Set<String> {
            Set(try database.read { db in try String.fetchAll(db, sql: "SELECT DISTINCT site FROM cases WHERE \(condition)") })
        }

        /// The cells of `question` over the rows of `sites`: only cells with rows when grouped,
        /// one row always when not.
        ///
        /// Statistics of a study-level attribute run over the selected studies; those of a
        /// subject-level one (age) over the distinct persons of each cell, each person's value
        /// once, as the data dictionary defines a person's attribute.
        func cells(_ question: Question, sites: Set<String>) throws -> [OracleCell] {
            let groupColumns = question.groups.indices.map { "g\($0)" }
            let groupSelect = question.groups.enumerated().map { "\($1.sqlExpression) AS g\($0)" }
            let groupBy = groupColumns.isEmpty ? "" : " GROUP BY " + groupColumns.joined(separator: ", ")
            var condition = "site IN (" + sites.sorted().map { "'\($0)'" }.joined(separator: ", ") + ")"
            if let filter = question.filter { condition += " AND (\(filter))" }

            let counts = "SELECT \((groupSelect + ["COUNT(*)", "COUNT(DISTINCT site || '/' || subject_id)"]).joined(separator: ", ")) FROM cases WHERE \(condition)\(groupBy)"
            var statistics: [[Value]: OracleStatistic] = [:]
            if let (attribute, scale) = question.statistic {
                let fixed = "CAST(ROUND(x * \(Int(pow(10, Double(scale))))) AS INTEGER)"
                let source: String
                if Schema.reference.attribute(named: attribute)?.level == .subject {
                    let perPerson = (groupSelect + ["MIN(\(attribute)) AS x"]).joined(separator: ", ")
                    source = "(SELECT \(perPerson) FROM cases WHERE \(condition) GROUP BY \((["site", "subject_id"] + groupColumns).joined(separator: ", ")))"
                } else {
                    source = "(SELECT \((groupSelect + ["\(attribute) AS x"]).joined(separator: ", ")) FROM cases WHERE \(condition))"
                }
                let sums = groupColumns + ["AVG(x)", "COUNT(x)", "SUM(\(fixed))", "SUM(\(fixed) * \(fixed))"]
                let rows = try database.read { db in try Row.fetchAll(db, sql: "SELECT \(sums.joined(separator: ", ")) FROM \(source)\(groupBy)") }
                let base = groupColumns.count
                for row in rows {
                    let key = question.groups.enumerated().map { $1.value(row[$0] as DatabaseValue) }
                    statistics[key] = OracleStatistic(
                        mean: row[base],
                        count: row[base + 1],
                        sum: (row[base + 2] as Int?) ?? 0,
                        sumOfSquares: (row[base + 3] as Int?) ?? 0
                    )
                }
            }
            let rows = try database.read { db in try Row.fetchAll(db, sql: counts) }
            let base = groupColumns.count
            return rows.map { row in
                let key = question.groups.enumerated().map { $1.value(row[$0] as DatabaseValue) }
                return OracleCell(
                    groups: key,
                    studies: row[base],
                    subjects: row[base + 1],
                    statistic: question.statistic == nil ? nil : statistics[key] ?? OracleStatistic(mean: nil, count: 0, sum: 0, sumOfSquares: 0)
                )
            }
        }

        /// Subject-level attributes must be the same on every row of a person, or "the
        /// person's value" would not be defined.
        private static func checkSubjectLevelAttributes(_ db: Database) throws {
            for attribute in Schema.reference.attributes where attribute.level == .subject && attribute.type != .key {
                let name = attribute.name
                let inconsistent = try Int.fetchOne(
                    db,
                    sql: "SELECT COUNT(*) FROM (SELECT 1 FROM cases GROUP BY site, subject_id HAVING COUNT(DISTINCT \(name)) > 1 OR (COUNT(\(name)) > 0 AND COUNT(\(name)) < COUNT(*)))"
                ) ?? 0
                if inconsistent > 0 { throw TestSupportError("\(inconsistent) persons have more than one \(name) in the CSV exports") }
            }
        }

        /// Compares a released result with the oracle's cells under threshold `k`: a cell is
        /// released when its distinct subjects are 0 or at least k, otherwise every aggregate
        /// in it reads "<k"; no cell may be missing or extra. Counts must be equal, reals equal
        /// up to a relative 1e-9.
        static func discrepancies(_ answer: Answer, _ question: Question, cells: [OracleCell], k: Int) -> [String] {
            var problems: [String] = []
            if answer.columns != question.columns {
                problems.append("columns \(answer.columns), expected \(question.columns)")
                return problems
            }
            let groupCount = question.groups.count
            var actual: [[Value]: [Value]] = [:]
            for row in answer.rows {
                guard row.count == question.columns.count else {
                    problems.append("row \(row) has \(row.count) values for \(question.columns.count) columns")
                    continue
                }
                let key = Array(row.prefix(groupCount))
                if actual[key] != nil { problems.append("the cell \(key) appears twice") }
                actual[key] = Array(row.dropFirst(groupCount))
            }
            let marker = Value.text("<\(k)")
            var expectedKeys: Set<[Value]> = []
            for cell in cells {
                expectedKeys.insert(cell.groups)
                guard let values = actual[cell.groups] else {
                    problems.append("missing cell \(cell.groups) (oracle: \(cell.studies) studies, \(cell.subjects) subjects)")
                    continue
                }
                let released = cell.subjects >= k
                for (aggregate, value) in zip(question.aggregates, values) {
                    let label = "cell \(cell.groups) \(aggregate.columnName)"
                    guard released else {
                        if value != marker { problems.append("\(label): \(value), expected \(marker) (\(cell.subjects) subjects < K=\(k))") }
                        continue
                    }
                    // A statistic over fewer than K non-null values is suppressed on its own.
                    if aggregate.isStatistic, let count = cell.statistic?.count, count > 0, count < k {
                        if value != marker { problems.append("\(label): \(value), expected \(marker) (\(count) values < K=\(k))") }
                        continue
                    }
                    switch aggregate {
                    case .studies:
                        if value != .number(Double(cell.studies)) { problems.append("\(label): \(value), expected \(cell.studies)") }
                    case .subjects:
                        if value != .number(Double(cell.subjects)) { problems.append("\(label): \(value), expected \(cell.subjects)") }
                    case .mean:
                        if let problem = compare(value, cell.statistic?.mean) { problems.append("\(label): \(problem)") }
                    case .variance(_, let scale):
                        if let problem = compare(value, cell.statistic?.sampleVariance(scale: scale)) { problems.append("\(label): \(problem)") }
                    case .standardDeviation(_, let scale):
                        if let problem = compare(value, cell.statistic?.sampleVariance(scale: scale)?.squareRoot()) { problems.append("\(label): \(problem)") }
                    }
                }
            }
            // Cells the plan enumerated without data read "<K", like any cell below K: a true
            // zero must look like a few.
            for key in Set(actual.keys).subtracting(expectedKeys) where actual[key]!.contains(where: { $0 != marker }) {
                problems.append("extra cell \(key): \(actual[key]!) (the oracle has no rows there, so every value should read \(marker))")
            }
            return problems
        }

        private static func compare(_ value: Value, _ expected: Double?) -> String? {
            switch (value, expected) {
            case (.null, nil):
                return nil
            case (.number(let got), let expected?):
                let tolerance = 1e-9 * max(abs(got), abs(expected)) + 1e-12
                return abs(got - expected) <= tolerance ? nil : "\(got), expected \(expected) (difference \(got - expected))"
            default:
                return "\(value), expected \(expected.map { "\($0)" } ?? "null")"
            }
        }
    }
}

/// Starts the federation once around the whole suite and stops it afterwards.
struct RunningFederation: SuiteTrait, TestScoping {
    func scopeProvider(for test: Test, testCase: Test.Case?) -> Self? {
        test.isSuite ? self : nil
    }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let federation = try await FederatedQueryTests.Federation.start()
        defer { federation.stop() }
        try await FederatedQueryTests.Federation.$current.withValue(federation) { try await function() }
    }
}

extension Trait where Self == RunningFederation {
    static var runningFederation: Self { Self() }
}

private final class LockedList: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    func append(_ item: String) { lock.withLock { list.append(item) } }
    var items: [String] { lock.withLock { list } }
}
