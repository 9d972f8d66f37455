import Foundation
import MeshCore
import QueryPlanner

/// The queries one console holds: each with its state, its events and the streams that
/// follow them. Bounded in every direction (``ConsoleSettings``): queries kept, queries
/// running, event streams per query; a query that would pass a bound is refused with a
/// problem, never queued without end.
actor ConsoleQueries {
    private struct Record {
        var state: ConsoleQueryState
        var events: [ConsoleEvent] = []
        var subscribers: [Int: AsyncStream<ConsoleEvent>.Continuation] = [:]
        var finished: Bool { state.state != .running }
    }

    /// The most events one query has: planned, one per provider, result or failed, done.
    /// A stream buffers this many, so a slow reader loses none.
    static let streamBufferEventsMax = 4 + MeshView.catalogueCountMax

    private let mesh: any ConsoleMesh
    private let settings: ConsoleSettings
    /// Ids in order of submission, for evicting the oldest finished query.
    private var order: [String] = []
    private var records: [String: Record] = [:]
    private var running = 0
    private var nextSubscriber = 0

    init(mesh: any ConsoleMesh, settings: ConsoleSettings) {
        self.mesh = mesh
        self.settings = settings
    }

    /// Plans `submission` against the node's catalogues and, when it plans, sends it to the
    /// mesh in the background; returns the query's id.
    ///
    /// - Throws: ``ConsoleProblem``: 400 for a query the origin would not plan (with the
    ///   parser's position), 429 at the bound of running or kept queries, 502 when the
    ///   node gives no view.
    func submit(_ submission: QuerySubmission) async throws(ConsoleProblem) -> String {
        guard running < settings.concurrentQueriesMax else {
            throw ConsoleProblem(
                "too-many-queries", status: .tooManyRequests, title: "Too many queries at once",
                detail: "\(settings.concurrentQueriesMax) queries are running; wait for one to finish", retryAfterSeconds: 2
            )
        }
        running += 1
        let snapshot: ConsoleMeshSnapshot
        do {
            snapshot = try await mesh.view()
        } catch {
            running -= 1
            throw .meshUnreachable("\(error)")
        }
        let plan: ConsolePlan
        do {
            plan = try ConsolePlan(submission, researcher: mesh.researcher, snapshot: snapshot)
        } catch {
            running -= 1
            throw ConsoleProblem(planning: error)
        }
        guard makeRoom() else {
            running -= 1
            throw ConsoleProblem(
                "too-many-queries", status: .tooManyRequests, title: "Too many queries kept",
                detail: "all \(settings.queriesKeptMax) queries kept are still running", retryAfterSeconds: 2
            )
        }
        let id = Self.newID()
        records[id] = Record(state: ConsoleQueryState(id: id, sql: submission.sql, state: .running, submittedAt: Date(), planned: plan))
        order.append(id)
        append(.planned, plan, to: id)
        let mesh = self.mesh
        Task {
            do {
                let result = try await mesh.ask(submission)
                self.finish(id, with: .success(ConsoleResult(result)))
            } catch {
                self.finish(id, with: .failure(ConsoleProblem("mesh-failed", status: .badGateway, title: "The mesh did not answer the query", detail: "\(error)")))
            }
        }
        return id
    }

    /// The query `id`, or nil when there is none (never submitted, or evicted).
    func state(of id: String) -> ConsoleQueryState? {
        records[id]?.state
    }

    /// The events of `id` so far and then as they come, ending after `done`; nil when there
    /// is no such query.
    ///
    /// - Throws: 429 ``ConsoleProblem`` when the query has its most streams open.
    func events(of id: String) throws(ConsoleProblem) -> AsyncStream<ConsoleEvent>? {
        guard var record = records[id] else { return nil }
        guard record.subscribers.count < settings.subscribersPerQueryMax else {
            throw ConsoleProblem(
                "too-many-streams", status: .tooManyRequests, title: "Too many event streams",
                detail: "query \(id) already has \(settings.subscribersPerQueryMax) event streams open", retryAfterSeconds: 2
            )
        }
        let (stream, continuation) = AsyncStream.makeStream(of: ConsoleEvent.self, bufferingPolicy: .bufferingOldest(Self.streamBufferEventsMax))
        for event in record.events { continuation.yield(event) }
        if record.finished {
            continuation.finish()
            return stream
        }
        let key = nextSubscriber
        nextSubscriber += 1
        record.subscribers[key] = continuation
        records[id] = record
        continuation.onTermination = { _ in
            Task { await self.unsubscribe(key, from: id) }
        }
        return stream
    }

    private func unsubscribe(_ key: Int, from id: String) {
        records[id]?.subscribers[key] = nil
    }

    private func finish(_ id: String, with outcome: Result<ConsoleResult, ConsoleProblem>) {
        running -= 1
        guard var record = records[id] else { return }
        record.state.finishedAt = Date()
        switch outcome {
        case .success(let result):
            record.state.state = .answered
            record.state.result = result
            records[id] = record
            for provider in ConsoleProviderOutcome.all(in: result.coverage) { append(.provider, provider, to: id) }
            append(.result, result, to: id)
        case .failure(let problem):
            record.state.state = .failed
            record.state.problem = problem
            records[id] = record
            append(.failed, problem, to: id)
        }
        append(.done, ["state": record.state.state.rawValue], to: id)
        if let subscribers = records[id]?.subscribers {
            for continuation in subscribers.values { continuation.finish() }
        }
        records[id]?.subscribers = [:]
    }

    private func append(_ name: ConsoleEvent.Name, _ data: some Encodable, to id: String) {
        guard var record = records[id] else { return }
        let json = (try? ConsoleJSON.encode(data)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        let event = ConsoleEvent(sequence: record.events.count + 1, name: name, data: json)
        record.events.append(event)
        records[id] = record
        for continuation in record.subscribers.values { continuation.yield(event) }
    }

    /// Evicts the oldest finished queries until one more fits; false when every kept query
    /// is still running.
    private func makeRoom() -> Bool {
        while order.count >= settings.queriesKeptMax {
            guard let index = order.firstIndex(where: { records[$0]?.finished ?? true }) else { return false }
            records[order[index]] = nil
            order.remove(at: index)
        }
        return true
    }

    /// 128 random bits in hex: not guessable, so one researcher's console does not hand out
    /// ids another client could walk.
    private static func newID() -> String {
        var random = SystemRandomNumberGenerator()
        return (0..<2).map { _ in String(random.next() as UInt64, radix: 16).leftPadded(to: 16) }.joined()
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
