/// One server-sent event of a query (`GET /v1/queries/{id}/events`): `planned` once the
/// console has planned the query against the node's catalogues, `provider` for each
/// provider's outcome once known, then `result` or `failed`, and `done` last.
struct ConsoleEvent: Sendable, Equatable {
    enum Name: String, Sendable {
        case planned, provider, result, failed, done
    }

    /// 1, 2, … within the query; sent as the event's id.
    var sequence: Int
    var name: Name
    /// One line of JSON.
    var data: String

    /// The event as `text/event-stream` lines.
    var streamText: String {
        "id: \(sequence)\nevent: \(name.rawValue)\ndata: \(data)\n\n"
    }
}

/// The data of a `provider` event: one provider's outcome as the result's coverage names it.
struct ConsoleProviderOutcome: Codable, Equatable, Sendable {
    var nodeID: String
    /// answered, pruned, refused, timed_out or failed.
    var outcome: String
    var reason: String?

    enum CodingKeys: String, CodingKey {
        case outcome, reason
        case nodeID = "node_id"
    }

    /// Every node the coverage names, in node order within each outcome.
    static func all(in coverage: ConsoleResult.Coverage) -> [ConsoleProviderOutcome] {
        coverage.answered.map { ConsoleProviderOutcome(nodeID: $0, outcome: "answered") }
            + coverage.pruned.sorted { $0.key < $1.key }.map { ConsoleProviderOutcome(nodeID: $0.key, outcome: "pruned", reason: $0.value) }
            + coverage.refused.sorted { $0.key < $1.key }.map { ConsoleProviderOutcome(nodeID: $0.key, outcome: "refused", reason: $0.value) }
            + coverage.timedOut.map { ConsoleProviderOutcome(nodeID: $0, outcome: "timed_out") }
            + coverage.failed.sorted { $0.key < $1.key }.map { ConsoleProviderOutcome(nodeID: $0.key, outcome: "failed", reason: $0.value) }
    }
}
