import Foundation

/// `GET /v1/queries/{id}`: a query as the console holds it: running (with its plan), or
/// finished with the result and its coverage, or failed with the problem.
struct ConsoleQueryState: Codable, Equatable, Sendable {
    enum State: String, Codable, Sendable {
        case running, answered, failed
    }

    var id: String
    var sql: String
    var state: State
    var submittedAt: Date
    var finishedAt: Date?
    var planned: ConsolePlan?
    var result: ConsoleResult?
    var problem: ConsoleProblem?

    enum CodingKeys: String, CodingKey {
        case id, sql, state, planned, result, problem
        case submittedAt = "submitted_at"
        case finishedAt = "finished_at"
    }
}
