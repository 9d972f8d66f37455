import Foundation
import Hummingbird
import QueryPlanner

/// The console's HTTP surface (Sources/MeshNode/Console/Page/openapi.yaml): the page, the
/// API document, and the API over one node as one researcher.
struct ConsoleAPI: Sendable {
    /// The body of `POST /v1/queries`.
    struct Submission: Codable, Sendable {
        var sql: String
        /// Seconds the federation has to answer (default 10).
        var timeoutSeconds: Double?

        enum CodingKeys: String, CodingKey {
            case sql
            case timeoutSeconds = "timeout_seconds"
        }
    }

    /// The answer of `POST /v1/queries`.
    struct Accepted: Codable, Sendable {
        var id: String
        var events: String
        var state: String
    }

    let mesh: any ConsoleMesh
    let session: ConsoleSession
    let queries: ConsoleQueries
    let page: ConsolePage
    let settings: ConsoleSettings
    /// Set when the console listens beyond loopback: every API request must carry it.
    let bearerToken: String?

    init(mesh: any ConsoleMesh, session: ConsoleSession, page: ConsolePage, settings: ConsoleSettings = ConsoleSettings(), bearerToken: String? = nil) {
        self.mesh = mesh
        self.session = session
        self.queries = ConsoleQueries(mesh: mesh, settings: settings)
        self.page = page
        self.settings = settings
        self.bearerToken = bearerToken
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        // Middleware first: Hummingbird applies it to the routes added after it.
        router.add(middleware: ProblemMiddleware())
        if let bearerToken {
            router.add(middleware: BearerTokenMiddleware(token: bearerToken, publicPaths: Set(["/", "/console.js", "/console.css"])))
        }
        for entry in ConsolePage.served {
            let page = self.page
            router.get(RouterPath(entry.path)) { _, _ in
                guard let response = page.response(for: entry.path) else { throw ConsoleProblem.notFound(entry.path) }
                return response
            }
        }
        router.get("/v1/session") { _, _ in
            try ConsoleJSON.response(self.session)
        }
        router.get("/v1/catalogue") { _, _ in
            let snapshot = try await self.snapshot()
            return try ConsoleJSON.response(ConsoleCatalogue(snapshot, researcher: self.mesh.researcher))
        }
        router.get("/v1/members") { _, _ in
            try ConsoleJSON.response(ConsoleMembers(try await self.snapshot()))
        }
        router.post("/v1/queries") { request, _ in
            let submission = try await self.submission(from: request)
            let id = try await self.queries.submit(submission)
            var response = try ConsoleJSON.response(Accepted(id: id, events: "/v1/queries/\(id)/events", state: "running"), status: .accepted)
            response.headers[.location] = "/v1/queries/\(id)"
            return response
        }
        router.get("/v1/queries/:id") { _, context in
            let id = try context.parameters.require("id")
            guard let state = await self.queries.state(of: id) else { throw ConsoleProblem.notFound("no query \(id) (never submitted here, or forgotten)") }
            return try ConsoleJSON.response(state)
        }
        router.get("/v1/queries/:id/events") { _, context in
            let id = try context.parameters.require("id")
            guard let stream = try await self.queries.events(of: id) else {
                throw ConsoleProblem.notFound("no query \(id) (never submitted here, or forgotten)")
            }
            return Response(
                status: .ok,
                headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
                body: ResponseBody { writer in
                    for await event in stream {
                        try await writer.write(ByteBuffer(string: event.streamText))
                    }
                    try await writer.finish(nil)
                }
            )
        }
        return router
    }

    private func snapshot() async throws -> ConsoleMeshSnapshot {
        do {
            return try await mesh.view()
        } catch {
            throw ConsoleProblem.meshUnreachable("\(error)")
        }
    }

    /// The query of a `POST /v1/queries` body, checked before anything is planned.
    private func submission(from request: Request) async throws -> QuerySubmission {
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: settings.requestBodyBytesMax)
        } catch {
            throw ConsoleProblem(
                "body-too-large", status: .contentTooLarge, title: "The request body is too large",
                detail: "a query body may have at most \(settings.requestBodyBytesMax) bytes"
            )
        }
        let decoded: Submission
        do {
            decoded = try JSONDecoder().decode(Submission.self, from: Data(body.readableBytesView))
        } catch {
            throw ConsoleProblem.badRequest("the body must be JSON {\"sql\": \"SELECT …\"} (optionally \"timeout_seconds\"): \(error)")
        }
        guard !decoded.sql.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw ConsoleProblem.badRequest("sql is empty; write a query such as SELECT COUNT(*) FROM cases GROUP BY modality")
        }
        let minimum = Double(QuerySubmission.timeoutMinMilliseconds) / 1000
        let maximum = Double(QuerySubmission.timeoutMaxMilliseconds) / 1000
        let timeoutSeconds = decoded.timeoutSeconds ?? Double(QuerySubmission.defaultTimeoutMilliseconds) / 1000
        guard timeoutSeconds.isFinite, timeoutSeconds >= minimum, timeoutSeconds <= maximum else {
            throw ConsoleProblem.badRequest("timeout_seconds must be from \(minimum) to \(maximum); got \(timeoutSeconds)")
        }
        return QuerySubmission(sql: decoded.sql, timeoutMilliseconds: Int64(timeoutSeconds * 1000))
    }
}
