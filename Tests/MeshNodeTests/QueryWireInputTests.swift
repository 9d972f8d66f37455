import Aggregation
import Foundation
import Gossip
import Logging
import MeshCore
import NIOPosix
import QueryPlanner
import TestSupport
import Testing
import Transport
import X509

@testable import MeshNode

/// Bad input over the wire, against three real `meshnode run` processes: every malformed,
/// forged, replayed, expired or misdirected request gets a clear error or a refusal, nothing
/// crashes, and the nodes keep serving afterwards.
///
/// Besides the processes the suite runs an in-process member, `probe`: a node certificate of
/// the same CA with its own transport and SWIM membership (the processes' fast gossip
/// settings), joined through node-0. Being a live member is what lets it send plans that get
/// past the membership check, so each later check exercises the one it is about.
///
/// node-2 answers only researcher `bob` (policy `allowed_researchers: [bob]`), so that
/// `alice`'s queries show a provider re-checking its own policy while `bob`'s reach all
/// three nodes. Every node allows at most 50 cells per query.
@Suite(.serialized, QueryWireMesh())
struct QueryWireInputTests {
    static let nodes = ["node-0", "node-1", "node-2"]
    static let maximumCells = 50
    /// The fast settings of ``MeshFormationTests/gossip``, for the probe's own membership.
    static var probeSettings: SWIMSettings {
        var settings = SWIMSettings()
        settings.probeInterval = .milliseconds(200)
        settings.pingTimeout = .milliseconds(100)
        settings.pushPullInterval = .milliseconds(2000)
        return settings
    }

    static var fixture: QueryWireFixture {
        get throws {
            guard let fixture = QueryWireFixture.current else { throw TestSupportError("the mesh was not started") }
            return fixture
        }
    }

    // MARK: Plans

    /// A valid plan: the subjects per modality, `alice` asking, with every modality code of
    /// the reference vocabulary and NULL as its cells.
    static func plan(
        origin: String = "probe",
        targets: [String] = ["node-1"],
        researcher: String = "alice",
        issuedMillisecondsAgo: Int64 = 0,
        deadlineInMilliseconds: Int64 = 5_000,
        signedBy signer: String? = nil,
        signedSQL: String? = nil
    ) throws -> QueryPlan {
        var random = SystemRandomNumberGenerator()
        let queryID = QueryID(using: &random)
        let query = Query(aggregates: [.subjectCount], groupBy: [.attribute("modality")])
        let cells = CellSpace(dimensions: [["CT", "MR", "PT", "MG", "US", "CR", "DX", "NM"].map(GroupValue.code) + [.null]])
        let originID = try NodeID(origin)
        let targetIDs = try targets.map { try NodeID($0) }
        let now = UnixMilliseconds.now()
        let tree = AggregationTree(queryID: queryID.bytes, origin: originID, targets: targetIDs, fanout: 8)
        // What the researcher (alice unless told) signed: this query, id and origin.
        let submission = try ResearcherSubmission(
            sql: signedSQL ?? query.normalisedText, queryID: queryID, issuedAtMilliseconds: now - issuedMillisecondsAgo, origin: originID, fanout: 8,
            // The first round takes two thirds of the timeout, the unmasking round the rest.
            timeoutMilliseconds: max(1, (issuedMillisecondsAgo + deadlineInMilliseconds) * 3 / 2)
        ).signed(by: try fixture.researcher(signer ?? researcher))
        return QueryPlan(
            queryID: queryID,
            researcher: try ResearcherID(researcher),
            origin: originID,
            normalisedQuery: query.normalisedText,
            query: query,
            cells: cells,
            targets: targetIDs,
            fanout: 8,
            issuedAtMilliseconds: now - issuedMillisecondsAgo,
            deadlineMilliseconds: now + deadlineInMilliseconds,
            levelMarginMilliseconds: QueryPlan.levelMargin(budgetMilliseconds: issuedMillisecondsAgo + deadlineInMilliseconds, depth: tree.depth),
            submission: submission,
            secureAggregation: true
        )
    }

    /// Sends `body` as a `QUERY_PLAN` request from `transport` (the probe's unless given).
    static func send(_ body: [UInt8], to node: String, via transport: MeshTransport? = nil) async throws -> WireReply {
        var request = Envelope()
        request.kind = .queryPlan
        request.body = Data(body)
        return try await WireReply.request(request, to: try NodeID(node), via: transport ?? fixture.probeTransport)
    }

    static func signedByProbe(_ plan: QueryPlan) throws -> SignedQueryPlan {
        try QueryPlanSigner(credential: try fixture.probeCredential).sign(plan)
    }

    /// A refusal of a plan: status `refused`, a message saying why, and the rejection code.
    static func expectRefused(
        _ reply: WireReply,
        _ code: QueryPlanRejection.Code,
        saying reason: String,
        sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) {
        #expect(reply.status == .refused, "expected a \(code) refusal, got \(reply)", sourceLocation: sourceLocation)
        #expect(reply.message.contains(reason), "expected a \(code) refusal saying '\(reason)', got \(reply)", sourceLocation: sourceLocation)
        #expect(reply.code == code, "expected a \(code) refusal, got \(reply)", sourceLocation: sourceLocation)
    }

    // MARK: 1. Researchers' submissions

    @Test func researchersGetPositionedErrorsForBadQueries() async throws {
        let fixture = try Self.fixture

        let malformed = try await fixture.submit(sql: "SELEC COUNT(*) FROM cases")
        #expect(malformed.status == .invalidRequest, "\(malformed)")
        #expect(malformed.message.hasPrefix("1:1:"), "no line:column position: \(malformed)")
        #expect(malformed.message.contains("expected SELECT"), "\(malformed)")
        #expect(malformed.message.contains("did you mean SELECT"), "\(malformed)")

        let unknown = try await fixture.submit(sql: "SELECT COUNT(*) FROM cases GROUP BY modaliti")
        #expect(unknown.status == .invalidRequest, "\(unknown)")
        #expect(unknown.message.hasPrefix("1:37:"), "no line:column position: \(unknown)")
        #expect(unknown.message.contains("did you mean 'modality'"), "\(unknown)")

        let mistyped = try await fixture.submit(sql: "SELECT COUNT(*) FROM cases WHERE age_at_diagnosis = 'old'")
        #expect(mistyped.status == .invalidRequest, "\(mistyped)")
        #expect(mistyped.message.contains("numeric") && mistyped.message.contains("string"), "\(mistyped)")

        let wide = try await fixture.submit(sql: "SELECT COUNT(*) FROM cases GROUP BY diagnosis, modality, manufacturer")
        #expect(wide.status == .invalidRequest, "\(wide)")
        #expect(wide.message.contains("cells") && wide.message.contains("\(Self.maximumCells)"), "\(wide)")

        // Not a protobuf at all: a length-delimited field longer than the bytes.
        let garbage = try await fixture.submit([0x0A, 0xFF, 0xFF, 0xFF, 0x0F, 0xDE, 0xAD, 0xBE, 0xEF])
        #expect(garbage.status == .invalidRequest, "\(garbage)")
        #expect(garbage.message.contains("not a query submission"), "\(garbage)")

        // The command line exits non-zero and shows the error, with its position, on
        // standard error.
        let command = try fixture.queryCommand("SELEC COUNT(*) FROM cases", as: "alice", node: "node-0")
        #expect(command.status != 0, "\(command.combinedOutput)")
        #expect(command.standardError.contains("the query was not accepted: 1:1: expected SELECT"), "stderr: \(command.standardError)")

        // Queries built to exhaust a recursive parser or planner: refused at the origin with
        // a position, and the node goes on serving.
        let prefix = "SELECT COUNT(*) FROM cases WHERE "
        let nots = try await fixture.submit(sql: prefix + String(repeating: "NOT ", count: 25_000) + "sex = 'F'")
        #expect(nots.status == .invalidRequest && nots.message.contains("levels deep"), "\(nots.status) \(nots.message.prefix(200))")
        #expect(nots.message.hasPrefix("1:"), "no position: \(nots.message.prefix(200))")
        let ors = try await fixture.submit(sql: prefix + Array(repeating: "sex = 'F'", count: 8_000).joined(separator: " OR "))
        #expect(ors.status == .invalidRequest && ors.message.contains("more than \(QueryParser.maximumConditions) tests"), "\(ors.status) \(ors.message.prefix(200))")
        let mebibyte = try await fixture.submit(sql: prefix + "sex = '" + String(repeating: "F", count: 1 << 20) + "'")
        #expect(mebibyte.status == .invalidRequest && mebibyte.message.contains("at most \(QueryParser.maximumTextBytes) are accepted"), "\(mebibyte.status) \(mebibyte.message.prefix(200))")

        // Still serving.
        let valid = try await fixture.submit(sql: "SELECT COUNT(DISTINCT subject) FROM cases GROUP BY modality")
        #expect(valid.status == .ok, "\(valid)")
        #expect((try? FederatedResult(decoding: Array(valid.body))) != nil)
    }

    // MARK: 2. Node certificates cannot submit

    @Test func aNodeCertificateCannotSubmitAResearchersQuery() async throws {
        let fixture = try Self.fixture
        var request = Envelope()
        request.kind = .querySubmit
        request.body = Data(QuerySubmission(sql: "SELECT COUNT(*) FROM cases", timeoutMilliseconds: 5_000).encoded())
        let reply = try await WireReply.request(request, to: try NodeID("node-0"), via: fixture.probeTransport)
        #expect(reply.status == .refused, "\(reply)")
        #expect(reply.message.contains("researcher certificate"), "\(reply)")
    }

    // MARK: 3. Researcher certificates cannot join

    @Test func aResearcherCertificateCannotJoinTheMesh() async throws {
        let fixture = try Self.fixture
        // A researcher runs a SWIM member under its own id and joins through node-0; the
        // connection is accepted (researchers may connect) but its membership messages are
        // not a node's, so nothing of it enters any node's member list.
        try await fixture.withTransport(try fixture.researcher("alice"), connectedTo: "node-0") { transport, node in
            #expect(node.rawValue == "node-0")
            var logger = Logger(label: "oncomesh.test.researcher")
            logger.logLevel = .critical
            let instance = SWIMInstance(localNode: try NodeID("alice"), localAddress: "127.0.0.1:1", settings: Self.probeSettings, seed: 7, now: .zero)
            let membership = MembershipShell(instance: instance, link: transport, clock: SystemMeshClock(), logger: logger) { _ in }
            let pump = Task {
                for await message in transport.messages {
                    if case .node(let peer) = message.from, message.envelope.kind == .membership {
                        await membership.receive(message.envelope, from: peer)
                    }
                }
            }
            defer { pump.cancel() }
            await membership.start(seeds: [fixture.address("node-0")])
            try await Task.sleep(for: .seconds(2.5))
            await membership.leave()
            let researcherView = await membership.livePeers
            #expect(researcherView.isEmpty, "the researcher's member list has \(researcherView)")
        }
        let allowed = Set(Self.nodes + ["probe"])
        for node in Self.nodes {
            let members = fixture.mesh.status(node)?.members.map(\.nodeID) ?? []
            #expect(!members.contains("alice"), "\(node) lists the researcher: \(members)")
            #expect(Set(members) == allowed, "\(node) lists \(members)")
        }
    }

    // MARK: 4. Plans

    @Test func forgedReplayedExpiredAndMisdirectedPlansAreRefused() async throws {
        let fixture = try Self.fixture

        // A valid plan: node-1 answers with its partial.
        let valid = try Self.signedByProbe(try Self.plan())
        let answered = try await Self.send(valid.encoded(), to: "node-1")
        #expect(answered.status == .ok, "\(answered)")
        #expect(answered.subtreeResult?.coverage.answered == [try NodeID("node-1")], "\(String(describing: answered.subtreeResult?.coverage))")
        #expect(answered.subtreeResult?.maskedSum != nil && answered.subtreeResult?.partial == nil)

        // The same plan again: a replay.
        Self.expectRefused(try await Self.send(valid.encoded(), to: "node-1"), .duplicate, saying: "already received")

        // One byte of the payload flipped: the signature no longer covers it.
        let fresh = try Self.signedByProbe(try Self.plan())
        var payload = fresh.payload
        payload[payload.count / 2] ^= 0x01
        let tampered = SignedQueryPlan(payload: payload, signature: fresh.signature, certificateChain: fresh.certificateChain)
        Self.expectRefused(try await Self.send(tampered.encoded(), to: "node-1"), .badSignature, saying: "signature does not verify")
        // The refusal consumed nothing: the untampered plan is still answered.
        let afterTampering = try await Self.send(fresh.encoded(), to: "node-1")
        #expect(afterTampering.status == .ok && afterTampering.subtreeResult?.maskedSum != nil, "\(afterTampering)")

        // No signature at all.
        let unsigned = try Self.signedByProbe(try Self.plan())
        Self.expectRefused(
            try await Self.send(SignedQueryPlan(payload: unsigned.payload, signature: [], certificateChain: unsigned.certificateChain).encoded(), to: "node-1"),
            .badSignature,
            saying: "signature does not verify"
        )

        // Bytes that are no signed plan.
        Self.expectRefused(try await Self.send([0x0A, 0xFF, 0xFF, 0xFF, 0x0F, 0xDE, 0xAD, 0xBE, 0xEF], to: "node-1"), .malformed, saying: "not a protobuf")

        // Issued 6 s ago with a 5 s budget: past its deadline.
        let expired = try Self.signedByProbe(try Self.plan(issuedMillisecondsAgo: 6_000, deadlineInMilliseconds: -1_000))
        Self.expectRefused(try await Self.send(expired.encoded(), to: "node-1"), .deadline, saying: "passed its deadline")

        // Signed by a node of the federation that is not a member, sent by a member.
        let byIntruder = try QueryPlanSigner(credential: fixture.intruderCredential).sign(try Self.plan(origin: "intruder"))
        Self.expectRefused(try await Self.send(byIntruder.encoded(), to: "node-1"), .notMember, saying: "intruder is not a live member")

        // Naming node-0 as origin while signed with the probe's key (the signer refuses to
        // make such a plan, so it is signed by hand).
        let claimed = try Self.plan(origin: "node-0").encoded()
        let signature = try fixture.probeCredential.privateKey.sign(bytes: SignedQueryPlan.signingContext + claimed, signatureAlgorithm: .ecdsaWithSHA256)
        let impersonation = SignedQueryPlan(payload: claimed, signature: signature.rawRepresentation, certificateChain: valid.certificateChain)
        Self.expectRefused(try await Self.send(impersonation.encoded(), to: "node-1"), .originMismatch, saying: "originates plans only for itself")

        // node-1 is not among the targets.
        let elsewhere = try Self.signedByProbe(try Self.plan(targets: ["node-2"]))
        Self.expectRefused(try await Self.send(elsewhere.encoded(), to: "node-1"), .notATarget, saying: "does not target node-1")

        // A valid plan, forwarded by a transport that is not a member.
        let forwarded = try Self.signedByProbe(try Self.plan())
        let forwardedReply = try await fixture.withTransport(fixture.intruderCredential, connectedTo: "node-1") { transport, _ in
            try await Self.send(forwarded.encoded(), to: "node-1", via: transport)
        }
        Self.expectRefused(forwardedReply, .notMember, saying: "plans are accepted from live members only")

        // After all of that node-1 still answers plans, and takes part in a researcher's
        // query (bob's, which every node's policy allows) with the other two.
        let last = try await Self.send(try Self.signedByProbe(try Self.plan()).encoded(), to: "node-1")
        #expect(last.status == .ok && last.subtreeResult?.maskedSum != nil, "\(last)")
        let command = try fixture.queryCommand("SELECT COUNT(DISTINCT subject) FROM cases GROUP BY modality", as: "bob", node: "node-1", json: true)
        #expect(command.status == 0, "\(command.combinedOutput)")
        let answeredBy = Self.coverage(command.standardOutput)?["answered"] as? [String] ?? []
        #expect(Set(answeredBy) == Set(Self.nodes), "\(command.standardOutput)")
        let running = fixture.allNodesRunning()
        #expect(running.values.allSatisfy { $0 }, "\(running)")
    }

    // MARK: 4b. Who asked

    /// A member with a node certificate signs a plan in alice's name: without alice's own
    /// signature over this query, id and origin, every provider refuses it and records the
    /// refusal; alice's real queries still work.
    @Test func aNodeCannotAskInAResearchersName() async throws {
        let fixture = try Self.fixture
        var unsignedPlan = try Self.plan(targets: ["node-1", "node-2"])
        unsignedPlan.submission = nil
        // Signed by bob, named alice; signed by alice for another query; alice's signature
        // replayed under a new id; no signature at all.
        var replayed = try Self.plan(targets: ["node-1"])
        replayed.queryID = try QueryID(hex: "0123456789abcdef0123456789abcdef")
        let forgeries: [(QueryPlan, String)] = [
            (unsignedPlan, "carries no submission signed by them"),
            (try Self.plan(targets: ["node-1"], signedBy: "bob"), "signed by bob"),
            (try Self.plan(targets: ["node-1"], signedSQL: "SELECT COUNT(*) FROM cases"), "runs another query than researcher alice signed"),
            (replayed, "is not the query researcher alice signed"),
        ]
        for (plan, reason) in forgeries {
            let reply = try await Self.send(try Self.signedByProbe(plan).encoded(), to: "node-1")
            Self.expectRefused(reply, .researcherNotVerified, saying: reason)
        }
        let toNode2 = try await Self.send(try Self.signedByProbe(unsignedPlan).encoded(), to: "node-2")
        Self.expectRefused(toNode2, .researcherNotVerified, saying: "carries no submission signed by them")
        // Each refusal is in the provider's audit, under the researcher it named.
        let audit = try ProcessRunner.run(CACommandTests.meshnode, ["audit", "--config", fixture.mesh.config("node-1"), "--format", "json"])
        let records = try JSONSerialization.jsonObject(with: Data(audit.standardOutput.utf8)) as? [[String: Any]] ?? []
        let refusals = records.filter { ($0["reason"] as? String)?.hasPrefix("researcherNotVerified:") == true }
        #expect(refusals.count >= forgeries.count, "\(audit.standardOutput)")
        #expect(refusals.allSatisfy { $0["researcher"] as? String == "alice" && $0["origin"] as? String == "probe" })
        // A researcher's own signed query still runs everywhere.
        let real = try fixture.queryCommand("SELECT COUNT(DISTINCT subject) FROM cases", as: "bob", node: "node-0", json: true)
        #expect(real.status == 0, "\(real.combinedOutput)")
        #expect(Set(Self.coverage(real.standardOutput)?["answered"] as? [String] ?? []) == Set(Self.nodes), "\(real.standardOutput)")
        // node-1's record of it keeps bob's signed submission, which still verifies.
        let after = try ProcessRunner.run(CACommandTests.meshnode, ["audit", "--config", fixture.mesh.config("node-1"), "--format", "json"])
        let answered = (try JSONSerialization.jsonObject(with: Data(after.standardOutput.utf8)) as? [[String: Any]] ?? []).last { $0["outcome"] as? String == "answered" }
        let kept = try #require((answered?["researcher_signature"] as? String).flatMap { Data(base64Encoded: $0) }, "\(after.standardOutput)")
        let proof = try SubmissionVerifier(caCertificate: try fixture.researcher("bob").caCertificate).verify(try SignedSubmission(decoding: Array(kept)), now: Date())
        #expect(proof.researcher.rawValue == "bob" && proof.submission.sql == "SELECT COUNT(DISTINCT subject) FROM cases")
        // The same signed submission sent again to its origin is a replay.
        var random = SystemRandomNumberGenerator()
        let signed = try QuerySubmission(sql: "SELECT COUNT(*) FROM cases", timeoutMilliseconds: 5_000)
            .signed(for: try NodeID("node-0"), by: try fixture.researcher("bob"), nowMilliseconds: UnixMilliseconds.now(), random: &random)
        let first = try await fixture.submit(signed.encoded(), as: "bob", to: "node-0")
        #expect(first.status == .ok, "\(first)")
        let again = try await fixture.submit(signed.encoded(), as: "bob", to: "node-0")
        #expect(again.status == .refused && again.message.contains("already received"), "\(again)")
        // Signed for node-0, sent to node-2: refused there.
        let elsewhere = try await fixture.submit(signed.encoded(), as: "bob", to: "node-2")
        #expect(elsewhere.status == .refused && elsewhere.message.contains("signed for origin node-0"), "\(elsewhere)")
        // Alice's own submission over bob's connection: refused.
        let alices = try QuerySubmission(sql: "SELECT COUNT(*) FROM cases", timeoutMilliseconds: 5_000)
            .signed(for: try NodeID("node-0"), by: try fixture.researcher("alice"), nowMilliseconds: UnixMilliseconds.now(), random: &random)
        let overBob = try await fixture.submit(alices.encoded(), as: "bob", to: "node-0")
        #expect(overBob.status == .refused && overBob.message.contains("sent over bob's connection"), "\(overBob)")
    }

    /// A plan node-1 answered is still refused after node-1 restarts: the ids in its audit
    /// are remembered for as long as any plan could be valid.
    @Test func aPlanReplayedAfterARestartIsRefused() async throws {
        let fixture = try Self.fixture
        let plan = try Self.signedByProbe(try Self.plan(deadlineInMilliseconds: 60_000))
        let first = try await Self.send(plan.encoded(), to: "node-1")
        #expect(first.status == .ok, "\(first)")
        fixture.mesh.processes["node-1"]?.kill()
        let restarted = Date()
        try fixture.mesh.start("node-1")
        let back = await fixture.mesh.wait(for: ["node-1"], timeout: .seconds(15)) { status in
            status.updatedAt > restarted.addingTimeInterval(0.5) && MeshFormationTests.state(status, of: fixture.probe.rawValue) == "alive"
        }
        #expect(back != nil, "node-1 did not see the probe alive after its restart")
        let replay = try await Self.send(plan.encoded(), to: "node-1")
        Self.expectRefused(replay, .duplicate, saying: "already received")
        // A new plan still runs.
        let fresh = try await Self.send(try Self.signedByProbe(try Self.plan()).encoded(), to: "node-1")
        #expect(fresh.status == .ok, "\(fresh)")
    }

    // MARK: 5. A provider's own policy

    @Test func aProviderRefusesAResearcherItsPolicyExcludes() async throws {
        let fixture = try Self.fixture
        let node2 = try NodeID("node-2")

        // Through node-0: node-2 is named refused, with the reason.
        let reply = try await fixture.submit(sql: "SELECT COUNT(DISTINCT subject) FROM cases GROUP BY modality", as: "alice", to: "node-0")
        #expect(reply.status == .ok, "\(reply)")
        let result = try FederatedResult(decoding: Array(reply.body))
        #expect(result.coverage.refused[node2]?.contains("researcher alice") == true, "\(result.coverage)")
        #expect(result.coverage.answered == [try NodeID("node-0"), try NodeID("node-1")], "\(result.coverage)")

        // Straight to node-2, past the origin's planning: node-2 checks its own policy,
        // answers with itself refused, and audits the refusal.
        let plan = try Self.plan(targets: ["node-2"])
        let direct = try await Self.send(try Self.signedByProbe(plan).encoded(), to: "node-2")
        #expect(direct.status == .ok, "\(direct)")
        #expect(direct.subtreeResult?.coverage.refused[node2]?.contains("researcher alice") == true, "\(String(describing: direct.subtreeResult?.coverage))")
        #expect(direct.subtreeResult?.coverage.answered.isEmpty == true)
        #expect(direct.subtreeResult != nil && direct.subtreeResult?.partial == nil && direct.subtreeResult?.maskedSum == nil)

        let audit = try ProcessRunner.run(CACommandTests.meshnode, ["audit", "--config", fixture.mesh.config("node-2"), "--format", "json"])
        #expect(audit.status == 0, "\(audit.combinedOutput)")
        let records = (try? JSONSerialization.jsonObject(with: Data(audit.standardOutput.utf8))) as? [[String: Any]] ?? []
        let record = records.first { $0["query_id"] as? String == plan.queryID.description }
        #expect(record?["outcome"] as? String == "refused", "\(audit.standardOutput)")
        #expect((record?["reason"] as? String)?.contains("researcher alice") == true, "\(audit.standardOutput)")
        #expect(record?["researcher"] as? String == "alice" && record?["origin"] as? String == "probe", "\(audit.standardOutput)")
    }

    /// The `coverage` object of `meshnode query --format json` output.
    static func coverage(_ json: String) -> [String: Any]? {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any] else { return nil }
        return object["coverage"] as? [String: Any]
    }
}

// MARK: Replies

/// What a node answered to a request, whatever its status (`MeshTransport.exchange`): a
/// refused plan carries its rejection code as the body.
struct WireReply: CustomStringConvertible {
    let status: ResponseStatus
    let message: String
    let body: Data

    static func request(_ envelope: Envelope, to node: NodeID, via transport: MeshTransport) async throws -> WireReply {
        let response = try await transport.exchange(envelope, to: node, timeout: .seconds(10))
        return WireReply(status: response.status, message: response.statusMessage, body: response.body)
    }

    /// The rejection code of a refused plan.
    var code: QueryPlanRejection.Code? {
        status == .ok ? nil : QueryPlanRejection.Code(rawValue: String(decoding: body, as: UTF8.self))
    }

    var subtreeResult: SubtreeResult? {
        status == .ok ? try? SubtreeResult(decoding: Array(body)) : nil
    }

    var description: String { "\(status)\(code.map { " (\($0))" } ?? ""): \(message)" }
}

// MARK: The mesh, once for the suite

/// Starts the mesh before the suite's first test and stops it after the last, so that
/// the checks share one formation instead of paying for it each.
struct QueryWireMesh: SuiteTrait, TestScoping {
    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let fixture = try await QueryWireFixture.start()
        do {
            try await QueryWireFixture.$current.withValue(fixture) { try await function() }
        } catch {
            await fixture.stop()
            throw error
        }
        await fixture.stop()
    }
}

/// Three node processes, the probe member, and the certificates of the researchers and
/// of a node that never joins.
final class QueryWireFixture: @unchecked Sendable {
    @TaskLocal static var current: QueryWireFixture?

    static let nodes = QueryWireInputTests.nodes
    static let maximumCells = QueryWireInputTests.maximumCells
    static var probeSettings: SWIMSettings { QueryWireInputTests.probeSettings }

    let mesh: MeshFormationTests.Mesh
    let ports: [String: Int]
    let probe: NodeID
    let probeCredential: Credential
    let intruderCredential: Credential
    let probeGroup: MultiThreadedEventLoopGroup
    let probeTransport: MeshTransport
    let probeMembership: MembershipShell
    let probePump: Task<Void, Never>

    var caDirectory: String { mesh.directory.file("ca") }
    func researcherDirectory(_ id: String) -> String { mesh.directory.file("researcher-\(id)") }
    func address(_ node: String) -> PeerAddress { PeerAddress(host: "127.0.0.1", port: ports[node]!) }

    private init(
        mesh: MeshFormationTests.Mesh, ports: [String: Int], probe: NodeID, probeCredential: Credential, intruderCredential: Credential,
        probeGroup: MultiThreadedEventLoopGroup, probeTransport: MeshTransport, probeMembership: MembershipShell, probePump: Task<Void, Never>
    ) {
        self.mesh = mesh
        self.ports = ports
        self.probe = probe
        self.probeCredential = probeCredential
        self.intruderCredential = intruderCredential
        self.probeGroup = probeGroup
        self.probeTransport = probeTransport
        self.probeMembership = probeMembership
        self.probePump = probePump
    }

    static func run(_ arguments: [String]) throws -> ProcessResult {
        let result = try ProcessRunner.run(CACommandTests.meshnode, arguments)
        guard result.status == 0 else { throw TestSupportError("meshnode \(arguments.joined(separator: " ")) failed: \(result.combinedOutput)") }
        return result
    }

    static func start() async throws -> QueryWireFixture {
        let started = ContinuousClock.now
        let mesh = try MeshFormationTests.Mesh()
        do {
            return try await start(mesh, started: started)
        } catch {
            mesh.stopAll()
            throw error
        }
    }

    private static func start(_ mesh: MeshFormationTests.Mesh, started: ContinuousClock.Instant) async throws -> QueryWireFixture {
        let ca = mesh.directory.file("ca")
        _ = try run(["ca", "init", "--dir", ca])
        let allPorts = try MeshFormationTests.freePorts(nodes.count + 1)
        let ports = Dictionary(uniqueKeysWithValues: zip(nodes, allPorts))
        for (index, node) in nodes.enumerated() {
            let csv = mesh.directory.file("\(node).csv")
            _ = try run(["synth", "--profile", "general", "--subjects", "300", "--seed", "\(index + 1)", "--out", csv])
            _ = try run([
                "init", "--node-id", node, "--ca-dir", ca, "--listen", "127.0.0.1:\(ports[node]!)", "--seeds", "127.0.0.1:\(allPorts[0])",
                "--csv", csv, "--dir", mesh.directory.file(node),
            ])
            // The policy and gossip settings go through the configuration type, so the
            // file stays in the form `meshnode init` writes.
            var config = try NodeConfig.load(path: mesh.config(node))
            config.policy.maxCells = maximumCells
            if node == "node-2" { config.policy.allowedResearchers = ["bob"] }
            // The suite signs plans of its own, without noise; the noise, budgets and rates
            // are not what it tests (DisclosureAttackTests and PrivacyLedgerTests do).
            config.policy.noiseSigma = 0
            config.policy.privacyBudget = nil
            config.policy.maxQueriesPerMinute = 100_000
            config.gossip.probeIntervalMilliseconds = 200
            config.gossip.pingTimeoutMilliseconds = 100
            config.gossip.pushPullIntervalMilliseconds = 2000
            try config.yaml().write(toFile: mesh.config(node), atomically: true, encoding: .utf8)
        }
        for id in ["alice", "bob"] {
            _ = try run(["ca", "issue-researcher", "--dir", ca, "--id", id, "--out", mesh.directory.file("researcher-\(id)")])
        }
        for node in ["probe", "intruder"] {
            _ = try run(["ca", "issue-node", "--dir", ca, "--node-id", node, "--host", "127.0.0.1", "--out", mesh.directory.file(node)])
        }
        for node in nodes { try mesh.start(node) }
        let formed = await mesh.wait(for: nodes, timeout: .seconds(30)) { status in
            nodes.allSatisfy { MeshFormationTests.state(status, of: $0) == "alive" } && Set(status.catalogues.map(\.nodeID)) == Set(nodes)
        }
        guard formed != nil else {
            throw TestSupportError("the mesh did not form: \(nodes.map { mesh.status($0)?.members.map { "\($0.nodeID)=\($0.status)" } ?? [] })")
        }

        // The probe: a member like any node, without a catalogue, so no researcher
        // query ever targets it.
        let probe = try NodeID("probe")
        let probeCredential = try Credential.load(directory: mesh.directory.file("probe"))
        let intruderCredential = try Credential.load(directory: mesh.directory.file("intruder"))
        var logger = Logger(label: "oncomesh.test.probe")
        logger.logLevel = .critical
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let transport = try MeshTransport(credential: probeCredential, eventLoop: group.next(), logger: logger)
        let probePort = allPorts[nodes.count]
        _ = try await transport.listen(host: "127.0.0.1", port: probePort)
        var system = SystemRandomNumberGenerator()
        let instance = SWIMInstance(localNode: probe, localAddress: "127.0.0.1:\(probePort)", settings: probeSettings, seed: system.next(), now: .zero)
        let membership = MembershipShell(instance: instance, link: transport, clock: SystemMeshClock(), logger: logger) { _ in }
        let pump = Task {
            for await message in transport.messages {
                switch (message.envelope.kind, message.from) {
                case (.membership, .node(let node)):
                    await membership.receive(message.envelope, from: node)
                default:
                    // Catalogue pulls and anything else: answered `unsupportedKind` so
                    // that no node waits for its deadline.
                    await transport.answerEcho(message)
                }
            }
        }
        for node in nodes {
            await transport.setAddress(PeerAddress(host: "127.0.0.1", port: ports[node]!), for: try NodeID(node))
        }
        let fixture = QueryWireFixture(
            mesh: mesh, ports: ports, probe: probe, probeCredential: probeCredential, intruderCredential: intruderCredential,
            probeGroup: group, probeTransport: transport, probeMembership: membership, probePump: pump
        )
        await membership.start(seeds: [PeerAddress(host: "127.0.0.1", port: allPorts[0])])
        let joined = await mesh.wait(for: nodes, timeout: .seconds(10)) { MeshFormationTests.state($0, of: "probe") == "alive" }
        let probeSees = await fixture.waitForProbe(timeout: .seconds(5)) { live in Set(live.map(\.rawValue)).isSuperset(of: nodes) }
        guard joined != nil, probeSees else {
            await fixture.stop()
            throw TestSupportError(
                "the probe did not join: nodes see \(nodes.map { mesh.status($0).flatMap { MeshFormationTests.state($0, of: "probe") } ?? "nothing" }), the probe sees \(await membership.livePeers)"
            )
        }
        print("query wire input: 3 nodes formed and the probe joined after \(ContinuousClock.now - started)")
        return fixture
    }

    func waitForProbe(timeout: Duration, _ condition: ([NodeID]) -> Bool) async -> Bool {
        let start = ContinuousClock.now
        while ContinuousClock.now - start < timeout {
            if condition(await probeMembership.livePeers) { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    func stop() async {
        await probeMembership.leave()
        probePump.cancel()
        await probeTransport.shutdown()
        try? await probeGroup.shutdownGracefully()
        mesh.stopAll()
    }

    /// A transport with another credential (a researcher's, or the intruder's), connected
    /// to `node`; shut down when `body` returns.
    func withTransport<T>(
        _ credential: Credential,
        connectedTo node: String,
        _ body: (MeshTransport, NodeID) async throws -> T
    ) async throws -> T {
        var logger = Logger(label: "oncomesh.test.client")
        logger.logLevel = .critical
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let transport = try MeshTransport(credential: credential, eventLoop: group.next(), logger: logger)
        do {
            guard case .node(let nodeID) = try await transport.connect(to: address(node)) else {
                throw TestSupportError("\(node) did not present a node certificate")
            }
            let value = try await body(transport, nodeID)
            await transport.shutdown()
            try? await group.shutdownGracefully()
            return value
        } catch {
            await transport.shutdown()
            try? await group.shutdownGracefully()
            throw error
        }
    }

    func researcher(_ id: String) throws -> Credential {
        try Credential.load(directory: researcherDirectory(id))
    }

    /// Submits `body` as a researcher's query to `node` and returns the answer.
    func submit(_ body: [UInt8], as researcher: String = "alice", to node: String = "node-0") async throws -> WireReply {
        try await withTransport(try self.researcher(researcher), connectedTo: node) { transport, nodeID in
            var request = Envelope()
            request.kind = .querySubmit
            request.body = Data(body)
            return try await WireReply.request(request, to: nodeID, via: transport)
        }
    }

    func submit(sql: String, as researcher: String = "alice", to node: String = "node-0") async throws -> WireReply {
        var random = SystemRandomNumberGenerator()
        let signed = try QuerySubmission(sql: sql, timeoutMilliseconds: 5_000)
            .signed(for: try NodeID(node), by: try self.researcher(researcher), nowMilliseconds: UnixMilliseconds.now(), random: &random)
        return try await submit(signed.encoded(), as: researcher, to: node)
    }

    /// `meshnode query` as a researcher runs it.
    func queryCommand(_ sql: String, as researcher: String, node: String, json: Bool = false) throws -> ProcessResult {
        var arguments = [
            "query", "--node", address(node).description, "--identity", researcherDirectory(researcher), "--ca", researcherDirectory(researcher) + "/ca.crt",
            "--timeout", "5",
        ]
        if json { arguments += ["--format", "json"] }
        return try ProcessRunner.run(CACommandTests.meshnode, arguments + [sql])
    }

    /// Whether every node process is still running and still writing its status file.
    func allNodesRunning() -> [String: Bool] {
        Dictionary(
            uniqueKeysWithValues: Self.nodes.map { node in
                guard let status = mesh.status(node) else { return (node, false) }
                return (node, kill(status.processID, 0) == 0 && Date().timeIntervalSince(status.updatedAt) < 5)
            }
        )
    }
}
