import Hummingbird

/// Turns every error of a request into `application/problem+json`: a ``ConsoleProblem`` as
/// it is, the router's own errors (unknown path, wrong method, body too large) with their
/// status, anything else as 500 without internals. Outermost, so that the token check's
/// 401 gets the same shape.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as ConsoleProblem {
            return try problem.response(from: request, context: context)
        } catch let error as HTTPResponseError {
            let detail = (error as? HTTPError)?.body ?? "\(error.status.reasonPhrase) \(request.method) \(request.uri.path)"
            let problem = ConsoleProblem(
                error.status == .notFound ? "not-found" : "http", status: error.status, title: error.status.reasonPhrase, detail: detail
            )
            return try problem.response(from: request, context: context)
        } catch {
            context.logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            let problem = ConsoleProblem("internal", status: .internalServerError, title: "Internal error", detail: "the console could not answer this request")
            return try problem.response(from: request, context: context)
        }
    }
}
