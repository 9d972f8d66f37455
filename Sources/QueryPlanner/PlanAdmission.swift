import Foundation
import MeshCore

/// What a node checks before it acts on a message of a query from another node, kept in
/// one place for the node's shell and the simulator (docs/PRIVACY.md, "Who asked" and
/// "Secure aggregation"):
///
/// - a plan (``admitPlan(_:from:localNode:live:vocabulary:now:)``): the sender is a live
///   member, the origin signed it and is live, the deadline holds, this node is a target,
///   the text is the query's, the researcher signed this very query, and the id is new;
/// - an unmasking request (``admitUnmasking(_:from:live:now:)``): the sender is live, the
///   node answered the plan it names, the plan's origin signed it, and it is the first for
///   that query. The signature is checked before the request uses up the node's answer.
///
/// Time is an input; the verifiers and the seen and held sets are the state.
public struct PlanAdmission: Sendable {
    public var verifier: QueryPlanVerifier
    public var submissions: SubmissionVerifier
    public var seen: SeenQueries
    public var held: HeldPlans

    public init(verifier: QueryPlanVerifier, submissions: SubmissionVerifier, seen: SeenQueries = SeenQueries(), held: HeldPlans = HeldPlans()) {
        self.verifier = verifier
        self.submissions = submissions
        self.seen = seen
        self.held = held
    }

    /// A refused plan; `plan` is set when its researcher's signature did not hold, which
    /// the node records in its audit (who tried to ask in whose name).
    public struct Refusal: Error, Sendable {
        public var rejection: QueryPlanRejection
        public var plan: QueryPlan?
    }

    /// Checks a signed plan from `sender`; a masked plan is held for its unmasking round.
    public mutating func admitPlan(
        _ bytes: [UInt8], from sender: NodeID, localNode: NodeID, live: Set<NodeID>, vocabulary: QueryVocabulary, now: Date
    ) throws(Refusal) -> (plan: QueryPlan, signed: SignedQueryPlan) {
        let plan: QueryPlan
        let signed: SignedQueryPlan
        do throws(QueryPlanRejection) {
            // A subtree result carries partials: only a member of the mesh may ask for one,
            // whoever signed the plan.
            guard live.contains(sender) else {
                throw QueryPlanRejection(.notMember, "plans are accepted from live members only; \(sender) is not one in this node's view")
            }
            signed = try SignedQueryPlan(decoding: bytes)
            plan = try verifier.verify(signed, now: now, isLiveMember: { live.contains($0) }, localNode: localNode)
            // The audit records the text; it must be the query that runs.
            guard plan.normalisedQuery == plan.query.normalisedText else {
                throw QueryPlanRejection(.malformed, "the plan's query text is not the text of its query")
            }
        } catch {
            throw Refusal(rejection: error, plan: nil)
        }
        // The researcher named must have signed this very query, id and origin: a node
        // certificate cannot ask in a researcher's name.
        do {
            try submissions.check(plan, now: now) { sql in try QueryParser.parse(sql, vocabulary: vocabulary) }
        } catch {
            throw Refusal(rejection: error, plan: plan)
        }
        let nowMilliseconds = UnixMilliseconds.from(now)
        if let rejection = seen.admit(plan.queryID, origin: plan.origin, deadlineMilliseconds: plan.deadlineMilliseconds, nowMilliseconds: nowMilliseconds) {
            throw Refusal(rejection: rejection, plan: nil)
        }
        held.hold(plan, nowMilliseconds: nowMilliseconds)
        return (plan, signed)
    }

    /// Checks an unmasking request from `sender` and uses up this node's one answer for
    /// its query; returns the plan, the request and the responders its origin fixed.
    public mutating func admitUnmasking(
        _ bytes: [UInt8], from sender: NodeID, live: Set<NodeID>, now: Date
    ) throws(QueryPlanRejection) -> (plan: QueryPlan, request: UnmaskRequest, responders: Set<NodeID>) {
        guard live.contains(sender) else {
            throw QueryPlanRejection(.notMember, "unmasking requests are accepted from live members only; \(sender) is not one in this node's view")
        }
        let request = try UnmaskRequest(decoding: bytes)
        let nowMilliseconds = UnixMilliseconds.from(now)
        let queryID = try request.unverifiedQueryID()
        // Verified before it is admitted: a forged request must not use up the answer.
        let responders = try request.verify(
            for: try held.plan(of: queryID, nowMilliseconds: nowMilliseconds), trust: verifier.chain, revocations: verifier.revocations, now: now
        )
        let plan = try held.admitUnmasking(queryID, nowMilliseconds: nowMilliseconds)
        return (plan, request, responders)
    }
}
