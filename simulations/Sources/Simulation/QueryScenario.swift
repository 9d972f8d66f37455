import Aggregation
import Foundation
import Gossip
import MeshCore
import QueryPlanner

/// Federated queries on a formed mesh, run by the real planner, plan signer and verifier,
/// `SeenQueries`, `QueryCoordinator`, `LocalExecutor` and release, with a simulated shell
/// that does what `QueryShell` does on a real node.
///
/// Two phases, each on its own mesh made from the same seed:
///
/// 1. **Churn** (the profile of the options, LAN by default): queries from random live
///    origins while some nodes crash and restart; forged plans (a payload byte flipped
///    under the origin's signature, and a plan signed by a federation certificate of a node
///    that never joined) are offered to live targets and must be refused.
/// 2. **No faults, WAN**: queries one after the other on a quiet WAN mesh; every result must
///    be complete and exact, and each latency is compared with
///    1.2 × 2 × depth × mean one-way delay + local execution.
///
/// Safety checked on every result: no released cell with 0 < subjects < K; the released
/// table equals the oracle (each answered node's own `LocalExecutor` partial merged
/// centrally and released through the same `release`) over the nodes the coverage says
/// answered; and, when the coverage is complete, over all targets.
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

    /// Virtual time one local execution takes (the snapshots are a few dozen subjects;
    /// the real executor runs them in well under a millisecond).
    static let localExecutionTime: Duration = .milliseconds(2)
    static let researcher = try! ResearcherID("researcher-sim")

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
        if try MeshFormation.form(churn, result: &result, progress: progress) != nil {
            let duration = options.duration ?? .seconds(60)
            let crashes = mesh.scheduleChurn(over: duration)
            mesh.scheduleQueries(every: .seconds(1), over: duration, timeoutMilliseconds: 5_000)
            mesh.scheduleForgeries(every: .seconds(5), over: duration)
            churn.run(until: churn.now + duration + .seconds(10))
            progress.update(churn.now, "churn: \(mesh.records.count) queries")
            mesh.addFigures(to: &result, label: churnLabel)
            result.add("forged plans offered", Double(mesh.forgeriesOffered), "plans")
            result.add("forged plans refused", Double(mesh.forgeriesRefused), "plans")
            result.add("crashes and restarts", Double(crashes), "nodes")
        }
        result.absorb(churn, label: churnLabel)

        // Phase 2: no faults, WAN.
        var quiet = options.settings
        quiet.profile = .wan
        let wan = try Simulator(nodeCount: options.nodes, seed: options.seed &+ 1, settings: quiet, federation: federation)
        let wanMesh = QueryMesh(wan, federation: federation)
        if try MeshFormation.form(wan, result: &result, progress: progress) != nil {
            let mesh = wanMesh
            let count = max(5, min(20, options.nodes / 5))
            // One query at a time, far enough apart that none overlaps the next.
            mesh.scheduleQueries(every: .seconds(3), over: .seconds(3 * Int64(count)), timeoutMilliseconds: 2_500)
            wan.run(until: wan.now + .seconds(3 * Int64(count) + 5))
            progress.update(wan.now, "WAN: \(mesh.records.count) queries")
            mesh.addFigures(to: &result, label: "no faults, WAN")
            let oneWay = quiet.profile.meanDelay.millisecondsValue
            let local = localExecutionTime.millisecondsValue
            var within = 0
            var worst = 0.0
            for record in mesh.records {
                let bound = 1.2 * 2 * Double(record.depth) * oneWay + local
                if record.latencyMilliseconds <= bound { within += 1 }
                worst = max(worst, record.latencyMilliseconds / bound)
            }
            result.add("no faults, WAN: mean one-way delay", oneWay, "ms")
            result.add("no faults, WAN: share within 1.2 × 2 × depth × one-way + local", mesh.records.isEmpty ? nil : Double(within) / Double(mesh.records.count), "share")
            result.add("no faults, WAN: worst latency / bound", mesh.records.isEmpty ? nil : worst, "ratio")
            result.notes.append(
                "Latency bound at WAN without faults: 1.2 × 2 × depth × \(SVGChart.format((oneWay * 100).rounded() / 100)) ms (mean one-way delay) + \(SVGChart.format(local)) ms (modelled local execution)."
            )
            for failure in mesh.planningFailures { result.livenessFailures.append("[no faults, WAN] \(failure)") }
            for record in mesh.records where !record.complete || !record.exact {
                result.livenessFailures.append("[no faults, WAN] query \(record.queryID) from node \(record.origin) was \(record.complete ? "complete" : "incomplete: \(record.missing)") and \(record.exact ? "exact" : "not exact")")
            }
        }
        result.absorb(wan, label: "no faults, WAN")
        return result
    }
}

/// The query shells of every node of one simulator: per-node snapshots, seen-query sets
/// and running coordinators, and the messages between them.
final class QueryMesh {
    struct Record {
        var queryID: QueryID
        var origin: Int
        var depth: Int
        var targets: Int
        var latencyMilliseconds: Double
        var complete: Bool
        var exact: Bool
        var missing: String
    }

    /// One coordinator running at one node, and whom it answers.
    private struct Run {
        var coordinator: QueryCoordinator
        var signed: SignedQueryPlan
        var planBytes: Int
        /// The node that asked (nil at the origin).
        var parent: Int?
        /// At the origin: the planning outcome, nodes known but not alive, and the start.
        var outcome: FederatedPlanner.Outcome?
        var absent: [NodeID] = []
        var startedAt: Duration = .zero
    }

    let simulator: Simulator
    let federation: SimulatedFederation
    let snapshots: [ColumnarSnapshot]
    let verifier: QueryPlanVerifier
    let signers: [QueryPlanSigner]
    private var seen: [SeenQueries]
    private var runs: [[QueryID: Run]]
    private var random: SeededRandom
    private(set) var records: [Record] = []
    private(set) var forgeriesOffered = 0
    private(set) var forgeriesRefused = 0
    private(set) var planningFailures: [String] = []
    private var lastPlan: (signed: SignedQueryPlan, origin: Int)?

    /// Makes every node's site data from the simulator's random source and gives the
    /// simulator their summaries, so that catalogues published from now on describe them.
    /// Call before the nodes start.
    init(_ simulator: Simulator, federation: SimulatedFederation) {
        self.simulator = simulator
        self.federation = federation
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
        seen = Array(repeating: SeenQueries(), count: count)
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

    /// Crashes about one node in 20 (never a seed) at random times in the first two thirds
    /// of `duration`; each restarts 5 to 15 s later. Returns how many crash.
    func scheduleChurn(over duration: Duration) -> Int {
        let candidates = Array(MeshFormation.seedCount..<simulator.nodes.count)
        guard !candidates.isEmpty else { return 0 }
        var chosen: [Int] = []
        var pool = candidates
        for _ in 0..<max(1, simulator.nodes.count / 20) where !pool.isEmpty {
            chosen.append(pool.remove(at: simulator.draw(below: pool.count)))
        }
        let seeds = Array(0..<MeshFormation.seedCount)
        for node in chosen {
            let at = Duration.nanoseconds(Int64(simulator.drawUnit() * Double(duration.nanosecondsCount) * 2 / 3))
            let down = Duration.milliseconds(5_000 + Int64(simulator.draw(below: 10_000)))
            simulator.after(at) { [unowned self] in
                self.simulator.apply(.crash(node: node))
                self.runs[node] = [:]
                self.seen[node] = SeenQueries()
                self.simulator.after(down) { [unowned self] in
                    do {
                        try self.simulator.restart(node, seeds: seeds)
                    } catch {
                        self.simulator.recordViolation("node \(node) could not restart: \(error)")
                    }
                }
            }
        }
        return chosen.count
    }

    /// One query every `interval` from a random live node, in turn through ``QueryScenario/queries``.
    func scheduleQueries(every interval: Duration, over duration: Duration, timeoutMilliseconds: Int64) {
        var index = 0
        var at = interval
        while at <= duration {
            let sql = QueryScenario.queries[index % QueryScenario.queries.count]
            simulator.after(at) { [unowned self] in self.submit(sql, timeoutMilliseconds: timeoutMilliseconds) }
            index += 1
            at += interval
        }
    }

    func scheduleForgeries(every interval: Duration, over duration: Duration) {
        var at = interval + .milliseconds(500)
        while at <= duration {
            simulator.after(at) { [unowned self] in self.injectForgeries() }
            at += interval
        }
    }

    // MARK: - The origin

    private func nowMilliseconds() -> Int64 { UnixMilliseconds.from(SimulatedFederation.date(simulator.now)) }

    private func delay(until milliseconds: Int64) -> Duration {
        .milliseconds(max(0, milliseconds - nowMilliseconds()))
    }

    private func submit(_ sql: String, timeoutMilliseconds: Int64) {
        let live = simulator.liveNodes
        guard !live.isEmpty else { return }
        let origin = live[simulator.draw(below: live.count)]
        let node = simulator.nodes[origin]
        let liveIDs = Set(node.live.elements.map { simulator.nodes[$0].id })
        let known = node.store.catalogues.map(\.catalogue)
        let usable = known.filter { $0.nodeID == node.id || liveIDs.contains($0.nodeID) }
        let absent = known.map(\.nodeID).filter { $0 != node.id && !liveIDs.contains($0) }
        let outcome: FederatedPlanner.Outcome
        let signed: SignedQueryPlan
        do {
            outcome = try FederatedPlanner.plan(
                QuerySubmission(sql: sql, timeoutMilliseconds: timeoutMilliseconds), researcher: QueryScenario.researcher,
                origin: node.id, catalogues: usable, nowMilliseconds: nowMilliseconds(), random: &random)
        } catch {
            // A node that has just restarted may not know the codes yet: the researcher gets
            // the planner's message, which the figures count.
            planningFailures.append("node \(origin) could not plan '\(sql)': \(error)")
            simulator.log.append(simulator.now, "query planning-failed origin=\(origin)")
            return
        }
        do {
            signed = try signers[origin].sign(outcome.plan)
        } catch {
            simulator.recordViolation("node \(origin) could not sign its plan of '\(sql)': \(error)")
            return
        }
        let plan = outcome.plan
        _ = seen[origin].admit(plan.queryID, deadlineMilliseconds: plan.deadlineMilliseconds, nowMilliseconds: nowMilliseconds())
        simulator.log.append(simulator.now, "query plan=\(plan.queryID) origin=\(origin) targets=\(plan.targets.count)")
        lastPlan = (signed, origin)
        var run = Run(
            coordinator: QueryCoordinator(plan: plan, localNode: node.id, localMinimumCellSize: policy(of: origin).minimumCellSize),
            signed: signed, planBytes: signed.encoded().count, parent: nil, outcome: outcome)
        run.absent = absent
        run.startedAt = simulator.now
        runs[origin][plan.queryID] = run
        let actions = runs[origin][plan.queryID]!.coordinator.start(nowMilliseconds: nowMilliseconds(), isReachable: isReachable(from: origin))
        perform(actions, at: origin, query: plan.queryID)
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
    @discardableResult
    private func receive(_ signed: SignedQueryPlan, at receiver: Int, from sender: Int) -> QueryPlanRejection? {
        let node = simulator.nodes[receiver]
        let plan: QueryPlan
        do {
            guard node.live.contains(sender) else {
                throw QueryPlanRejection(.notMember, "plans are accepted from live members only; \(simulator.nodes[sender].id) is not one in this node's view")
            }
            let live = node.live
            let simulator = self.simulator
            plan = try verifier.verify(signed, now: SimulatedFederation.date(simulator.now), isLiveMember: { simulator.index(of: $0).map { live.contains($0) } ?? false }, localNode: node.id)
            guard plan.normalisedQuery == plan.query.normalisedText else {
                throw QueryPlanRejection(.malformed, "the plan's query text is not the text of its query")
            }
            if let rejection = seen[receiver].admit(plan.queryID, deadlineMilliseconds: plan.deadlineMilliseconds, nowMilliseconds: nowMilliseconds()) {
                throw rejection
            }
        } catch let rejection as QueryPlanRejection {
            return rejection
        } catch {
            return QueryPlanRejection(.malformed, "\(error)")
        }
        runs[receiver][plan.queryID] = Run(
            coordinator: QueryCoordinator(plan: plan, localNode: node.id, localMinimumCellSize: policy(of: receiver).minimumCellSize),
            signed: signed, planBytes: signed.encoded().count, parent: sender)
        let actions = runs[receiver][plan.queryID]!.coordinator.start(nowMilliseconds: nowMilliseconds(), isReachable: isReachable(from: receiver))
        perform(actions, at: receiver, query: plan.queryID)
        return nil
    }

    // MARK: - Carrying out the coordinator's actions

    private func perform(_ actions: [QueryCoordinator.Action], at node: Int, query: QueryID) {
        for action in actions {
            guard let run = runs[node][query] else { return }
            switch action {
            case .forward(let childID, _):
                guard let child = simulator.index(of: childID) else { continue }
                let signed = run.signed
                simulator.transmit(.query, from: node, to: child, bytes: run.planBytes) { [unowned self] in
                    self.deliverPlan(signed, to: child, from: node, query: query)
                }
            case .executeLocally:
                let plan = run.coordinator.plan
                let outcome = execute(plan, at: node)
                let generation = simulator.nodes[node].generation
                simulator.after(QueryScenario.localExecutionTime) { [unowned self] in
                    guard self.simulator.nodes[node].isUp, self.simulator.nodes[node].generation == generation else { return }
                    self.event(at: node, query: query) { $0.localExecutionFinished(outcome) }
                }
            case .scheduleDeadline(let at):
                let generation = simulator.nodes[node].generation
                simulator.after(delay(until: at)) { [unowned self] in
                    guard self.simulator.nodes[node].isUp, self.simulator.nodes[node].generation == generation else { return }
                    self.event(at: node, query: query) { $0.deadlinePassed() }
                }
            case .answer(let result):
                runs[node][query] = nil
                if let outcome = run.outcome {
                    release(result, outcome: outcome, absent: run.absent, origin: node, startedAt: run.startedAt)
                } else if let parent = run.parent {
                    simulator.transmit(.query, from: node, to: parent, bytes: result.encoded().count) { [unowned self] in
                        self.deliverReply(.answered(result), to: parent, from: node, query: query)
                    }
                }
            }
        }
    }

    private func event(at node: Int, query: QueryID, _ body: (inout QueryCoordinator) -> [QueryCoordinator.Action]) {
        guard runs[node][query] != nil else { return }
        let actions = body(&runs[node][query]!.coordinator)
        perform(actions, at: node, query: query)
    }

    /// The plan reaches `child`. A crashed child refuses the connection: the requester hears
    /// "unreachable" one round trip after sending. Otherwise the child verifies and runs it,
    /// or answers with its rejection.
    private func deliverPlan(_ signed: SignedQueryPlan, to child: Int, from parent: Int, query: QueryID) {
        guard simulator.nodes[child].isUp else {
            simulator.transportAnswer(from: child, to: parent) { [unowned self] in
                self.unreachable(child, at: parent, query: query, reason: "connection refused")
            }
            return
        }
        if let rejection = receive(signed, at: child, from: parent) {
            let bytes = rejection.message.utf8.count + rejection.code.rawValue.utf8.count
            simulator.transmit(.query, from: child, to: parent, bytes: bytes) { [unowned self] in
                self.deliverReply(.rejected(rejection), to: parent, from: child, query: query)
            }
        }
    }

    private func deliverReply(_ reply: Reply, to node: Int, from child: Int, query: QueryID) {
        guard simulator.nodes[node].isUp else { return }
        let childID = simulator.nodes[child].id
        switch reply {
        case .answered(let result):
            event(at: node, query: query) { $0.childAnswered(childID, result) }
        case .rejected(let rejection):
            let now = nowMilliseconds()
            let reachable = isReachable(from: node)
            event(at: node, query: query) { $0.childRejected(childID, rejection, nowMilliseconds: now, isReachable: reachable) }
        }
    }

    private func unreachable(_ child: Int, at node: Int, query: QueryID, reason: String) {
        guard simulator.nodes[node].isUp else { return }
        let childID = simulator.nodes[child].id
        let now = nowMilliseconds()
        let reachable = isReachable(from: node)
        event(at: node, query: query) { $0.childUnreachable(childID, reason: reason, nowMilliseconds: now, isReachable: reachable) }
    }

    /// The local part, as the node runs it (`QueryPlan.runLocally`); simulated nodes keep
    /// no privacy ledger.
    private func execute(_ plan: QueryPlan, at node: Int) -> QueryCoordinator.LocalOutcome {
        plan.runLocally(on: snapshots[node], policy: policy(of: node)) { nil }
    }

    // MARK: - Release and the oracle

    private func release(_ subtree: SubtreeResult, outcome: FederatedPlanner.Outcome, absent: [NodeID], origin: Int, startedAt: Duration) {
        let plan = outcome.plan
        var released = outcome.release(subtree)
        for node in absent where !released.coverage.accountedFor.contains(node) {
            released.coverage.failed[node] = "not alive in the membership of \(simulator.nodes[origin].id)"
        }
        let what = "query \(plan.queryID) from node \(origin) (seed \(simulator.seed))"
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
                queryID: plan.queryID, origin: origin, depth: plan.tree.depth, targets: plan.targets.count,
                latencyMilliseconds: (simulator.now - startedAt).millisecondsValue, complete: complete, exact: exact,
                missing: "\(missing) nodes not answered (timed out \(released.coverage.timedOut.count), failed \(released.coverage.failed.count), refused \(released.coverage.refused.count))"))
        simulator.log.append(simulator.now, "query released=\(plan.queryID) answered=\(answered.count)/\(plan.targets.count) complete=\(complete) exact=\(exact)")
    }

    /// Each node's own partial, merged centrally and released as the origin would.
    private func oracle(over nodes: [NodeID], outcome: FederatedPlanner.Outcome, k: Int) -> ResultTable {
        var merged: SubtreeResult?
        for id in nodes {
            guard let index = simulator.index(of: id), case .partial(let partial) = execute(outcome.plan, at: index) else { continue }
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

    func addFigures(to result: inout ScenarioResult, label: String) {
        let latencies = records.map(\.latencyMilliseconds).sorted()
        func percentile(_ p: Double) -> Double? {
            guard !latencies.isEmpty else { return nil }
            return latencies[min(latencies.count - 1, Int((p * Double(latencies.count)).rounded(.up)) - 1)]
        }
        result.add("\(label): queries released", Double(records.count), "queries")
        result.add("\(label): queries the origin could not plan", Double(planningFailures.count), "queries")
        result.add("\(label): latency p50", percentile(0.5), "ms")
        result.add("\(label): latency p90", percentile(0.9), "ms")
        result.add("\(label): latency p99", percentile(0.99), "ms")
        result.add("\(label): latency max", latencies.last, "ms")
        result.add("\(label): share complete", records.isEmpty ? nil : Double(records.filter(\.complete).count) / Double(records.count), "share")
        result.add("\(label): share exact", records.isEmpty ? nil : Double(records.filter(\.exact).count) / Double(records.count), "share")
        result.add("\(label): mean tree depth", records.isEmpty ? nil : Double(records.map(\.depth).reduce(0, +)) / Double(records.count), "levels")
        let sorted = records.enumerated().map { [Double($0.offset + 1), $0.element.latencyMilliseconds] }
        result.series.append(Series(name: "latency, \(label)", xLabel: "query", yLabel: "virtual ms", points: sorted))
    }
}
