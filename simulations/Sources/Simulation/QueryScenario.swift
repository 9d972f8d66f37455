import Aggregation
import Crypto
import Foundation
import Gossip
import MeshCore
import QueryPlanner
import SecureAggregation

/// Federated queries on a formed mesh, run by the real planner, plan signer and verifier,
/// `PlanAdmission` (with `SeenQueries` and `HeldPlans`), `QueryCoordinator`, `LocalExecutor`,
/// secure aggregation (`MaskedAggregation`, `UnmaskRequest`) and release, with a simulated
/// shell that does what `QueryShell` does on a real node: under secure aggregation (every
/// plan unless the submission asks for the plaintext tree) each target masks its partial
/// (`contribute`), the origin signs the responders of the first round with its node key and
/// sends them straight to every target, each with the shares it holds (each receiver admits
/// one request per query), the targets reveal
/// (`reveal`), and the origin unmasks (`unmask`) before release.
///
/// Two phases, each on its own mesh made from the same seed:
///
/// 1. **Churn** (the profile of the options, LAN by default): masked queries from random
///    live origins while some nodes crash and restart; forged plans (a payload byte flipped
///    under the origin's signature, and a plan signed by a federation certificate of a node
///    that never joined) are offered to live targets and must be refused; after each
///    unmasking round a holder that revealed is offered the same request again and one
///    signed by the origin that names a responder as dropped, and must refuse both.
/// 2. **No faults, WAN**: pairs of queries one after the other on a quiet WAN mesh, the
///    same query from the same origin masked and then in the plaintext tree (the providers
///    of this mesh allow plaintext partials, for the comparison); every result must be
///    complete and exact. Each query's latency is compared with its critical path
///    (``QueryCriticalPath``): the slowest root-to-leaf path's actual delays down and up
///    plus the local steps, and for a masked query plus the unmasking round's slowest
///    exchange the origin needed; the goal is at most 1.2 × that.
///
/// Safety checked on every result: no released cell with 0 < subjects < K; the released
/// table equals the oracle (each answered node's own `LocalExecutor` partial merged
/// centrally and released through the same `release`) over the nodes the coverage says
/// answered; and, when the coverage is complete, over all targets. A query whose unmasking
/// fails ends with an error (counted apart), never with a table. On every unmasking round:
/// the origin never holds both secrets of a node (enough self-mask shares to rebuild its
/// self-mask seed, and a pairwise seed revealed because it dropped), and no holder reveals
/// twice for one query.
enum QueryScenario {
    /// The queries the researchers ask, in turn: counts and histograms, which every
    /// simulated site's policy allows.
    static let queries = [
        "SELECT COUNT(*), COUNT(DISTINCT subject) FROM cases WHERE diagnosis = 'C61' AND modality IN ('MR', 'PT') GROUP BY modality",
        "SELECT HISTOGRAM(age_at_diagnosis, 0, 100, 10) FROM cases WHERE sex = 'F'",
        "SELECT COUNT(DISTINCT subject) FROM cases GROUP BY sex, tumour_stage",
        "SELECT COUNT(*), COUNT(DISTINCT subject) FROM cases WHERE age_at_diagnosis BETWEEN 50 AND 80 GROUP BY diagnosis",
        "SELECT COUNT(*) FROM cases",
    ]

    /// Virtual time one local step takes: the execution of the first round, or the reveal
    /// of the unmasking round (the snapshots are a few dozen subjects; the real executor
    /// runs them in well under a millisecond).
    static let localExecutionTime: Duration = .milliseconds(2)
    static let researcher = try! ResearcherID("researcher-sim")

    static let maskedWAN = "no faults, WAN, masked"
    static let plaintextWAN = "no faults, WAN, plaintext tree"

    static func run(_ options: ScenarioOptions) throws -> ScenarioResult {
        var result = ScenarioResult(scenario: "query", nodes: options.nodes, seed: options.seed)
        let progress = Progress(label: "query N=\(options.nodes)", enabled: options.showProgress)
        defer { progress.finish() }
        // One certificate more than nodes: the outsider that signs plans without being a member.
        let federation = try SimulatedFederation(nodeCount: options.nodes + 1)

        // Phase 1: churn.
        let churn = try Simulator(nodeCount: options.nodes, seed: options.seed, settings: options.settings, federation: federation)
        let churnLabel = "churn, \(options.settings.profile.name)"
        let mesh = QueryMesh(churn, federation: federation)
        mesh.probesReplays = true
        mesh.crashesBetweenRounds = options.queryCrashesBetweenRounds
        mesh.onQueryEnded = { [unowned churn] text in progress.update(churn.now, "churn: \(text)") }
        if try MeshFormation.form(churn, result: &result, progress: progress) != nil {
            let duration = options.duration ?? .seconds(60)
            let crashes = mesh.scheduleChurn(over: duration, crashes: options.queryCrashCount ?? max(1, options.nodes / 20))
            mesh.scheduleQueries(every: .seconds(1), over: duration, timeoutMilliseconds: 5_000)
            mesh.scheduleForgeries(every: .seconds(5), over: duration)
            churn.run(until: churn.now + duration + .seconds(10))
            progress.update(churn.now, "churn: \(mesh.records.count) queries")
            mesh.addFigures(to: &result, label: churnLabel, masked: true)
            result.add("forged plans offered", Double(mesh.forgeriesOffered), "plans")
            result.add("forged plans refused", Double(mesh.forgeriesRefused), "plans")
            result.add("second unmasking requests offered to holders that revealed", Double(mesh.replaysOffered), "requests")
            result.add("second unmasking requests refused", Double(mesh.replaysRefused), "requests")
            result.add("crashes and restarts", Double(crashes), "nodes")
            // An unmasking error ends its query without a table; the cause is kept.
            for failure in mesh.unmaskFailures { result.notes.append("[\(churnLabel)] \(failure)") }
            if options.queryCrashesBetweenRounds > 0 {
                result.add("responders crashed as the unmasking round started", Double(mesh.crashedBetweenRounds), "nodes")
            }
        }
        result.absorb(churn, label: churnLabel)

        // Phase 2: no faults, WAN; masked and plaintext trees side by side.
        var quiet = options.settings
        quiet.profile = .wan
        let wan = try Simulator(nodeCount: options.nodes, seed: options.seed &+ 1, settings: quiet, federation: federation)
        let wanMesh = QueryMesh(wan, federation: federation)
        // The comparison's providers answer plaintext plans too.
        wanMesh.allowsPlaintextPartials = true
        wanMesh.onQueryEnded = { [unowned wan] text in progress.update(wan.now, "WAN: \(text)") }
        if try MeshFormation.form(wan, result: &result, progress: progress) != nil {
            let mesh = wanMesh
            let count = max(5, min(20, options.nodes / 5))
            // One query at a time, far enough apart that none overlaps the next: each pair is
            // the same query from the same origin, masked, then 3 s later in the plaintext tree.
            mesh.scheduleComparison(pairs: count, every: .seconds(6), timeoutMilliseconds: 2_500)
            wan.run(until: wan.now + .seconds(6 * Int64(count) + 5))
            progress.update(wan.now, "WAN: \(mesh.records.count) queries")
            mesh.addFigures(to: &result, label: maskedWAN, masked: true)
            mesh.addFigures(to: &result, label: plaintextWAN, masked: false)
            let oneWay = quiet.profile.meanDelay.millisecondsValue
            result.add("no faults, WAN: mean one-way delay", oneWay, "ms")
            for (label, masked) in [(maskedWAN, true), (plaintextWAN, false)] {
                let records = mesh.records.filter { $0.masked == masked }
                let ratios = records.map { $0.latencyMilliseconds / max($0.criticalPathMilliseconds, 1e-9) }
                let within = ratios.filter { $0 <= criticalPathAllowance }.count
                result.add("\(label): share within \(boundText)", records.isEmpty ? nil : Double(within) / Double(records.count), "share")
                result.add("\(label): critical path p50", QueryMesh.percentile(0.5, of: records.map(\.criticalPathMilliseconds)), "ms")
                result.add("\(label): latency / critical path p50", QueryMesh.percentile(0.5, of: ratios), "ratio")
                result.add("\(label): latency / critical path p90", QueryMesh.percentile(0.9, of: ratios), "ratio")
                result.add("\(label): latency / critical path max", ratios.max(), "ratio")
                // The former yardstick, for comparison: how far the slowest path lies above
                // 2 × depth mean one-way delays (plus one more round trip when masked).
                let meanPaths = records.map { $0.criticalPathMilliseconds / (2 * Double($0.depth + ($0.masked ? 1 : 0)) * oneWay) }
                result.add("\(label): critical path / (2 × levels × mean one-way delay) p50", QueryMesh.percentile(0.5, of: meanPaths), "ratio")
            }
            let masked = mesh.records.filter(\.masked).map(\.latencyMilliseconds)
            let plain = mesh.records.filter { !$0.masked }.map(\.latencyMilliseconds)
            if !masked.isEmpty, !plain.isEmpty {
                result.add(
                    "no faults, WAN: median latency, masked / plaintext tree", QueryMesh.percentile(0.5, of: masked)! / QueryMesh.percentile(0.5, of: plain)!,
                    "ratio")
            }
            result.notes.append(
                "Latency bound at WAN without faults: \(boundText), where a query's critical path is its slowest root-to-leaf path's actual one-way delays down and up plus the \(SVGChart.format(localExecutionTime.millisecondsValue)) ms local steps, and for a masked query plus the unmasking round's slowest exchange the origin needed (its actual delays and the reveal)."
            )
            for failure in mesh.planningFailures { result.livenessFailures.append("[no faults, WAN] \(failure.text)") }
            for failure in mesh.unmaskFailures { result.livenessFailures.append("[no faults, WAN] \(failure)") }
            for record in mesh.records where !record.complete || !record.exact {
                result.livenessFailures.append(
                    "[no faults, WAN] \(record.masked ? "masked" : "plaintext") query \(record.queryID) from node \(record.origin) was \(record.complete ? "complete" : "incomplete: \(record.missing)") and \(record.exact ? "exact" : "not exact")"
                )
            }
        }
        result.absorb(wan, label: "no faults, WAN")
        return result
    }

    /// The latency goal as a multiple of the query's critical path.
    static let criticalPathAllowance = 1.2

    static let boundText = "1.2 × critical path"
}

/// The query shells of every node of one simulator: per-node snapshots, seen-query sets,
/// held masked plans and running coordinators, and the messages between them.
final class QueryMesh {
    struct Record {
        var queryID: QueryID
        var origin: Int
        var masked: Bool
        var depth: Int
        var targets: Int
        var latencyMilliseconds: Double
        /// The rounds' critical paths added up (``QueryCriticalPath``).
        var criticalPathMilliseconds: Double
        var complete: Bool
        var exact: Bool
        var missing: String
    }

    /// Query messages of one query at one node, sent and received together.
    struct NodeTraffic {
        var bytes = 0
        var messages = 0
        var unmaskBytes = 0
        var unmaskMessages = 0
    }

    /// Which coordinator of a node: a query's first round or its unmasking round.
    private struct RunKey: Hashable {
        var query: QueryID
        var unmask: Bool
    }

    /// What a coordinator sends its children.
    private enum Carried {
        case plan(SignedQueryPlan, bytes: Int)
        /// The origin's signed request, with the shares addressed to this node (at the
        /// origin: to everyone, grouped for sending by `routing`).
        case unmask(UnmaskRequest, routing: UnmaskRequest.Routing, responders: Set<NodeID>)
    }

    /// What the origin keeps of its query between the rounds.
    private struct OriginState {
        var outcome: FederatedPlanner.Outcome
        var absent: [NodeID]
        var startedAt: Duration
        var first: SubtreeResult?
        var request: UnmaskRequest?
        var responders: Set<NodeID> = []
    }

    /// One coordinator running at one node, and whom it answers.
    private struct Run {
        var coordinator: QueryCoordinator
        var carried: Carried
        /// The node that asked (nil at the origin).
        var parent: Int?
        var origin: OriginState?
    }

    let simulator: Simulator
    let federation: SimulatedFederation
    let snapshots: [ColumnarSnapshot]
    let verifier: QueryPlanVerifier
    let signers: [QueryPlanSigner]
    /// The providers' `plaintext_partials` setting: off (refuse plaintext plans) unless a
    /// comparison asks for it.
    var allowsPlaintextPartials = false
    /// Whether each finished unmasking round is followed by second requests to one of its
    /// holders (which must refuse them).
    var probesReplays = false
    /// How many more responders crash just as an unmasking round starts whose first round
    /// had nodes drop (each restarts 5 to 15 s later): the responder's pairwise seeds with
    /// the dropped nodes are then lost, and the query must end with an error.
    var crashesBetweenRounds = 0
    private(set) var crashedBetweenRounds = 0
    /// Told whenever a query ends (released or ended by an error), for the progress line.
    var onQueryEnded: ((String) -> Void)?
    /// Each node's checks on plans and unmasking requests, with the ids it has seen and
    /// the masked plans it holds (the node shell's `PlanAdmission`).
    private var admissions: [PlanAdmission]
    /// Each node's agreements with its peers' long-term keys, as a node keeps them.
    private let agreements: [AgreementCache]
    private var runs: [[RunKey: Run]]
    private var random: SeededRandom
    /// Built once per query here; each real node builds the same from the plan.
    private var maskings: [QueryID: MaskedAggregation] = [:]
    private var keyCache: [Int: (fingerprint: UInt64, generation: Int, keys: [NodeID: [UInt8]])] = [:]
    /// How often each node computed a reveal, per query (at most once is the rule).
    private var revealCounts: [QueryID: [Int: Int]] = [:]
    private var traffic: [QueryID: [Int: NodeTraffic]] = [:]
    /// What each running round actually used, and the finished rounds' critical paths
    /// added up per query until it is released.
    private var criticalPaths: [RunKey: QueryCriticalPath] = [:]
    private var criticalLengths: [QueryID: Duration] = [:]
    private(set) var records: [Record] = []
    /// Whether each submitted query was masked.
    private(set) var submitted: [Bool] = []
    private(set) var forgeriesOffered = 0
    private(set) var forgeriesRefused = 0
    private(set) var replaysOffered = 0
    private(set) var replaysRefused = 0
    private(set) var planningFailures: [(masked: Bool, text: String)] = []
    private(set) var unmaskFailures: [String] = []
    /// Reveals the origins opened and checked, and the nodes whose both secrets an origin
    /// held (a violation each).
    private(set) var revealsChecked = 0
    private(set) var bothSecretsRevealed = 0
    private(set) var pairSeedsChecked = 0
    private(set) var doubleReveals = 0
    private var lastPlan: (signed: SignedQueryPlan, origin: Int)?

    /// Makes every node's site data from the simulator's random source and gives the
    /// simulator their summaries, so that catalogues published from now on describe them.
    /// Call before the nodes start.
    init(_ simulator: Simulator, federation: SimulatedFederation) {
        self.simulator = simulator
        self.federation = federation
        self.agreements = simulator.nodes.map { _ in AgreementCache() }
        let count = simulator.nodes.count
        var random = SeededRandom(seed: UInt64(truncatingIfNeeded: simulator.draw(below: Int.max)))
        snapshots = (0..<count).map { _ in QueryMesh.snapshot(random: &random) }
        for (node, snapshot) in snapshots.enumerated() {
            var codes: [String: Set<String>] = [:]
            var ranges: [String: ClosedRange<Int64>] = [:]
            for attribute in snapshot.schema.attributes {
                if let present = snapshot.presentCodes(of: attribute.name) { codes[attribute.name] = present }
                if let range = snapshot.numericRange(of: attribute.name) { ranges[attribute.name] = range }
            }
            simulator.siteSummaries[node] = SiteSummary(subjectCount: snapshot.subjectCount, categoricalCodes: codes, numericRanges: ranges)
        }
        verifier = QueryPlanVerifier(caCertificate: federation.ca.certificate)
        signers = federation.credentials.map { try! QueryPlanSigner(credential: $0) }
        admissions = Array(
            repeating: PlanAdmission(verifier: verifier, submissions: SubmissionVerifier(caCertificate: federation.ca.certificate)), count: count)
        runs = Array(repeating: [:], count: count)
        self.random = random
    }

    /// The node's published policy (it checks its own, never the origin's reading of it).
    private func policy(of node: Int) -> CataloguePolicy {
        simulator.nodes[node].ownCatalogue!.policy
    }

    /// A site of 20 to 60 subjects with 1 to 3 studies each over the reference schema.
    static func snapshot(random: inout SeededRandom) -> ColumnarSnapshot {
        let schema = Schema.reference
        var builder = ColumnarSnapshotBuilder(schema: schema)
        func pick<T>(_ values: [T]) -> T { values[Int(random.next() % UInt64(values.count))] }
        func between(_ low: Int64, _ high: Int64) -> Int64 { low + Int64(random.next() % UInt64(high - low + 1)) }
        let subjects = Int(between(20, 60))
        for subject in 0..<subjects {
            let sex = pick(["M", "F"])
            let age = between(200, 900)
            let diagnosis = pick(["C61", "C50", "C34", "C18", "C71"])
            let stage = pick(["I", "II", "III", "IV", "unknown"])
            for _ in 0..<Int(between(1, 3)) {
                var values: [ColumnarSnapshotBuilder.Value] = []
                for attribute in schema.attributes {
                    switch attribute.name {
                    case "sex": values.append(.code(sex))
                    case "age_at_diagnosis": values.append(.number(age))
                    case "diagnosis": values.append(.code(diagnosis))
                    case "tumour_stage": values.append(.code(stage))
                    case "modality": values.append(.code(pick(["CT", "MR", "PT"])))
                    case "body_part": values.append(.code(pick(["CHEST", "PELVIS", "ABDOMEN"])))
                    case "manufacturer": values.append(.code(pick(["SIEMENS", "GE", "PHILIPS"])))
                    case "study_year": values.append(.number(between(2005, 2025)))
                    case "slice_thickness_mm": values.append(random.next() % 5 == 0 ? .null : .number(between(50, 500)))
                    case "image_count": values.append(.number(between(1, 2000)))
                    default: values.append(.null)
                    }
                }
                try! builder.append(subject: "S\(subject)", values: values)
            }
        }
        return builder.build()
    }

    // MARK: - Scheduling

    /// Crashes `crashes` nodes (never a seed) at random times in the first two thirds of
    /// `duration`; each restarts 5 to 15 s later. Returns how many crash.
    func scheduleChurn(over duration: Duration, crashes: Int) -> Int {
        let candidates = Array(MeshFormation.seedCount..<simulator.nodes.count)
        guard !candidates.isEmpty else { return 0 }
        var chosen: [Int] = []
        var pool = candidates
        for _ in 0..<crashes where !pool.isEmpty {
            chosen.append(pool.remove(at: simulator.draw(below: pool.count)))
        }
        for node in chosen {
            let at = Duration.nanoseconds(Int64(simulator.drawUnit() * Double(duration.nanosecondsCount) * 2 / 3))
            let down = Duration.milliseconds(5_000 + Int64(simulator.draw(below: 10_000)))
            simulator.after(at) { [unowned self] in self.crash(node, restartAfter: down) }
        }
        return chosen.count
    }

    /// Crashes `node` now and restarts it `down` later.
    private func crash(_ node: Int, restartAfter down: Duration) {
        simulator.apply(.crash(node: node))
        // Nothing of the query shell survives a crash: running coordinators, seen queries
        // and held plans are memory (a restarted node cannot reveal).
        runs[node] = [:]
        admissions[node] = PlanAdmission(verifier: verifier, submissions: SubmissionVerifier(caCertificate: federation.ca.certificate))
        let seeds = Array(0..<MeshFormation.seedCount)
        simulator.after(down) { [unowned self] in
            do {
                try self.simulator.restart(node, seeds: seeds)
            } catch {
                self.simulator.recordViolation("node \(node) could not restart: \(error)")
            }
        }
    }

    /// One masked query every `interval` from a random live node, in turn through
    /// ``QueryScenario/queries``.
    func scheduleQueries(every interval: Duration, over duration: Duration, timeoutMilliseconds: Int64) {
        var index = 0
        var at = interval
        while at <= duration {
            let sql = QueryScenario.queries[index % QueryScenario.queries.count]
            simulator.after(at) { [unowned self] in self.submit(sql, timeoutMilliseconds: timeoutMilliseconds, plaintextTree: false) }
            index += 1
            at += interval
        }
    }

    /// `pairs` pairs of queries, one pair every `interval`: a masked query from a random live
    /// node, then half the interval later the same query from the same node in the
    /// plaintext tree.
    func scheduleComparison(pairs: Int, every interval: Duration, timeoutMilliseconds: Int64) {
        for index in 0..<pairs {
            let sql = QueryScenario.queries[index % QueryScenario.queries.count]
            simulator.after(interval / 2 + interval * index) { [unowned self] in
                guard let origin = self.submit(sql, timeoutMilliseconds: timeoutMilliseconds, plaintextTree: false) else { return }
                self.simulator.after(interval / 2) { [unowned self] in
                    _ = self.submit(sql, timeoutMilliseconds: timeoutMilliseconds, plaintextTree: true, origin: origin)
                }
            }
        }
    }

    func scheduleForgeries(every interval: Duration, over duration: Duration) {
        var at = interval + .milliseconds(500)
        while at <= duration {
            simulator.after(at) { [unowned self] in self.injectForgeries() }
            at += interval
        }
    }

    // MARK: - The origin (QueryShell.submit)

    private func nowMilliseconds() -> Int64 { UnixMilliseconds.from(SimulatedFederation.date(simulator.now)) }

    private func delay(until milliseconds: Int64) -> Duration {
        .milliseconds(max(0, milliseconds - nowMilliseconds()))
    }

    /// Plans, signs and starts a query at `origin` (a random live node when nil); returns
    /// the origin, or nil when none could plan.
    @discardableResult
    private func submit(_ sql: String, timeoutMilliseconds: Int64, plaintextTree: Bool, origin chosen: Int? = nil) -> Int? {
        let live = simulator.liveNodes
        guard !live.isEmpty else { return nil }
        let origin = chosen.flatMap { simulator.nodes[$0].isUp ? $0 : nil } ?? live[simulator.draw(below: live.count)]
        let node = simulator.nodes[origin]
        let liveIDs = Set(node.live.elements.map { simulator.nodes[$0].id })
        let (usable, absent) = FederatedPlanner.catalogues(known: node.store.catalogues.map(\.catalogue), live: liveIDs, origin: node.id)
        let outcome: FederatedPlanner.Outcome
        let signed: SignedQueryPlan
        submitted.append(!plaintextTree)
        do {
            outcome = try FederatedPlanner.plan(
                QuerySubmission(sql: sql, timeoutMilliseconds: timeoutMilliseconds, plaintextTree: plaintextTree), researcher: QueryScenario.researcher,
                origin: node.id, catalogues: usable, nowMilliseconds: nowMilliseconds(), random: &random)
        } catch {
            // A node that has just restarted may not know the codes yet: the researcher gets
            // the planner's message, which the figures count.
            planningFailures.append((!plaintextTree, "node \(origin) could not plan '\(sql)'\(plaintextTree ? " in the plaintext tree" : ""): \(error)"))
            simulator.log.append(simulator.now, "query planning-failed origin=\(origin)")
            return nil
        }
        do {
            signed = try signers[origin].sign(outcome.plan)
        } catch {
            simulator.recordViolation("node \(origin) could not sign its plan of '\(sql)': \(error)")
            return nil
        }
        let plan = outcome.plan
        if plan.secureAggregation == plaintextTree {
            simulator.recordViolation("node \(origin) planned '\(sql)' with secure aggregation \(plan.secureAggregation) although the submission's plaintext tree is \(plaintextTree)")
        }
        _ = admissions[origin].seen.admit(plan.queryID, origin: plan.origin, deadlineMilliseconds: plan.deadlineMilliseconds, nowMilliseconds: nowMilliseconds())
        simulator.log.append(simulator.now, "query plan=\(plan.queryID) origin=\(origin) targets=\(plan.targets.count) masked=\(plan.secureAggregation)")
        lastPlan = (signed, origin)
        let key = RunKey(query: plan.queryID, unmask: false)
        runs[origin][key] = Run(
            coordinator: QueryCoordinator(plan: plan, localNode: node.id, localMinimumCellSize: policy(of: origin).minimumCellSize),
            carried: .plan(signed, bytes: signed.encoded().count), parent: nil,
            origin: OriginState(outcome: outcome, absent: absent, startedAt: simulator.now))
        let actions = runs[origin][key]!.coordinator.start(nowMilliseconds: nowMilliseconds(), isReachable: isReachable(from: origin))
        perform(actions, at: origin, key: key)
        return origin
    }

    private func isReachable(from node: Int) -> (NodeID) -> Bool {
        let live = simulator.nodes[node].live
        let simulator = self.simulator
        return { id in simulator.index(of: id).map { live.contains($0) } ?? false }
    }

    // MARK: - Receiving a plan (QueryShell.receivePlan)

    private enum Reply {
        case answered(SubtreeResult)
        case rejected(QueryPlanRejection)
    }

    /// A plan arrives at `receiver` from `sender`; returns the rejection if it is refused.
    /// The checks are `PlanAdmission.admitPlan`'s but for the researcher's signature: the
    /// simulated researcher signs no submissions, so the plans carry none.
    @discardableResult
    private func receive(_ signed: SignedQueryPlan, at receiver: Int, from sender: Int) -> QueryPlanRejection? {
        let node = simulator.nodes[receiver]
        let plan: QueryPlan
        let now = nowMilliseconds()
        do {
            guard node.live.contains(sender) else {
                throw QueryPlanRejection(.notMember, "plans are accepted from live members only; \(simulator.nodes[sender].id) is not one in this node's view")
            }
            let live = node.live
            let simulator = self.simulator
            plan = try admissions[receiver].verifier.verify(signed, now: SimulatedFederation.date(simulator.now), isLiveMember: { simulator.index(of: $0).map { live.contains($0) } ?? false }, localNode: node.id)
            guard plan.normalisedQuery == plan.query.normalisedText else {
                throw QueryPlanRejection(.malformed, "the plan's query text is not the text of its query")
            }
            if let rejection = admissions[receiver].seen.admit(plan.queryID, origin: plan.origin, deadlineMilliseconds: plan.deadlineMilliseconds, nowMilliseconds: now) {
                throw rejection
            }
        } catch let rejection as QueryPlanRejection {
            return rejection
        } catch {
            return QueryPlanRejection(.malformed, "\(error)")
        }
        admissions[receiver].held.hold(plan, nowMilliseconds: now)
        let key = RunKey(query: plan.queryID, unmask: false)
        runs[receiver][key] = Run(
            coordinator: QueryCoordinator(plan: plan, localNode: node.id, localMinimumCellSize: policy(of: receiver).minimumCellSize),
            carried: .plan(signed, bytes: signed.encoded().count), parent: sender)
        let actions = runs[receiver][key]!.coordinator.start(nowMilliseconds: now, isReachable: isReachable(from: receiver))
        perform(actions, at: receiver, key: key)
        return nil
    }

    // MARK: - Receiving an unmasking request (QueryShell.receiveUnmask)

    /// An unmasking request (its encoded bytes) arrives at `receiver` from `sender`:
    /// `PlanAdmission.admitUnmasking` checks the origin's signature against the plan the
    /// node holds and then uses up its one answer for the query; returns the rejection if
    /// it is refused.
    @discardableResult
    private func receiveUnmask(_ bytes: [UInt8], at receiver: Int, from sender: Int) -> QueryPlanRejection? {
        let node = simulator.nodes[receiver]
        let plan: QueryPlan
        let request: UnmaskRequest
        let responders: Set<NodeID>
        do throws(QueryPlanRejection) {
            let live = Set(node.live.elements.map { simulator.nodes[$0].id })
            (plan, request, responders) = try admissions[receiver].admitUnmasking(
                bytes, from: simulator.nodes[sender].id, live: live, now: SimulatedFederation.date(simulator.now))
        } catch {
            return error
        }
        let key = RunKey(query: plan.queryID, unmask: true)
        runs[receiver][key] = Run(
            coordinator: QueryCoordinator(plan: plan, localNode: node.id, localMinimumCellSize: policy(of: receiver).minimumCellSize, round: .unmask),
            carried: .unmask(request, routing: request.routing(in: plan.unmaskTree), responders: responders), parent: sender)
        let actions = runs[receiver][key]!.coordinator.start(nowMilliseconds: nowMilliseconds(), isReachable: isReachable(from: receiver))
        perform(actions, at: receiver, key: key)
        return nil
    }

    // MARK: - Carrying out the coordinator's actions

    private func perform(_ actions: [QueryCoordinator.Action], at node: Int, key: RunKey) {
        for action in actions {
            guard let run = runs[node][key] else { return }
            switch action {
            case .forward(let childID, _):
                guard let child = simulator.index(of: childID) else { continue }
                switch run.carried {
                case .plan(let signed, let bytes):
                    send(key, .down, from: node, to: child, bytes: bytes) { [unowned self] in
                        self.deliverPlan(signed, to: child, from: node, key: key)
                    }
                case .unmask(_, let routing, _):
                    // Only the shares of the child's subtree go to it.
                    let restricted = routing.request(for: childID).encoded()
                    send(key, .down, from: node, to: child, bytes: restricted.count) { [unowned self] in
                        self.deliverUnmask(restricted, to: child, from: node, key: key)
                    }
                }
            case .executeLocally:
                let plan = run.coordinator.plan
                let outcome: QueryCoordinator.LocalOutcome
                switch run.carried {
                case .plan: outcome = execute(plan, at: node)
                case .unmask(let request, _, let responders): outcome = reveal(plan, request: request, responders: responders, at: node)
                }
                let generation = simulator.nodes[node].generation
                simulator.after(QueryScenario.localExecutionTime) { [unowned self] in
                    guard self.simulator.nodes[node].isUp, self.simulator.nodes[node].generation == generation else { return }
                    if self.runs[node][key] != nil { self.criticalPaths[key, default: QueryCriticalPath()].stepped(at: node, duration: QueryScenario.localExecutionTime) }
                    self.event(at: node, key: key) { $0.localExecutionFinished(outcome) }
                }
            case .scheduleDeadline(let at):
                let generation = simulator.nodes[node].generation
                simulator.after(delay(until: at)) { [unowned self] in
                    guard self.simulator.nodes[node].isUp, self.simulator.nodes[node].generation == generation else { return }
                    self.event(at: node, key: key) { $0.deadlinePassed() }
                }
            case .answer(let result):
                runs[node][key] = nil
                if run.origin != nil {
                    criticalLengths[key.query, default: .zero] += criticalPaths.removeValue(forKey: key)?.length(from: node) ?? .zero
                }
                if let state = run.origin {
                    if key.unmask {
                        finishUnmasking(result, state: state, origin: node)
                    } else if run.coordinator.plan.secureAggregation {
                        startUnmasking(after: result, state: state, origin: node)
                    } else {
                        release(result, outcome: state.outcome, absent: state.absent, origin: node, startedAt: state.startedAt)
                    }
                } else if let parent = run.parent {
                    send(key, .up, from: node, to: parent, bytes: result.encoded().count) { [unowned self] in
                        self.deliverReply(.answered(result), to: parent, from: node, key: key)
                    }
                }
            }
        }
    }

    private func event(at node: Int, key: RunKey, _ body: (inout QueryCoordinator) -> [QueryCoordinator.Action]) {
        guard runs[node][key] != nil else { return }
        let actions = body(&runs[node][key]!.coordinator)
        perform(actions, at: node, key: key)
    }

    /// Which way a query message goes in its round's tree.
    private enum Leg {
        /// A plan or unmasking request to a child.
        case down
        /// An answer or refusal to the parent.
        case up
    }

    /// Sends a query message through the network (counted as query traffic) and tallies its
    /// bytes at the sender now and at the receiver when a copy reaches it running. The delay
    /// of a copy the round uses (down to a running node; up to a coordinator still waiting)
    /// goes into the round's critical path.
    private func send(_ key: RunKey, _ leg: Leg, from sender: Int, to receiver: Int, bytes: Int, _ delivered: @escaping () -> Void) {
        tally(key, node: sender, bytes: bytes)
        let sentAt = simulator.now
        simulator.transmit(.query, from: sender, to: receiver, bytes: bytes) { [unowned self] in
            if self.simulator.nodes[receiver].isUp {
                self.tally(key, node: receiver, bytes: bytes)
                if leg == .down || self.runs[receiver][key] != nil {
                    self.criticalPaths[key, default: QueryCriticalPath()].used(from: sender, to: receiver, delay: self.simulator.now - sentAt)
                }
            }
            delivered()
        }
    }

    private func tally(_ key: RunKey, node: Int, bytes: Int) {
        var entry = traffic[key.query, default: [:]][node, default: NodeTraffic()]
        entry.bytes += bytes
        entry.messages += 1
        if key.unmask {
            entry.unmaskBytes += bytes
            entry.unmaskMessages += 1
        }
        traffic[key.query, default: [:]][node] = entry
    }

    /// The plan reaches `child`. A crashed child refuses the connection: the requester hears
    /// "unreachable" one round trip after sending. Otherwise the child verifies and runs it,
    /// or answers with its rejection.
    private func deliverPlan(_ signed: SignedQueryPlan, to child: Int, from parent: Int, key: RunKey) {
        guard simulator.nodes[child].isUp else {
            simulator.transportAnswer(from: child, to: parent) { [unowned self] in
                self.unreachable(child, at: parent, key: key, reason: "connection refused")
            }
            return
        }
        if let rejection = receive(signed, at: child, from: parent) {
            replyRejection(rejection, from: child, to: parent, key: key)
        }
    }

    private func deliverUnmask(_ request: [UInt8], to child: Int, from parent: Int, key: RunKey) {
        guard simulator.nodes[child].isUp else {
            simulator.transportAnswer(from: child, to: parent) { [unowned self] in
                self.unreachable(child, at: parent, key: key, reason: "connection refused")
            }
            return
        }
        if let rejection = receiveUnmask(request, at: child, from: parent) {
            simulator.log.append(simulator.now, "unmask rejected node=\(child) from=\(parent) code=\(rejection.code)")
            replyRejection(rejection, from: child, to: parent, key: key)
        }
    }

    private func replyRejection(_ rejection: QueryPlanRejection, from child: Int, to parent: Int, key: RunKey) {
        let bytes = rejection.message.utf8.count + rejection.code.rawValue.utf8.count
        send(key, .up, from: child, to: parent, bytes: bytes) { [unowned self] in
            self.deliverReply(.rejected(rejection), to: parent, from: child, key: key)
        }
    }

    private func deliverReply(_ reply: Reply, to node: Int, from child: Int, key: RunKey) {
        guard simulator.nodes[node].isUp else { return }
        let childID = simulator.nodes[child].id
        switch reply {
        case .answered(let result):
            event(at: node, key: key) { $0.childAnswered(childID, result) }
        case .rejected(let rejection):
            let now = nowMilliseconds()
            let reachable = isReachable(from: node)
            event(at: node, key: key) { $0.childRejected(childID, rejection, nowMilliseconds: now, isReachable: reachable) }
        }
    }

    private func unreachable(_ child: Int, at node: Int, key: RunKey, reason: String) {
        guard simulator.nodes[node].isUp else { return }
        let childID = simulator.nodes[child].id
        let now = nowMilliseconds()
        let reachable = isReachable(from: node)
        event(at: node, key: key) { $0.childUnreachable(childID, reason: reason, nowMilliseconds: now, isReachable: reachable) }
    }

    // MARK: - Local parts (QueryShell.executeLocally, reveal)

    private func masking(for plan: QueryPlan) -> MaskedAggregation {
        if let known = maskings[plan.queryID] { return known }
        let made = MaskedAggregation(plan: plan)
        maskings[plan.queryID] = made
        return made
    }

    /// The long-term X25519 keys of the nodes whose catalogues `node` holds (what the
    /// shell's `aggregationKeys()` reads from its catalogue store).
    private func publicKeys(at node: Int) -> [NodeID: [UInt8]] {
        let fingerprint = simulator.nodes[node].fingerprint
        let generation = simulator.nodes[node].generation
        if let cached = keyCache[node], cached.fingerprint == fingerprint, cached.generation == generation { return cached.keys }
        let keys = Dictionary(
            simulator.nodes[node].store.catalogues.map { ($0.catalogue.nodeID, $0.catalogue.aggregationPublicKey) }, uniquingKeysWith: { first, _ in first })
        keyCache[node] = (fingerprint, generation, keys)
        return keys
    }

    /// The first round's local part, as the node runs it (`QueryPlan.runLocally`, then
    /// under secure aggregation `contribute`: only the masked vector leaves the node);
    /// simulated nodes keep no privacy ledger.
    private func execute(_ plan: QueryPlan, at node: Int) -> QueryCoordinator.LocalOutcome {
        let computed = plan.runLocally(on: snapshots[node], policy: policy(of: node), allowsPlaintextPartials: allowsPlaintextPartials) { nil }
        guard plan.secureAggregation, case .partial(let partial) = computed else { return computed }
        return masking(for: plan).contribute(
            partial, node: simulator.nodes[node].id, longTermKey: simulator.nodes[node].aggregationKey, publicKeys: publicKeys(at: node), cache: agreements[node],
            random: &random)
    }

    /// The unmasking round's local part: the reveal, sealed to the origin.
    private func reveal(_ plan: QueryPlan, request: UnmaskRequest, responders: Set<NodeID>, at node: Int) -> QueryCoordinator.LocalOutcome {
        let count = revealCounts[plan.queryID, default: [:]][node, default: 0] + 1
        revealCounts[plan.queryID, default: [:]][node] = count
        if count > 1 {
            doubleReveals += 1
            simulator.recordViolation("node \(node) revealed \(count) times for query \(plan.queryID) (seed \(simulator.seed)); a holder reveals once per query")
        }
        return masking(for: plan).reveal(
            responders: responders, shares: request.shares, node: simulator.nodes[node].id, longTermKey: simulator.nodes[node].aggregationKey,
            publicKeys: publicKeys(at: node), cache: agreements[node], random: &random)
    }

    // MARK: - Secure aggregation at the origin (QueryShell.unmask)

    /// The first round is over: fix the responders, sign them, and run the unmasking round
    /// from the origin (which reveals directly, without admission: it runs the round once).
    private func startUnmasking(after first: SubtreeResult, state: OriginState, origin: Int) {
        let plan = state.outcome.plan
        let masking = masking(for: plan)
        guard let (header, shares) = masking.unmaskRequest(after: first) else {
            // Nobody answered: nothing to unmask.
            finish(first: first, second: first, state: state, origin: origin)
            return
        }
        let request: UnmaskRequest
        do {
            request = try UnmaskRequest(header: header, targets: plan.targets, shares: shares, signedBy: federation.credentials[origin])
        } catch {
            simulator.recordViolation("node \(origin) could not sign the unmasking request of query \(plan.queryID): \(error)")
            return
        }
        if crashesBetweenRounds > 0, first.coverage.answered.count < plan.targets.count {
            let originID = simulator.nodes[origin].id
            let responders = header.responders.subtracting([originID]).sorted().compactMap(simulator.index(of:)).filter { simulator.nodes[$0].isUp }
            if !responders.isEmpty {
                let victim = responders[simulator.draw(below: responders.count)]
                crashesBetweenRounds -= 1
                crashedBetweenRounds += 1
                simulator.log.append(simulator.now, "query crash-between-rounds=\(plan.queryID) node=\(victim)")
                crash(victim, restartAfter: .milliseconds(5_000 + Int64(simulator.draw(below: 10_000))))
            }
        }
        var state = state
        state.first = first
        state.request = request
        state.responders = header.responders
        let key = RunKey(query: plan.queryID, unmask: true)
        runs[origin][key] = Run(
            coordinator: QueryCoordinator(
                plan: plan, localNode: simulator.nodes[origin].id, localMinimumCellSize: policy(of: origin).minimumCellSize, round: .unmask,
                responders: header.responders),
            carried: .unmask(request, routing: request.routing(in: plan.unmaskTree), responders: header.responders), parent: nil, origin: state)
        simulator.log.append(simulator.now, "query unmask=\(plan.queryID) origin=\(origin) responders=\(header.responders.count)")
        let actions = runs[origin][key]!.coordinator.start(nowMilliseconds: nowMilliseconds(), isReachable: isReachable(from: origin))
        perform(actions, at: origin, key: key)
    }

    private func finishUnmasking(_ second: SubtreeResult, state: OriginState, origin: Int) {
        guard let first = state.first else { return }
        checkReveals(second, plan: state.outcome.plan, origin: origin)
        finish(first: first, second: second, state: state, origin: origin)
        if probesReplays, let request = state.request {
            offerSecondRequests(request, responders: state.responders, second: second, plan: state.outcome.plan, origin: origin)
        }
    }

    private func finish(first: SubtreeResult, second: SubtreeResult, state: OriginState, origin: Int) {
        let plan = state.outcome.plan
        do throws(SecureAggregationError) {
            let unmasked = try masking(for: plan).unmask(
                first: first, second: second, origin: simulator.nodes[origin].id, longTermKey: simulator.nodes[origin].aggregationKey,
                publicKeys: publicKeys(at: origin), cache: agreements[origin])
            release(unmasked, outcome: state.outcome, absent: state.absent, origin: origin, startedAt: state.startedAt)
        } catch {
            // Never a wrong number: the query ends with the cause.
            unmaskFailures.append(
                "query \(plan.queryID) from node \(origin) could not be unmasked (\(first.coverage.answered.count) answered, \(second.reveals.count) revealed): \(error.message)")
            simulator.log.append(simulator.now, "query unmask-failed=\(plan.queryID) origin=\(origin) answered=\(first.coverage.answered.count) revealed=\(second.reveals.count)")
            onQueryEnded?("\(records.count) queries released, \(unmaskFailures.count) unmasking errors")
        }
    }

    /// Opens every reveal the origin received and checks that it never holds both secrets
    /// of one node: enough self-mask shares of X to rebuild X's self-mask seed, and a
    /// pairwise seed a neighbour revealed because X dropped. (A responder's own seed with a
    /// dropped neighbour is not X's second secret: X's vector stays masked by its pairwise
    /// masks with the neighbours that answered.)
    private func checkReveals(_ second: SubtreeResult, plan: QueryPlan, origin: Int) {
        let masking = masking(for: plan)
        let keys = publicKeys(at: origin)
        var selfShares: [NodeID: Set<UInt8>] = [:]
        var pairSeedHolders: [NodeID: [NodeID]] = [:]
        for (holder, sealed) in second.reveals.sorted(by: { $0.key < $1.key }) where masking.graph.contains(holder) {
            guard let holderKey = keys[holder],
                let revealed = try? SecureAggregationHolder.open(
                    sealed, holder: holder, origin: plan.origin, queryID: plan.queryID.bytes, longTermKey: simulator.nodes[origin].aggregationKey, holderKey: holderKey)
            else { continue }
            revealsChecked += 1
            for (sender, share) in revealed.selfMaskShares { selfShares[sender, default: []].insert(share.x) }
            for dropped in revealed.pairSeeds.keys { pairSeedHolders[dropped, default: []].append(holder) }
            pairSeedsChecked += revealed.pairSeeds.count
        }
        for (node, points) in selfShares.sorted(by: { $0.key < $1.key }) where points.count >= masking.graph.threshold {
            guard let holders = pairSeedHolders[node] else { continue }
            bothSecretsRevealed += 1
            simulator.recordViolation(
                "query \(plan.queryID) from node \(origin) (seed \(simulator.seed)): the origin holds \(points.count) self-mask shares of \(node) (threshold \(masking.graph.threshold)) and its pairwise seeds from \(holders.map(\.rawValue).joined(separator: ", "))"
            )
        }
    }

    /// Offers one holder that revealed two more requests for the same query, as a
    /// dishonest origin or relay would: the same request again, and one the origin signs
    /// naming a responder neighbour of the holder as dropped (which would draw that node's
    /// pairwise seed after its self-mask shares). The holder must refuse both.
    private func offerSecondRequests(_ request: UnmaskRequest, responders: Set<NodeID>, second: SubtreeResult, plan: QueryPlan, origin: Int) {
        let originID = simulator.nodes[origin].id
        let candidates = second.reveals.keys.sorted().compactMap(simulator.index(of:)).filter {
            $0 != origin && simulator.nodes[$0].isUp && simulator.nodes[$0].live.contains(origin) && revealCounts[plan.queryID]?[$0] == 1
        }
        guard !candidates.isEmpty else { return }
        let holder = candidates[simulator.draw(below: candidates.count)]
        let holderID = simulator.nodes[holder].id
        var offers = [("the same request again", request.restricted(to: [holderID]))]
        if let victim = masking(for: plan).graph.neighbours(of: holderID).first(where: { responders.contains($0) && $0 != originID }) {
            let narrowed = UnmaskRequest.Header(queryID: plan.queryID, responders: responders.subtracting([victim]))
            if let forged = try? UnmaskRequest(header: narrowed, targets: plan.targets, shares: request.restricted(to: [holderID]).shares, signedBy: federation.credentials[origin]) {
                offers.append(("\(victim) named as dropped", forged))
            }
        }
        for (kind, offered) in offers {
            replaysOffered += 1
            if let rejection = receiveUnmask(offered.encoded(), at: holder, from: origin) {
                replaysRefused += 1
                simulator.log.append(simulator.now, "second unmask kind=\(kind) node=\(holder) rejected=\(rejection.code)")
            } else {
                simulator.recordViolation("node \(holder) answered a second unmasking request of query \(plan.queryID) (\(kind))")
            }
        }
    }

    // MARK: - Release and the oracle

    private func release(_ subtree: SubtreeResult, outcome: FederatedPlanner.Outcome, absent: [NodeID], origin: Int, startedAt: Duration) {
        let plan = outcome.plan
        let released = outcome.release(subtree, absent: absent)
        let what = "\(plan.secureAggregation ? "masked" : "plaintext") query \(plan.queryID) from node \(origin) (seed \(simulator.seed))"
        let k = released.table.k
        // No released cell shows fewer than K persons.
        if let column = released.table.columns.firstIndex(of: Aggregate.subjectCount.columnName) {
            for row in released.table.rows {
                if case .integer(let subjects) = row[column], subjects < Int64(k) {
                    simulator.recordViolation("\(what) released a cell of \(subjects) subjects under K = \(k): \(row)")
                }
            }
        }
        // The table's rows are the plan's enumerated cells in key order, whatever the data:
        // every cell of fewer than K persons, empty ones included, must be suppressed whole.
        let cells = subtree.partial?.cells ?? [:]
        let keys = plan.cells.allCells.sorted { $0.lexicographicallyPrecedes($1) }
        if keys.count != released.table.rows.count {
            simulator.recordViolation("\(what) released \(released.table.rows.count) rows for \(keys.count) enumerated cells")
        } else {
            for (key, row) in zip(keys, released.table.rows) {
                let subjects = cells[key]?.subjects ?? 0
                guard subjects < Int64(k) else { continue }
                if row.dropFirst(key.count).contains(where: { if case .suppressed = $0 { false } else { true } }) {
                    simulator.recordViolation("\(what) released the cell \(key) of \(subjects) subjects under K = \(k): \(row)")
                }
            }
        }
        if k < outcome.thresholds.filter({ subtree.coverage.answered.contains($0.key) }).values.max() ?? 0 {
            simulator.recordViolation("\(what) released at K = \(k), below the k of a node that answered")
        }
        // The result is exactly the answered nodes' data, nothing lost or counted twice.
        let answered = plan.targets.filter { released.coverage.answered.contains($0) }
        if oracle(over: answered, outcome: outcome, k: subtree.strictestK) != released.table {
            simulator.recordViolation("\(what): the released table differs from the oracle over the \(answered.count) nodes that answered")
        }
        let complete = released.coverage.isComplete && answered.count == plan.targets.count
        let exact = oracle(over: plan.targets, outcome: outcome, k: subtree.strictestK) == released.table
        if complete, !exact {
            simulator.recordViolation("\(what) has complete coverage but differs from the oracle over all targets")
        }
        let missing = released.coverage.accountedFor.subtracting(released.coverage.answered).subtracting(released.coverage.pruned.keys).count
        records.append(
            Record(
                queryID: plan.queryID, origin: origin, masked: plan.secureAggregation, depth: plan.tree.depth, targets: plan.targets.count,
                latencyMilliseconds: (simulator.now - startedAt).millisecondsValue,
                criticalPathMilliseconds: (criticalLengths.removeValue(forKey: plan.queryID) ?? .zero).millisecondsValue, complete: complete, exact: exact,
                missing: "\(missing) nodes not answered (timed out \(released.coverage.timedOut.count), failed \(released.coverage.failed.count), refused \(released.coverage.refused.count))"))
        simulator.log.append(simulator.now, "query released=\(plan.queryID) answered=\(answered.count)/\(plan.targets.count) complete=\(complete) exact=\(exact)")
        onQueryEnded?("\(records.count) queries released, \(unmaskFailures.count) unmasking errors")
    }

    /// Each node's own partial (what its executor computes, unmasked), merged centrally and
    /// released as the origin would.
    private func oracle(over nodes: [NodeID], outcome: FederatedPlanner.Outcome, k: Int) -> ResultTable {
        var merged: SubtreeResult?
        for id in nodes {
            guard let index = simulator.index(of: id),
                case .partial(let partial) = outcome.plan.runLocally(on: snapshots[index], policy: policy(of: index), allowsPlaintextPartials: true, admit: { nil })
            else { continue }
            let part = SubtreeResult(partial: partial, coverage: Coverage(answered: [id]), strictestK: policy(of: index).minimumCellSize)
            if merged == nil { merged = part } else { merged!.merge(part) }
        }
        var whole = merged ?? SubtreeResult(partial: nil, coverage: Coverage(), strictestK: 0)
        whole.strictestK = k
        return outcome.release(whole).table
    }

    // MARK: - Forged plans

    /// Offers two forged plans to a random live target of the last real plan: its payload
    /// with one byte flipped under the origin's signature, relayed by the origin; and a
    /// copy of the plan re-issued by an outsider (a certificate of the federation CA for a
    /// node that never joined), relayed by a live member. Both must be refused.
    private func injectForgeries() {
        guard let (signed, origin) = lastPlan, simulator.nodes[origin].isUp else { return }
        let live = simulator.liveNodes.filter { $0 != origin && simulator.nodes[$0].live.contains(origin) }
        guard !live.isEmpty else { return }
        let target = live[simulator.draw(below: live.count)]
        var payload = signed.payload
        let position = simulator.draw(below: payload.count)
        payload[position] ^= UInt8(1 + simulator.draw(below: 255))
        var forgeries = [("flipped byte", SignedQueryPlan(payload: payload, signature: signed.signature, certificateChain: signed.certificateChain), origin)]
        let outsider = simulator.nodes.count
        if outsider < federation.nodeIDs.count, var plan = try? QueryPlan(decoding: signed.payload) {
            plan.origin = federation.nodeIDs[outsider]
            plan.queryID = QueryID(using: &random)
            if !plan.targets.contains(simulator.nodes[target].id) { plan.targets.append(simulator.nodes[target].id) }
            if let forged = try? signers[outsider].sign(plan) { forgeries.append(("signed by a non-member", forged, origin)) }
        }
        for (kind, forged, relay) in forgeries {
            forgeriesOffered += 1
            if let rejection = receive(forged, at: target, from: relay) {
                forgeriesRefused += 1
                simulator.log.append(simulator.now, "forged plan kind=\(kind) node=\(target) rejected=\(rejection.code)")
            } else {
                simulator.recordViolation("node \(target) accepted a forged plan (\(kind))")
            }
        }
    }

    // MARK: - Figures

    static func percentile(_ p: Double, of values: [Double]) -> Double? {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return nil }
        return sorted[min(sorted.count - 1, max(0, Int((p * Double(sorted.count)).rounded(.up)) - 1))]
    }

    /// Figures of the released queries of one kind (masked or plaintext tree), and of the
    /// query traffic they caused: bytes and messages each node sent and received for one
    /// query, averaged over all nodes and queries, and the busiest node of any one query.
    func addFigures(to result: inout ScenarioResult, label: String, masked: Bool) {
        let records = self.records.filter { $0.masked == masked }
        let latencies = records.map(\.latencyMilliseconds)
        result.add("\(label): queries released", Double(records.count), "queries")
        result.add("\(label): queries the origin could not plan", Double(planningFailures.filter { $0.masked == masked }.count), "queries")
        if masked {
            result.add("\(label): queries ended by an unmasking error", Double(unmaskFailures.count), "queries")
        }
        let submitted = self.submitted.filter { $0 == masked }.count
        let lost = submitted - planningFailures.filter { $0.masked == masked }.count - (masked ? unmaskFailures.count : 0) - records.count
        result.add("\(label): queries lost with their crashed origin", Double(lost), "queries")
        result.add("\(label): latency p50", Self.percentile(0.5, of: latencies), "ms")
        result.add("\(label): latency p90", Self.percentile(0.9, of: latencies), "ms")
        result.add("\(label): latency p99", Self.percentile(0.99, of: latencies), "ms")
        result.add("\(label): latency max", latencies.max(), "ms")
        result.add("\(label): share complete", records.isEmpty ? nil : Double(records.filter(\.complete).count) / Double(records.count), "share")
        result.add("\(label): share exact", records.isEmpty ? nil : Double(records.filter(\.exact).count) / Double(records.count), "share")
        result.add("\(label): mean tree depth", records.isEmpty ? nil : Double(records.map(\.depth).reduce(0, +)) / Double(records.count), "levels")
        let nodes = Double(simulator.nodes.count)
        var meanBytes: [Double] = []
        var meanMessages: [Double] = []
        var meanUnmaskBytes: [Double] = []
        var maxBytes = 0
        var maxMessages = 0
        for record in records {
            let perNode = traffic[record.queryID] ?? [:]
            meanBytes.append(Double(perNode.values.map(\.bytes).reduce(0, +)) / nodes)
            meanMessages.append(Double(perNode.values.map(\.messages).reduce(0, +)) / nodes)
            meanUnmaskBytes.append(Double(perNode.values.map(\.unmaskBytes).reduce(0, +)) / nodes)
            maxBytes = max(maxBytes, perNode.values.map(\.bytes).max() ?? 0)
            maxMessages = max(maxMessages, perNode.values.map(\.messages).max() ?? 0)
        }
        func mean(_ values: [Double]) -> Double? { values.isEmpty ? nil : values.reduce(0, +) / Double(values.count) }
        result.add("\(label): bytes per node per query (sent + received), mean", mean(meanBytes), "B")
        result.add("\(label): bytes per node per query (sent + received), busiest node", records.isEmpty ? nil : Double(maxBytes), "B")
        if masked { result.add("\(label): bytes per node per query in the unmasking round, mean", mean(meanUnmaskBytes), "B") }
        result.add("\(label): messages per node per query (sent + received), mean", mean(meanMessages), "msg")
        result.add("\(label): messages per node per query (sent + received), busiest node", records.isEmpty ? nil : Double(maxMessages), "msg")
        if masked {
            result.add("\(label): reveals opened and checked at the origins", Double(revealsChecked), "reveals")
            result.add("\(label): pairwise seeds of dropped nodes among them", Double(pairSeedsChecked), "seeds")
            result.add("\(label): nodes whose both secrets an origin held", Double(bothSecretsRevealed), "nodes")
            result.add("\(label): holders that revealed twice for a query", Double(doubleReveals), "holders")
        }
        let points = records.enumerated().map { [Double($0.offset + 1), $0.element.latencyMilliseconds] }
        result.series.append(Series(name: "latency, \(label)", xLabel: "query", yLabel: "virtual ms", points: points))
    }
}
