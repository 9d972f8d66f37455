import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import MeshNode

/// The console's API in process, through Hummingbird's router test client, over a scripted
/// mesh: the catalogue union, queries with their events and result, problems as
/// problem+json, the bounds, and the bearer token beyond loopback.
@Suite struct ConsoleAPITests {
    static let session = ConsoleSession(researcher: "alice", node: "127.0.0.1:7400", identityDirectory: "alice", caPath: "alice/ca.crt")

    func app(mesh: ScriptedConsoleMesh = ScriptedConsoleMesh(), settings: ConsoleSettings = ConsoleSettings(), token: String? = nil) throws -> some ApplicationProtocol {
        let api = ConsoleAPI(mesh: mesh, session: Self.session, page: try ConsolePage.load(), settings: settings, bearerToken: token)
        return Application(router: api.router())
    }

    static func json(_ buffer: ByteBuffer) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any])
    }

    static func submit(_ sql: String, _ client: some TestClientProtocol) async throws -> TestResponse {
        try await client.execute(uri: "/v1/queries", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(bytes: try JSONEncoder().encode(["sql": sql])))
    }

    @Test func theCatalogueIsTheUnionWithTheProvidersOfEachCode() async throws {
        try await app().test(.router) { client in
            let response = try await client.execute(uri: "/v1/catalogue", method: .get)
            #expect(response.status == .ok)
            let catalogue = try ConsoleJSON.decode(ConsoleCatalogue.self, from: Data(response.body.readableBytesView))
            let modality = try #require(catalogue.attributes.first { $0.name == "modality" })
            #expect(modality.type == "categorical")
            #expect(modality.codes?.first { $0.code == "MR" }?.providers.sorted() == ["children", "origin", "prostate"])
            #expect(modality.codes?.first { $0.code == "PT" }?.providers == ["prostate"])
            let age = try #require(catalogue.attributes.first { $0.name == "age_at_diagnosis" })
            #expect(age.type == "numeric" && age.ranges?.count == 3 && age.range != nil)
            #expect(catalogue.providers.map(\.nodeID) == ["children", "origin", "prostate"])
            #expect(catalogue.providers.first { $0.nodeID == "children" }?.policy.answersYou == false)
            #expect(catalogue.providers.first { $0.nodeID == "origin" }?.policy.answersYou == true)
        }
    }

    @Test func aQueryWithAnUnknownNameIsAProblemWithItsPositionAndSuggestion() async throws {
        try await app().test(.router) { client in
            let response = try await Self.submit("SELECT COUNT(*) FROM cases\nGROUP BY modaliti", client)
            #expect(response.status == .badRequest)
            #expect(response.headers[.contentType] == "application/problem+json")
            let problem = try JSONDecoder().decode(ConsoleProblem.self, from: Data(response.body.readableBytesView))
            #expect(problem.type == "urn:oncomesh:problem:query-text")
            #expect(problem.statusCode == 400)
            #expect(problem.line == 2 && problem.column == 10)
            #expect(problem.suggestion == "modality")
            #expect(problem.detail.contains("unknown attribute 'modaliti'"))
        }
    }

    @Test func aBodyThatIsNotASubmissionIsAProblem() async throws {
        try await app().test(.router) { client in
            let response = try await client.execute(uri: "/v1/queries", method: .post, body: ByteBuffer(string: "SELECT 1"))
            #expect(response.status == .badRequest)
            #expect(response.headers[.contentType] == "application/problem+json")
            let missing = try await client.execute(uri: "/v1/queries/0123", method: .get)
            #expect(missing.status == .notFound)
            #expect(missing.headers[.contentType] == "application/problem+json")
            let unknownPath = try await client.execute(uri: "/v1/nothing", method: .get)
            #expect(unknownPath.status == .notFound)
            #expect(unknownPath.headers[.contentType] == "application/problem+json")
        }
    }

    @Test func aQueryIsPlannedAnsweredAndStreamedAsEvents() async throws {
        try await app().test(.router) { client in
            let accepted = try await Self.submit("SELECT COUNT(DISTINCT subject) FROM cases WHERE diagnosis = 'C61' GROUP BY modality", client)
            #expect(accepted.status == .accepted)
            let id = try #require(try Self.json(accepted.body)["id"] as? String)
            #expect(accepted.headers[.location] == "/v1/queries/\(id)")
            let events = try await client.execute(uri: "/v1/queries/\(id)/events", method: .get)
            #expect(events.headers[.contentType] == "text/event-stream")
            let text = String(buffer: events.body)
            let names = text.split(separator: "\n").filter { $0.hasPrefix("event: ") }.map { $0.dropFirst(7) }
            #expect(names == ["planned", "provider", "provider", "provider", "result", "done"])
            // Planned as the origin plans: children holds no C61 and is pruned.
            #expect(text.contains(#""pruned":{"children":"#))
            #expect(text.contains(#"{"node_id":"prostate","outcome":"timed_out"}"#))
            let state = try await client.execute(uri: "/v1/queries/\(id)", method: .get)
            let query = try ConsoleJSON.decode(ConsoleQueryState.self, from: Data(state.body.readableBytesView))
            #expect(query.state == .answered)
            let result = try #require(query.result)
            #expect(result.suppressed == [[false, false], [false, true]])
            #expect(result.rows[1][1] == .text("<5"))
            #expect(result.perturbed && result.perturbationNote != nil)
            #expect(result.coverage.timedOut == ["prostate"])
        }
    }

    @Test func aRunningQueryIsPendingAndTheOldestFinishedIsForgotten() async throws {
        var settings = ConsoleSettings()
        settings.queriesKeptMax = 2
        var mesh = ScriptedConsoleMesh()
        mesh.askDelaySeconds = 0.3
        try await app(mesh: mesh, settings: settings).test(.router) { client in
            var ids: [String] = []
            for _ in 0..<3 {
                let accepted = try await Self.submit("SELECT COUNT(*) FROM cases GROUP BY sex", client)
                let id = try #require(try Self.json(accepted.body)["id"] as? String)
                let pending = try await client.execute(uri: "/v1/queries/\(id)", method: .get)
                #expect(try Self.json(pending.body)["state"] as? String == "running")
                _ = try await client.execute(uri: "/v1/queries/\(id)/events", method: .get)  // ends after done
                ids.append(id)
            }
            #expect(try await client.execute(uri: "/v1/queries/\(ids[0])", method: .get).status == .notFound)
            #expect(try await client.execute(uri: "/v1/queries/\(ids[2])", method: .get).status == .ok)
        }
    }

    @Test func queriesBeyondTheConcurrencyBoundAreRefusedWith429() async throws {
        var settings = ConsoleSettings()
        settings.concurrentQueriesMax = 1
        var mesh = ScriptedConsoleMesh()
        mesh.askDelaySeconds = 1
        try await app(mesh: mesh, settings: settings).test(.router) { client in
            #expect(try await Self.submit("SELECT COUNT(*) FROM cases", client).status == .accepted)
            let refused = try await Self.submit("SELECT COUNT(*) FROM cases", client)
            #expect(refused.status == .tooManyRequests)
            #expect(refused.headers[.retryAfter] != nil)
        }
    }

    @Test func withATokenEveryAPIRequestNeedsIt() async throws {
        let token = "s3cret-token-of-the-console"
        try await app(token: token).test(.router) { client in
            let bare = try await client.execute(uri: "/v1/catalogue", method: .get)
            #expect(bare.status == .unauthorized)
            #expect(bare.headers[.contentType] == "application/problem+json")
            #expect(bare.headers[.wwwAuthenticate] != nil)
            let wrong = try await client.execute(uri: "/v1/catalogue", method: .get, headers: [.authorization: "Bearer s3cret-token-of-the-consolX"])
            #expect(wrong.status == .unauthorized)
            #expect(try await client.execute(uri: "/v1/openapi.yaml", method: .get).status == .unauthorized)
            let right = try await client.execute(uri: "/v1/catalogue", method: .get, headers: [.authorization: "Bearer \(token)"])
            #expect(right.status == .ok)
            // The page itself holds no data; it asks for the token.
            #expect(try await client.execute(uri: "/", method: .get).status == .ok)
        }
    }

    @Test func listeningBeyondLoopbackNeedsATokenFile() throws {
        let common = ["--node", "127.0.0.1:7400", "--identity", "alice", "--ca", "alice/ca.crt"]
        #expect(throws: (any Error).self) { try ConsoleCommand.parse(common + ["--listen", "0.0.0.0:8080"]) }
        #expect(throws: (any Error).self) { try ConsoleCommand.parse(common + ["--listen", "192.0.2.7:8080"]) }
        _ = try ConsoleCommand.parse(common + ["--listen", "0.0.0.0:8080", "--token-file", "token"])
        _ = try ConsoleCommand.parse(common + ["--listen", "127.0.0.1:0"])
        _ = try ConsoleCommand.parse(common + ["--listen", "[::1]:8080"])
        #expect(BearerTokenMiddleware<BasicRequestContext>.constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(!BearerTokenMiddleware<BasicRequestContext>.constantTimeEqual([1, 2, 3], [1, 2, 4]))
        #expect(!BearerTokenMiddleware<BasicRequestContext>.constantTimeEqual([1, 2], [1, 2, 3]))
    }

    @Test func thePageAndTheAPIDocumentAreServed() async throws {
        try await app().test(.router) { client in
            let page = try await client.execute(uri: "/", method: .get)
            #expect(page.status == .ok)
            #expect(String(buffer: page.body).contains("OncoMesh console"))
            let document = try await client.execute(uri: "/v1/openapi.yaml", method: .get)
            #expect(String(buffer: document.body).hasPrefix("openapi: 3.1"))
            let members = try await client.execute(uri: "/v1/members", method: .get)
            #expect((try Self.json(members.body)["members"] as? [Any])?.count == 3)
        }
    }
}
