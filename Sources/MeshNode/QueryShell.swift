import Aggregation
import Crypto
import Foundation
import Gossip
import Logging
import MeshCore
import QueryPlanner
import SecureAggregation
import Transport

/// The shell around ``QueryCoordinator`` (docs/ARCHITECTURE.md, "Code structure: pure cores and thin shells"): takes researchers' queries
/// and plans from other nodes off the transport, verifies and plans, runs the local part on
/// the site snapshot, writes the audit record, and carries out the coordinator's actions
/// with the transport and timers.
///
/// - A researcher's query (`QUERY_SUBMIT`) is planned here against the live, verified
///   catalogues, signed with this node's key, run with this node as the root of the tree,
///   released under the strictest k of the contributors, and answered with its coverage.
/// - A plan (`QUERY_PLAN`) is verified before anything else happens: signature, chain,
///   origin a live member, deadline, this node a target, query id not seen before.
/// - Under secure aggregation (``MaskedAggregation``) the local partial leaves masked, and
///   once the first round is over the origin sends its unmasking request
///   (`QUERY_UNMASK`) straight to every target (``QueryPlan/unmaskTree``) and unmasks the
///   sum before release.
actor QueryShell {
    private let localNode: NodeID
    private let link: any MeshLink
    private let clock: any MeshClock
    private let membership: MembershipShell
    private let catalogues: CatalogueShell
    private let site: SiteData
    private let policy: CataloguePolicy
    private let limits: PrivacyLimits
    private let ledger: PrivacyLedger
    private let audit: AuditLog
    private let signer: QueryPlanSigner
    private let credential: Credential
    private let aggregationKey: Curve25519.KeyAgreement.PrivateKey
    private let allowsPlaintextPartials: Bool
    private let agreements = AgreementCache()
    /// The checks on plans and unmasking requests from other nodes, with the ids seen and
    /// the masked plans held (shared with the simulator).
    private var admission: PlanAdmission
    /// Checks researchers' own submissions to this node.
    private var submissions: SubmissionVerifier
    /// The plans and submissions running now, against the node's limits.
    private var load: QueryLoad
    /// This origin's limits on the queries researchers submit to it.
    private let parserLimits: QueryParser.Limits
    private var random = SeededRandom.fromSystem()
    private let logger: Logger
    private let metrics: NodeMetrics

    init(
        localNode: NodeID,
        credential: Credential,
        aggregationKey: Curve25519.KeyAgreement.PrivateKey,
        allowsPlaintextPartials: Bool,
        loadLimits: QueryLoadLimits = QueryLoadLimits(),
        parserLimits: QueryParser.Limits = .maximum,
        link: any MeshLink,
        clock: any MeshClock,
        membership: MembershipShell,
        catalogues: CatalogueShell,
        site: SiteData,
        policy: CataloguePolicy,
        limits: PrivacyLimits,
        ledger: PrivacyLedger,
        audit: AuditLog,
        revocations: RevocationList,
        logger: Logger,
        metrics: NodeMetrics = .discarding
    ) throws {
        self.metrics = metrics
        self.localNode = localNode
        self.link = link
        self.clock = clock
        self.membership = membership
        self.catalogues = catalogues
        self.site = site
        self.policy = policy
        self.limits = limits
        self.ledger = ledger
        self.audit = audit
        self.signer = try QueryPlanSigner(credential: credential)
        self.credential = credential
        self.aggregationKey = aggregationKey
        self.allowsPlaintextPartials = allowsPlaintextPartials
        self.submissions = SubmissionVerifier(caCertificate: credential.caCertificate, revocations: revocations)
        self.admission = PlanAdmission(
            verifier: QueryPlanVerifier(caCertificate: credential.caCertificate, revocations: revocations), submissions: submissions,
            seen: SeenQueries(capacityPerOrigin: loadLimits.seenQueriesPerOrigin)
        )
        self.load = QueryLoad(limits: loadLimits)
        self.parserLimits = parserLimits
        self.logger = logger
        // A restart must not reopen the door to replays: every plan acted on and every
        // submission planned within the longest deadline is in the audit (committed before
        // any partial left), so its id is still refused. Its deadline was at most the
        // longest timeout plus the clock skew after its record.
        let horizon = QuerySubmission.timeoutMaxMilliseconds + QueryPlanVerifier.clockSkewAllowanceMilliseconds
        let now = clock.unixMilliseconds
        for (text, originText, time) in try audit.queryIDs(sinceMilliseconds: now - horizon) {
            guard let queryID = try? QueryID(hex: text), let origin = try? NodeID(originText) else { continue }
            _ = admission.seen.admit(queryID, origin: origin, deadlineMilliseconds: time + horizon, nowMilliseconds: now)
        }
    }

    /// A newer revocation list: plans signed by revoked origins are refused from now on.
    func apply(_ revocations: RevocationList) {
        admission.verifier.revocations = revocations
        admission.submissions.revocations = revocations
        submissions.revocations = revocations
    }

    // MARK: Researchers

    /// Plans, runs and answers a researcher's query.
    func submit(_ message: InboundMessage) async {
        guard case .researcher(let researcher) = message.from else {
            await reply(to: message, status: .refused, "queries are submitted with a researcher certificate (from `meshnode ca issue-researcher`); \(message.from) is not a researcher")
            return
        }
        let started = clock.now
        if let busy = load.startSubmission(by: researcher) {
            logger.notice("submission refused: busy", metadata: ["researcher": "\(researcher)", "reason": "\(busy.message)"])
            metrics.queryEnded(.refused)
            await reject(message, busy, kind: .querySubmit)
            return
        }
        defer { load.finishSubmission(by: researcher) }
        // The researcher signs what they ask; the plan carries that signature to every
        // provider (docs/PRIVACY.md, "Who asked").
        let signedSubmission: SignedSubmission
        let submission: ResearcherSubmission
        do throws(QueryPlanRejection) {
            signedSubmission = try SignedSubmission(decoding: Array(message.envelope.body))
            let verified = try submissions.verify(signedSubmission, now: clock.date)
            guard verified.researcher == researcher else {
                throw QueryPlanRejection(.researcherNotVerified, "the submission is signed by researcher \(verified.researcher) but sent over \(researcher)'s connection")
            }
            guard verified.submission.origin == localNode else {
                throw QueryPlanRejection(.researcherNotVerified, "the submission was signed for origin \(verified.submission.origin); this node is \(localNode)")
            }
            submission = verified.submission
            let deadline = submission.issuedAtMilliseconds + submission.timeoutMilliseconds
            if let replay = admission.seen.admit(submission.queryID, origin: localNode, deadlineMilliseconds: deadline, nowMilliseconds: clock.unixMilliseconds) {
                throw replay
            }
        } catch {
            recordSubmission(researcher: researcher, queryID: "-", query: "(unverified submission)", outcome: .refused("submission: \(error.message)"))
            metrics.queryEnded(.refused)
            if error.code == .malformed {
                await reply(to: message, status: .invalidRequest, "not a query submission: \(error.message)")
            } else {
                await reply(to: message, status: .refused, "the query submission was refused: \(error.message)")
            }
            return
        }
        let live = Set(await membership.livePeers)
        let (usable, absent) = FederatedPlanner.catalogues(known: await catalogues.catalogues.map(\.catalogue), live: live, origin: localNode)
        let outcome: FederatedPlanner.Outcome
        do {
            // The query's time counts from the researcher's signature, so that no provider
            // sees a deadline later than the signed timeout allows.
            outcome = try FederatedPlanner.plan(
                submission.query,
                researcher: researcher,
                origin: localNode,
                catalogues: usable,
                nowMilliseconds: min(clock.unixMilliseconds, submission.issuedAtMilliseconds),
                random: &random,
                queryID: submission.queryID,
                signed: signedSubmission,
                parserLimits: parserLimits
            )
        } catch {
            recordSubmission(researcher: researcher, queryID: submission.queryID.description, query: submission.sql, outcome: .refused("planning: \(error.message)"))
            metrics.queryEnded(.refused)
            await reply(to: message, status: .invalidRequest, error.message)
            return
        }
        let signed: SignedQueryPlan
        do {
            signed = try signer.sign(outcome.plan)
        } catch {
            metrics.queryEnded(.failed)
            await reply(to: message, status: .internal, "cannot sign the plan: \(error)")
            return
        }
        logger.info(
            "query planned",
            metadata: [
                "query": "\(outcome.plan.queryID)", "researcher": "\(researcher)", "targets": "\(outcome.plan.targets.count)",
                "pruned": "\(outcome.pruned.count)", "refused": "\(outcome.refused.count)",
            ]
        )
        var result = await run(outcome.plan, signed: signed)
        if outcome.plan.secureAggregation {
            do throws(SecureAggregationError) {
                result = try await unmask(outcome.plan, after: result)
            } catch {
                // Never a wrong number: the query ends with the cause.
                logger.warning("secure aggregation failed", metadata: ["query": "\(outcome.plan.queryID)", "reason": "\(error.message)"])
                recordSubmission(
                    researcher: researcher, queryID: outcome.plan.queryID.description, query: outcome.plan.normalisedQuery,
                    outcome: .refused("secure aggregation: \(error.message)")
                )
                metrics.queryEnded(.failed, after: clock.now - started)
                await reply(to: message, status: .internal, "secure aggregation could not unmask the sum: \(error.message); answered: \(result.coverage.answered.sorted().map(\.rawValue).joined(separator: ", "))")
                return
            }
        }
        let released = outcome.release(result, absent: absent)
        recordSubmission(
            researcher: researcher,
            queryID: outcome.plan.queryID.description,
            query: outcome.plan.normalisedQuery,
            outcome: .released(k: released.table.k, tableDigest: AuditRecord.tableDigest(of: released.table.json()))
        )
        metrics.queryEnded(.released, after: clock.now - started)
        var response = Envelope()
        response.kind = .querySubmit
        response.body = Data(released.encoded())
        do {
            try await link.reply(to: message, with: response)
        } catch {
            logger.warning("the researcher left before the result", metadata: ["query": "\(outcome.plan.queryID)", "reason": "\(error)"])
        }
    }

    // MARK: Plans from other nodes

    /// Verifies a plan from the parent in the tree, runs this node's part and answers with
    /// the subtree's result.
    func receivePlan(_ message: InboundMessage) async {
        guard case .node(let sender) = message.from else {
            await reply(to: message, status: .refused, "plans come from nodes; \(message.from) is not one")
            return
        }
        metrics.plansReceivedCount.increment()
        if let busy = load.startPlan() {
            logger.notice("plan refused: busy", metadata: ["from": "\(sender)", "reason": "\(busy.message)"])
            metrics.planRefused(reason: "busy")
            await reject(message, busy)
            return
        }
        defer { load.finishPlan() }
        let plan: QueryPlan
        let signed: SignedQueryPlan
        do throws(PlanAdmission.Refusal) {
            let live = Set(await membership.livePeers)
            let vocabulary = FederatedPlanner.vocabulary(of: await catalogues.catalogues.map(\.catalogue))
            (plan, signed) = try admission.admitPlan(
                Array(message.envelope.body), from: sender, localNode: localNode, live: live, vocabulary: vocabulary, now: clock.date
            )
        } catch {
            if let named = error.plan { audit(refusalOf: named, error.rejection) }
            logger.notice("plan rejected", metadata: ["from": "\(sender)", "code": "\(error.rejection.code)", "reason": "\(error.rejection.message)"])
            metrics.planRefused(reason: error.rejection.code.rawValue)
            await reject(message, error.rejection)
            return
        }
        let result = await run(plan, signed: signed)
        var response = Envelope()
        response.kind = .queryPlan
        response.body = Data(result.encoded())
        do {
            try await link.reply(to: message, with: response)
            metrics.partialBytes.increment(by: response.body.count)
        } catch {
            logger.notice("parent gone before the subtree result", metadata: ["query": "\(plan.queryID)", "parent": "\(sender)", "reason": "\(error)"])
        }
    }

    // MARK: Running the coordinator

    private enum Event: Sendable {
        case local(QueryCoordinator.LocalOutcome)
        case answered(NodeID, SubtreeResult)
        case rejected(NodeID, QueryPlanRejection)
        case unreachable(NodeID, String)
        case deadline
    }

    /// Runs the first round: the plan down, partials or masked vectors up.
    private func run(_ plan: QueryPlan, signed: SignedQueryPlan) async -> SubtreeResult {
        let planBytes = Data(signed.encoded())
        return await run(plan, round: .aggregate, kind: .queryPlan, body: { _ in planBytes }) { await self.executeLocally(plan) }
    }

    /// Drives one coordinator until it answers: `body` is what each child is sent,
    /// `local` this node's own part.
    private func run(
        _ plan: QueryPlan, round: QueryCoordinator.Round, responders: Set<NodeID>? = nil, kind: MessageKind, body: @escaping @Sendable (NodeID) -> Data,
        local: @escaping @Sendable () async -> QueryCoordinator.LocalOutcome
    ) async -> SubtreeResult {
        var coordinator = QueryCoordinator(
            plan: plan, localNode: localNode, localMinimumCellSize: policy.minimumCellSize, round: round, responders: responders)
        let (events, continuation) = AsyncStream.makeStream(of: Event.self)
        var tasks: [Task<Void, Never>] = []
        defer { tasks.forEach { $0.cancel() } }

        // The membership knows where every member listens, also members this node has only
        // ever been dialed by.
        let addresses = Dictionary(await membership.members.map { ($0.nodeID, $0.address) }, uniquingKeysWith: { first, _ in first })
        var live = Set(await membership.livePeers)
        var actions = coordinator.start(nowMilliseconds: clock.unixMilliseconds, isReachable: { live.contains($0) })
        var iterator = events.makeAsyncIterator()
        while true {
            for action in actions {
                switch action {
                case .forward(let child, let waitUntil):
                    tasks.append(Task { [link, clock] in
                        if let address = addresses[child].flatMap({ try? PeerAddress(parsing: $0) }) {
                            await link.setAddress(address, for: child)
                        }
                        if let event = await Self.forward(body(child), kind: kind, to: child, waitUntil: waitUntil, link: link, clock: clock) {
                            continuation.yield(event)
                        }
                    })
                case .executeLocally:
                    tasks.append(Task { continuation.yield(.local(await local())) })
                case .scheduleDeadline(let at):
                    tasks.append(Task { [clock] in
                        try? await clock.sleep(for: .milliseconds(max(0, at - clock.unixMilliseconds)))
                        continuation.yield(.deadline)
                    })
                case .answer(let result):
                    continuation.finish()
                    return result
                }
            }
            guard let event = await iterator.next() else {
                preconditionFailure("the event stream of query \(plan.queryID) ended before the coordinator answered")
            }
            let now = clock.unixMilliseconds
            switch event {
            case .local(let outcome):
                actions = coordinator.localExecutionFinished(outcome)
            case .answered(let child, let result):
                actions = coordinator.childAnswered(child, result)
            case .rejected(let child, let rejection):
                live = Set(await membership.livePeers)
                actions = coordinator.childRejected(child, rejection, nowMilliseconds: now, isReachable: { live.contains($0) })
            case .unreachable(let child, let reason):
                live = Set(await membership.livePeers)
                actions = coordinator.childUnreachable(child, reason: reason, nowMilliseconds: now, isReachable: { live.contains($0) })
            case .deadline:
                actions = coordinator.deadlinePassed()
            }
        }
    }

    /// Sends the plan to a child and turns what comes back into an event. A child that does
    /// not answer in time yields nothing: the deadline reports it.
    private static func forward(_ body: Data, kind: MessageKind, to child: NodeID, waitUntil: Int64, link: any MeshLink, clock: any MeshClock) async -> Event? {
        var request = Envelope()
        request.kind = kind
        request.body = body
        let timeout = max(1, waitUntil - clock.unixMilliseconds)
        do {
            let response = try await link.exchange(request, to: child, timeout: .milliseconds(timeout))
            switch response.status {
            case .busy:
                // The child is at its limits: its subtree is asked directly.
                return .rejected(child, QueryPlanRejection(.busy, response.statusMessage))
            case .ok:
                do {
                    return .answered(child, try SubtreeResult(decoding: Array(response.body)))
                } catch {
                    return .rejected(child, QueryPlanRejection(.malformed, "its subtree result does not decode: \(error.message)"))
                }
            default:
                let code = QueryPlanRejection.Code(rawValue: String(decoding: response.body, as: UTF8.self)) ?? .malformed
                return .rejected(child, QueryPlanRejection(code, response.statusMessage.isEmpty ? "\(response.status)" : response.statusMessage))
            }
        } catch where error.code == .deadlineExceeded {
            // The coordinator's own deadline fires at the same time and reports the child.
            return nil
        } catch {
            return .unreachable(child, error.message)
        }
    }

    /// Runs the local part: the node's own policy first (a provider never trusts the
    /// origin's reading of it), then the researcher's budget and rates in this node's own
    /// ledger, then the executor. The audit record is committed before the outcome goes
    /// back to the coordinator, so before any partial leaves the node.
    private func executeLocally(_ plan: QueryPlan) async -> QueryCoordinator.LocalOutcome {
        let snapshot = site.snapshot
        let policy = self.policy
        // The ledger is charged only for a plan the policy allows (runLocally asks for the
        // admission only then), and before the executor runs.
        let allowsPlaintext = allowsPlaintextPartials
        let computed = await Task.detached { [self] in
            plan.runLocally(on: snapshot, policy: policy, allowsPlaintextPartials: allowsPlaintext) { charge(plan, schema: snapshot.schema) }
        }.value
        var outcome = computed
        if plan.secureAggregation, case .partial(let partial) = computed {
            // Only the masked vector leaves the node.
            outcome = MaskedAggregation(plan: plan).contribute(
                partial, node: localNode, longTermKey: aggregationKey, publicKeys: await aggregationKeys(), cache: agreements, random: &random
            )
        }
        var cells = 0
        if case .partial(let partial) = computed { cells = partial.cells.count }
        let record = AuditRecord(
            time: clock.date,
            queryID: plan.queryID.description,
            researcher: plan.researcher.rawValue,
            origin: plan.origin.rawValue,
            query: plan.normalisedQuery,
            outcome: {
                switch outcome {
                case .partial, .masked, .revealed: .answered
                case .refused(let reason): .refused(reason)
                case .failed(let reason): .failed(reason)
                }
            }(),
            cellCount: cells,
            researcherSignature: plan.submission.map { Data($0.encoded()).base64EncodedString() }
        )
        do {
            try audit.append(record)
            metrics.auditRowWritten(kind: "plan")
        } catch {
            // Nothing leaves the node without its audit record.
            logger.error("cannot write the audit record; withholding the partial", metadata: ["query": "\(plan.queryID)", "reason": "\(error)"])
            metrics.plansFailedCount.increment()
            return .failed("the node could not write its audit record")
        }
        switch outcome {
        case .partial, .masked, .revealed: metrics.plansExecutedCount.increment()
        case .refused(let reason): metrics.planRefused(reason: NodeMetrics.localRefusalReason(reason))
        case .failed: metrics.plansFailedCount.increment()
        }
        return outcome
    }

    // MARK: Secure aggregation

    /// The long-term X25519 keys of the nodes whose verified catalogues this node holds.
    private func aggregationKeys() async -> [NodeID: [UInt8]] {
        Dictionary(await catalogues.catalogues.map { ($0.catalogue.nodeID, $0.catalogue.aggregationPublicKey) }, uniquingKeysWith: { first, _ in first })
    }

    /// The origin's unmasking round: fixes and signs the responders of the first round,
    /// sends each target the request with its own shares, and removes the masks from the sum.
    private func unmask(_ plan: QueryPlan, after first: SubtreeResult) async throws(SecureAggregationError) -> SubtreeResult {
        let masking = MaskedAggregation(plan: plan)
        let keys = await aggregationKeys()
        guard let (header, shares) = masking.unmaskRequest(after: first) else {
            return try masking.unmask(first: first, second: first, origin: localNode, longTermKey: aggregationKey, publicKeys: keys, cache: agreements)
        }
        let request: UnmaskRequest
        do {
            request = try UnmaskRequest(header: header, targets: plan.targets, shares: shares, signedBy: credential)
        } catch {
            throw SecureAggregationError("cannot sign the unmasking request: \(error)")
        }
        let second = await runUnmasking(plan, request: request, responders: header.responders)
        logger.info("unmasking round", metadata: ["query": "\(plan.queryID)", "responders": "\(header.responders.count)", "revealed": "\(second.reveals.count)"])
        return try masking.unmask(first: first, second: second, origin: localNode, longTermKey: aggregationKey, publicKeys: keys, cache: agreements)
    }

    /// Runs this node's part of an unmasking round: at the origin, the request to every
    /// other target with the shares it holds, and the origin's own reveal; at a target
    /// (a leaf of the star), its reveal. Receivers have admitted the request (once per
    /// query, ``HeldPlans``); the origin runs it once, for the responders it fixed.
    private func runUnmasking(_ plan: QueryPlan, request: UnmaskRequest, responders: Set<NodeID>) async -> SubtreeResult {
        let routing = request.routing(in: plan.unmaskTree)
        return await run(plan, round: .unmask, responders: responders, kind: .queryUnmask, body: { child in
            Data(routing.request(for: child).encoded())
        }, local: { await self.reveal(plan, responders: responders, shares: request.shares) })
    }

    private func reveal(_ plan: QueryPlan, responders: Set<NodeID>, shares: [SubtreeResult.ShareRoute: [UInt8]]) async -> QueryCoordinator.LocalOutcome {
        MaskedAggregation(plan: plan).reveal(
            responders: responders, shares: shares, node: localNode, longTermKey: aggregationKey, publicKeys: await aggregationKeys(), cache: agreements,
            random: &random
        )
    }

    /// An unmasking request from the origin: checked against the plan this node answered
    /// (signed by its origin, naming only its targets), answered once per query.
    func receiveUnmask(_ message: InboundMessage) async {
        guard case .node(let sender) = message.from else {
            await reply(to: message, status: .refused, "unmasking requests come from nodes; \(message.from) is not one")
            return
        }
        let plan: QueryPlan
        let request: UnmaskRequest
        let responders: Set<NodeID>
        do throws(QueryPlanRejection) {
            let live = Set(await membership.livePeers)
            (plan, request, responders) = try admission.admitUnmasking(Array(message.envelope.body), from: sender, live: live, now: clock.date)
        } catch {
            logger.notice("unmasking request rejected", metadata: ["from": "\(sender)", "code": "\(error.code)", "reason": "\(error.message)"])
            await reject(message, error, kind: .queryUnmask)
            return
        }
        let result = await runUnmasking(plan, request: request, responders: responders)
        var response = Envelope()
        response.kind = .queryUnmask
        response.body = Data(result.encoded())
        do {
            try await link.reply(to: message, with: response)
            metrics.partialBytes.increment(by: response.body.count)
        } catch {
            logger.notice("parent gone before the reveals", metadata: ["query": "\(plan.queryID)", "parent": "\(sender)", "reason": "\(error)"])
        }
    }

    /// A plan refused because its researcher's signature does not hold: recorded, so the
    /// site sees who tried to ask in whose name.
    private func audit(refusalOf plan: QueryPlan, _ rejection: QueryPlanRejection) {
        let record = AuditRecord(
            time: clock.date, queryID: plan.queryID.description, researcher: plan.researcher.rawValue, origin: plan.origin.rawValue, query: plan.normalisedQuery,
            outcome: .refused("\(rejection.code.rawValue): \(rejection.message)"), cellCount: 0
        )
        do {
            try audit.append(record)
            metrics.auditRowWritten(kind: "plan")
        } catch {
            logger.error("cannot write the audit record of a refused plan", metadata: ["query": "\(plan.queryID)", "reason": "\(error)"])
        }
    }

    /// The origin's own audit record of a researcher's submission: what it released (K and
    /// the digest of the released table) or why it refused to plan. Written after the
    /// release; a failure is logged, since the providers' records of the plan stand.
    private func recordSubmission(researcher: ResearcherID, queryID: String, query: String, outcome: AuditRecord.Outcome) {
        let record = AuditRecord(
            time: clock.date, queryID: queryID, researcher: researcher.rawValue, origin: localNode.rawValue, query: query, outcome: outcome, cellCount: 0,
            kind: .submission
        )
        do {
            try audit.append(record)
            metrics.auditRowWritten(kind: "submission")
        } catch {
            logger.error("cannot write the audit record of a submission", metadata: ["query": "\(queryID)", "reason": "\(error)"])
        }
    }

    /// Charges the plan's privacy loss to its researcher in this node's ledger; the refusal
    /// reason (budget or rate) when it is over a limit. A provider whose own policy asks
    /// for no noise accepts exact release and charges nothing, but its rates still hold.
    /// Off the actor: the ledger serialises its own writes.
    private nonisolated func charge(_ plan: QueryPlan, schema: Schema) -> String? {
        let rho = plan.privacyLoss(for: policy, schema: schema)
        do {
            let decision = try ledger.admit(
                researcher: plan.researcher.rawValue,
                queryID: plan.queryID.description,
                query: plan.normalisedQuery,
                rho: rho,
                nowMilliseconds: clock.unixMilliseconds,
                limits: limits
            )
            switch decision {
            case .admitted: return nil
            case .refused(let reason): return reason
            }
        } catch {
            logger.error("cannot write the privacy ledger; refusing the plan", metadata: ["query": "\(plan.queryID)", "reason": "\(error)"])
            return "budget: this provider could not record the query in its privacy ledger"
        }
    }

    // MARK: Replies

    private func reject(_ message: InboundMessage, _ rejection: QueryPlanRejection, kind: MessageKind = .queryPlan) async {
        var response = Envelope()
        response.kind = kind
        response.status = .refused
        if rejection.code == .busy {
            response.status = .busy
            response.retryAfterMs = UInt32(clamping: load.limits.busyRetryAfterMilliseconds)
        }
        response.statusMessage = rejection.message
        response.body = Data(rejection.code.rawValue.utf8)
        try? await link.reply(to: message, with: response)
    }

    private func reply(to message: InboundMessage, status: ResponseStatus, _ text: String) async {
        var response = Envelope()
        response.kind = message.envelope.kind
        response.status = status
        response.statusMessage = text
        try? await link.reply(to: message, with: response)
    }
}
