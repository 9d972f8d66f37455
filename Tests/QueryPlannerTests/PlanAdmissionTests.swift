import Foundation
import MeshCore
import QueryPlanner
import Testing

/// The checks every node makes on plans and unmasking requests from other nodes
/// (`PlanAdmission`, shared by the node's shell and the simulator).
@Suite struct PlanAdmissionTests {
    typealias F = QueryPlanFixtures
    let fixtures: QueryPlanFixtures

    init() throws {
        fixtures = try QueryPlanFixtures()
    }

    func admission() -> PlanAdmission {
        PlanAdmission(verifier: fixtures.verifier(), submissions: SubmissionVerifier(caCertificate: fixtures.ca.certificate))
    }

    /// A masked plan at hospital-b from hospital-a, as researcher dr-jones signed it.
    func maskedPlan() throws -> QueryPlan {
        var plan = F.plan()
        plan.secureAggregation = true
        plan.submission = try ResearcherSubmission(
            sql: F.query.normalisedText, queryID: plan.queryID, issuedAtMilliseconds: F.nowMilliseconds, origin: F.hospitalA, fanout: 8,
            timeoutMilliseconds: 15_000
        ).signed(by: fixtures.researcherCredential)
        return plan
    }

    func request(for plan: QueryPlan, responders: Set<NodeID>, signedBy credential: Credential) throws -> [UInt8] {
        try UnmaskRequest(header: UnmaskRequest.Header(queryID: plan.queryID, responders: responders), targets: plan.targets, shares: [:], signedBy: credential).encoded()
    }

    @Test func aPlanIsAdmittedOnceAndOnlyFromALiveMember() throws {
        var admission = admission()
        let bytes = try QueryPlanSigner(credential: fixtures.nodeA).sign(try maskedPlan()).encoded()
        let live: Set<NodeID> = [F.hospitalA]
        #expect(throws: PlanAdmission.Refusal.self) {
            try admission.admitPlan(bytes, from: F.registryC, localNode: F.hospitalB, live: live, vocabulary: F.vocabulary, now: F.now)
        }
        let (plan, _) = try admission.admitPlan(bytes, from: F.hospitalA, localNode: F.hospitalB, live: live, vocabulary: F.vocabulary, now: F.now)
        #expect(plan.secureAggregation && admission.held.count == 1)
        do {
            _ = try admission.admitPlan(bytes, from: F.hospitalA, localNode: F.hospitalB, live: live, vocabulary: F.vocabulary, now: F.now)
            Issue.record("a plan was admitted twice")
        } catch {
            #expect(error.rejection.code == .duplicate)
        }
    }

    /// A plan no researcher signed is refused, and the refusal carries the plan so that
    /// the node can audit who tried to ask in whose name.
    @Test func aPlanWithoutTheResearchersSignatureIsRefusedForTheAudit() throws {
        var admission = admission()
        var plan = try maskedPlan()
        plan.submission = nil
        let bytes = try QueryPlanSigner(credential: fixtures.nodeA).sign(plan).encoded()
        do {
            _ = try admission.admitPlan(bytes, from: F.hospitalA, localNode: F.hospitalB, live: [F.hospitalA], vocabulary: F.vocabulary, now: F.now)
            Issue.record("a plan without the researcher's signature was admitted")
        } catch {
            #expect(error.rejection.code == .researcherNotVerified)
            #expect(error.plan?.queryID == plan.queryID)
        }
    }

    /// An unmasking request not signed by the plan's origin is refused and does not use up
    /// the node's one answer: the origin's own request is admitted after it, once.
    @Test func aForgedUnmaskingRequestDoesNotUseUpTheAnswer() throws {
        var admission = admission()
        let plan = try maskedPlan()
        let bytes = try QueryPlanSigner(credential: fixtures.nodeA).sign(plan).encoded()
        let live: Set<NodeID> = [F.hospitalA, F.registryC]
        _ = try admission.admitPlan(bytes, from: F.hospitalA, localNode: F.hospitalB, live: live, vocabulary: F.vocabulary, now: F.now)
        let responders: Set<NodeID> = [F.hospitalA, F.hospitalB]
        let forged = try request(for: plan, responders: responders, signedBy: fixtures.nodeB)
        let refusal = #expect(throws: QueryPlanRejection.self) { try admission.admitUnmasking(forged, from: F.registryC, live: live, now: F.now) }
        #expect(refusal?.code == .originMismatch, "\(String(describing: refusal))")
        let genuine = try request(for: plan, responders: responders, signedBy: fixtures.nodeA)
        let admitted = try admission.admitUnmasking(genuine, from: F.hospitalA, live: live, now: F.now)
        #expect(admitted.responders == responders && admitted.plan.queryID == plan.queryID)
        let again = #expect(throws: QueryPlanRejection.self) { try admission.admitUnmasking(genuine, from: F.hospitalA, live: live, now: F.now) }
        #expect(again?.code == .duplicate)
        // The responders travel as a bitmap over the plan's targets: a request signed over
        // one target more names a responder past the plan's last.
        let nowhere = try NodeID("zzz-nowhere")
        let stranger = try UnmaskRequest(
            header: UnmaskRequest.Header(queryID: plan.queryID, responders: [nowhere]), targets: plan.targets + [nowhere], shares: [:], signedBy: fixtures.nodeA)
        var fresh = self.admission()
        _ = try fresh.admitPlan(bytes, from: F.hospitalA, localNode: F.hospitalB, live: live, vocabulary: F.vocabulary, now: F.now)
        let named = #expect(throws: QueryPlanRejection.self) { try fresh.admitUnmasking(stranger.encoded(), from: F.hospitalA, live: live, now: F.now) }
        #expect(named?.code == .malformed && named?.message.contains("\(plan.targets.count) targets") == true, "\(String(describing: named))")
    }
}
