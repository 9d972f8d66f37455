import BenchmarkKit
import Foundation
import MeshCore
import QueryPlanner
import Transport

/// Sustained load: `researchers` concurrent researchers, each asking back to back from a
/// random origin for `seconds`, honouring busy answers' retry hints. Reports queries per
/// second, latency, refusals by reason, each node's resident memory and open descriptors
/// before and after, and whether each node's audit holds one plan record per query it
/// answered (nothing executed goes unrecorded, nothing is recorded twice).
struct LoadRun {
    let clients: [ResearcherClient]
    let workload: [(name: String, sql: String)]
    let nodeCount: Int
    let seconds: Int

    struct Outcome {
        var released = 0
        var latencies: [Double] = []
        var refusals: [String: Int] = [:]
        /// Per released query: the nodes its coverage names as answered.
        var answeredByQuery: [String: Set<NodeID>] = [:]

        func answeredIDs(of node: NodeID) -> Set<String> {
            Set(answeredByQuery.filter { $0.value.contains(node) }.keys)
        }
        var incomplete = 0
        var queryIDs: Set<String> = []

        mutating func merge(_ other: Outcome) {
            released += other.released
            latencies += other.latencies
            refusals.merge(other.refusals, uniquingKeysWith: +)
            answeredByQuery.merge(other.answeredByQuery) { first, _ in first }
            incomplete += other.incomplete
            queryIDs.formUnion(other.queryIDs)
        }
    }

    func run() async throws -> (outcome: Outcome, elapsed: Double) {
        let deadline = ContinuousClock.now + .seconds(seconds)
        let started = ContinuousClock.now
        let workload = self.workload
        let nodeCount = self.nodeCount
        let outcome = try await withThrowingTaskGroup(of: Outcome.self) { tasks in
            for (index, client) in clients.enumerated() {
                tasks.addTask {
                    var random = SeededRandom(seed: 5000 + UInt64(index))
                    var outcome = Outcome()
                    var count = 0
                    while ContinuousClock.now < deadline {
                        let sql = workload[count % workload.count].sql
                        count += 1
                        let start = ContinuousClock.now
                        let response: Envelope
                        do {
                            response = try await client.submit(sql, fanout: QuerySubmission.defaultFanout, at: Int.random(in: 0..<nodeCount, using: &random))
                        } catch {
                            outcome.refusals["transport: \(Self.reason(of: "\(error)"))", default: 0] += 1
                            continue
                        }
                        guard response.status == .ok else {
                            outcome.refusals["\(response.status): \(Self.reason(of: response.statusMessage))", default: 0] += 1
                            if response.status == .busy {
                                try? await Task.sleep(for: .milliseconds(Int64(max(1, response.retryAfterMs))))
                            }
                            continue
                        }
                        let result = try FederatedResult(decoding: Array(response.body))
                        outcome.latencies.append((ContinuousClock.now - start).fractionalMilliseconds)
                        outcome.released += 1
                        outcome.queryIDs.insert(result.queryID.description)
                        outcome.answeredByQuery[result.queryID.description] = result.coverage.answered
                        if result.coverage.answered.count + result.coverage.pruned.count != nodeCount {
                            outcome.incomplete += 1
                            for why in result.coverage.failed.values { outcome.refusals["provider \(Self.reason(of: why))", default: 0] += 1 }
                            for _ in result.coverage.timedOut { outcome.refusals["provider timed out", default: 0] += 1 }
                        }
                    }
                    return outcome
                }
            }
            return try await tasks.reduce(into: Outcome()) { $0.merge($1) }
        }
        return (outcome, (ContinuousClock.now - started).inSeconds)
    }

    /// A refusal's reason without the parts that vary per query (numbers, IDs), so that
    /// refusals group by cause.
    static func reason(of message: String) -> String {
        let words = message.split(separator: " ").prefix(8).map { word in
            word.contains(where: \.isNumber) ? "N" : String(word)
        }
        return words.joined(separator: " ")
    }
}

/// Resident memory and open descriptors of the node processes, from /proc.
struct ProcessGauge {
    let pids: [Int32]

    struct Reading {
        var residentKiB: [Int] = []
        var descriptors: [Int] = []
    }

    func read() -> Reading {
        var reading = Reading()
        for pid in pids {
            let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
            let rss = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }.flatMap { line in
                line.split(separator: " ").compactMap { Int($0) }.first
            }
            reading.residentKiB.append(rss ?? 0)
            reading.descriptors.append((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? 0)
        }
        return reading
    }
}

/// Each node's audit log, read with `meshnode audit --format json`: the plan records of the
/// given queries, per node.
struct AuditCounter {
    let meshnode: String
    let configs: [String]

    /// Per node: the ids of `queryIDs` it recorded as answered plans, and how many such
    /// records there are (more than ids if a query was recorded twice).
    func planRecords(of queryIDs: Set<String>) throws -> [(ids: Set<String>, total: Int)] {
        try configs.map { config in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: meshnode)
            process.arguments = ["audit", "--config", config, "--format", "json"]
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw BenchmarkError("meshnode audit --config \(config) failed") }
            let records = try JSONDecoder().decode([Record].self, from: data)
            let matching = records.filter { $0.kind != "submission" && queryIDs.contains($0.query_id) && $0.outcome == "answered" }
            return (Set(matching.map(\.query_id)), matching.count)
        }
    }

    private struct Record: Decodable {
        let query_id: String
        let outcome: String
        let kind: String?
    }
}
