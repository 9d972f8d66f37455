import Foundation
import Hummingbird
import QueryPlanner

/// An error of the console's API as `application/problem+json` (RFC 9457): what went wrong
/// for a person (`title`, `detail`) and for a program (`type`, `status`), and for a query
/// text the parser's position and suggestion, so that the page can point at the spot.
struct ConsoleProblem: Error, HTTPResponseError, Codable, Equatable, Sendable {
    /// A URN per kind of problem; stable, so that clients may branch on it.
    var type: String
    var title: String
    var statusCode: Int
    var detail: String
    /// 1-based position in the query text, for problems in the text.
    var line: Int?
    var column: Int?
    /// The name the parser suggests for an unknown one ("did you mean 'modality'?").
    var suggestion: String?
    /// Seconds to wait before trying again, for 429 and 503.
    var retryAfterSeconds: Int?

    enum CodingKeys: String, CodingKey {
        case type, title, detail, line, column, suggestion
        case statusCode = "status"
        case retryAfterSeconds = "retry_after_seconds"
    }

    static let mediaType = "application/problem+json"

    init(_ type: String, status: HTTPResponse.Status, title: String, detail: String, retryAfterSeconds: Int? = nil) {
        self.type = "urn:oncomesh:problem:" + type
        self.title = title
        self.statusCode = status.code
        self.detail = detail
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// A query the origin would not plan: an error in the text with where it is, or a query
    /// no provider allows (too many cells).
    init(planning error: PlanningError) {
        if let queryError = error.queryError {
            self.init("query-text", status: .badRequest, title: "The query has an error", detail: error.message)
            line = queryError.location.line
            column = queryError.location.column
            suggestion = Self.suggestion(in: queryError.message)
        } else {
            self.init("query-not-plannable", status: .badRequest, title: "The query cannot be planned", detail: error.message)
        }
    }

    /// The name in the parser's "…; did you mean 'modality'?".
    static func suggestion(in message: String) -> String? {
        guard let marker = message.range(of: "did you mean '") else { return nil }
        let rest = message[marker.upperBound...]
        guard let end = rest.firstIndex(of: "'") else { return nil }
        return String(rest[..<end])
    }

    static func notFound(_ what: String) -> ConsoleProblem {
        ConsoleProblem("not-found", status: .notFound, title: "Not found", detail: what)
    }

    static func badRequest(_ detail: String) -> ConsoleProblem {
        ConsoleProblem("bad-request", status: .badRequest, title: "The request is not valid", detail: detail)
    }

    static func meshUnreachable(_ detail: String) -> ConsoleProblem {
        ConsoleProblem("mesh-unreachable", status: .badGateway, title: "The node did not answer", detail: detail)
    }

    var status: HTTPResponse.Status { HTTPResponse.Status(code: statusCode) }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers: HTTPFields = [.contentType: Self.mediaType]
        if let retryAfterSeconds { headers[.retryAfter] = "\(retryAfterSeconds)" }
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer realm=\"meshnode console\"" }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: try ConsoleJSON.encode(self))))
    }
}
