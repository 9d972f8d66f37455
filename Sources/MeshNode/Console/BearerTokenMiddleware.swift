import Crypto
import Foundation
import Hummingbird

/// Lets through only requests that carry `Authorization: Bearer <token>`; the console puts
/// it in front of its API when it listens beyond loopback (`--token-file`). The page's own
/// files (HTML, script, style) hold no data and pass without it: a browser cannot send a
/// header when it opens a page, so the page asks for the token and sends it on every API
/// request.
struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    /// SHA-256 of the token; requests are compared digest to digest, in constant time, so
    /// that neither the token's length nor its prefix can be timed.
    private let tokenDigest: [UInt8]
    /// Paths served without the token.
    private let publicPaths: Set<String>

    init(token: String, publicPaths: Set<String>) {
        tokenDigest = Array(SHA256.hash(data: Array(token.utf8)))
        self.publicPaths = publicPaths
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if publicPaths.contains(request.uri.path) { return try await next(request, context) }
        guard let header = request.headers[.authorization], header.count > 7, header.prefix(7).lowercased() == "bearer " else {
            throw Self.unauthorized("this console needs `Authorization: Bearer <token>` with the token of its --token-file")
        }
        let presented = Array(SHA256.hash(data: Array(header.dropFirst(7).utf8)))
        guard Self.constantTimeEqual(presented, tokenDigest) else {
            throw Self.unauthorized("the bearer token is not this console's")
        }
        return try await next(request, context)
    }

    /// Whether `a` and `b` are equal, looking at every byte whatever the first difference.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }

    private static func unauthorized(_ detail: String) -> ConsoleProblem {
        ConsoleProblem("unauthorized", status: .unauthorized, title: "A bearer token is needed", detail: detail)
    }
}
