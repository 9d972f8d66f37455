import ArgumentParser
import BenchmarkKit
import Foundation
import Logging
import MeshCore
import NIOPosix
import QueryPlanner
import Transport

/// Federated query latency and throughput over a running mesh of real `meshnode` processes
/// (started by scripts/query-benchmark.sh): a researcher connects to every node over
/// mutual TLS and asks each query from a node drawn at random, for each fanout in turn;
/// then several researchers ask at once and the completed queries per second are counted.
///
/// Each latency run is made twice when `--modes` says so: with secure aggregation (the
/// default: masked vectors, then the unmasking round) and with the plaintext tree, on the
/// same mesh; the nodes' status files give the frames and bytes each node moved per query.
///
/// Every answer is checked: complete coverage (every node answered or was pruned) and the
/// same released rows as the first answer to the same query, so a fast wrong answer cannot
/// pass as a result.
@main
struct QueryBenchmarkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "QueryBenchmark",
        abstract: "Latency and throughput of federated queries over a running mesh."
    )

    @Option(help: "Comma-separated HOST:PORT of the mesh's nodes.")
    var nodes: String

    @Option(help: "Directory with researcher.crt and researcher.key.")
    var identity: String

    @Option(help: "The federation CA certificate.")
    var ca: String

    @Option(help: "Queries per (query, fanout) pair.")
    var queries: Int = 200

    @Option(help: "Comma-separated fanouts to compare.")
    var fanouts: String = "30,8,4"

    @Option(help: "Concurrent researchers in the throughput run.")
    var researchers: Int = 10

    @Option(help: "Seconds of the throughput run.")
    var throughputSeconds: Int = 20

    @Option(help: "Seed of the random choice of origins.")
    var seed: UInt64 = 1

    @Option(help: "Comma-separated modes to compare: masked (secure aggregation) and plaintext (the nodes must allow plaintext partials).")
    var modes: String = "masked"

    @Option(help: "Comma-separated status.json files of the nodes, for traffic per query.")
    var statusFiles: String = ""

    @Option(help: "Comma-separated researcher counts: run only the sustained-load phases, one per count.")
    var loadResearchers: String = ""

    @Option(help: "Seconds of each sustained-load phase.")
    var loadSeconds: Int = 120

    @Option(help: "Comma-separated PIDs of the node processes, for memory and descriptors.")
    var pids: String = ""

    @Option(help: "Comma-separated node.yaml files, for the audit check.")
    var configs: String = ""

    @Option(help: "The meshnode executable, for the audit check.")
    var meshnode: String = ""

    @Option(help: "Comma-separated researcher identity directories for the load phases: researcher i asks as identity i (modulo their number); --identity when empty.")
    var loadIdentities: String = ""

    static let workload: [(name: String, sql: String)] = [
        ("COUNT(DISTINCT subject) GROUP BY modality", "SELECT COUNT(DISTINCT subject) FROM cases GROUP BY modality"),
        ("HISTOGRAM(age_at_diagnosis, 0, 100, 10)", "SELECT HISTOGRAM(age_at_diagnosis, 0, 100, 10) FROM cases"),
    ]

    func run() async throws {
        let addresses = try nodes.split(separator: ",").map { try PeerAddress(parsing: String($0)) }
        let fanoutList = fanouts.split(separator: ",").compactMap { Int($0) }
        let names = Credential.fileNames(for: .researcher)
        let credential = try Credential.load(certificatePath: identity + "/" + names.certificate, keyPath: identity + "/" + names.key, caPath: ca)
        let logger = {
            var logger = Logger(label: "oncomesh.query-benchmark")
            logger.logLevel = .critical
            return logger
        }()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var random = SeededRandom(seed: seed)

        if !loadResearchers.isEmpty {
            try await runLoad(addresses: addresses, credential: credential, group: group, logger: logger)
            try await group.shutdownGracefully()
            return
        }
        let client = try await ResearcherClient(credential: credential, addresses: addresses, eventLoop: group.next(), logger: logger)
        var reference: [String: FederatedResult] = [:]
        let modeList = modes.split(separator: ",").map(String.init)
        guard !modeList.isEmpty, modeList.allSatisfy({ $0 == "masked" || $0 == "plaintext" }) else {
            throw ValidationError("--modes takes masked and/or plaintext; got '\(modes)'")
        }
        let traffic = TrafficMeter(statusFiles: statusFiles.split(separator: ",").map(String.init))
        // Gossip and anti-entropy keep flowing; their rate while idle is taken off.
        let idle = try await traffic.idleRate(seconds: 5)
        var table = MarkdownTable(
            headers: ["mode", "query", "fanout", "queries", "p50 ms", "p99 ms", "max ms"], alignments: [.left, .left, .right, .right, .right, .right, .right]
        )
        var trafficTable = MarkdownTable(
            headers: ["mode", "queries", "bytes/node/query (mean)", "bytes/node/query (max node)", "frames/node/query (mean)", "frames/node/query (max node)"],
            alignments: [.left, .right, .right, .right, .right, .right]
        )
        var medians: [String: [Double]] = [:]
        for mode in modeList {
            let plaintext = mode == "plaintext"
            var asked = 0
            let before = try await traffic.read()
            let started = ContinuousClock.now
            for (name, sql) in Self.workload {
                for fanout in fanoutList {
                    var samples: [Double] = []
                    // Warm-up: connections to every node along the tree are open after it.
                    for _ in 0..<10 {
                        _ = try await client.ask(sql, fanout: fanout, at: Int.random(in: 0..<addresses.count, using: &random), plaintextTree: plaintext)
                    }
                    asked += 10
                    for index in 0..<queries {
                        let origin = Int.random(in: 0..<addresses.count, using: &random)
                        let start = ContinuousClock.now
                        let result = try await client.ask(sql, fanout: fanout, at: origin, plaintextTree: plaintext)
                        samples.append((ContinuousClock.now - start).fractionalMilliseconds)
                        try Self.check(result, against: &reference[sql], nodeCount: addresses.count, context: "\(mode), \(name), fanout \(fanout), query \(index)")
                    }
                    asked += queries
                    let summary = SampleSummary(samples)
                    medians[mode, default: []].append(summary.median)
                    table.append([mode, name, "\(fanout)", "\(samples.count)", Self.format(summary.median), Self.format(summary.percentile(0.99)), Self.format(summary.maximum)])
                    FileHandle.standardError.write(Data("\(mode) \(name) fanout \(fanout): p50 \(Self.format(summary.median)) ms, p99 \(Self.format(summary.percentile(0.99))) ms\n".utf8))
                }
            }
            let seconds = (ContinuousClock.now - started).inSeconds
            if let usage = try await traffic.perQuery(since: before, queries: asked, seconds: seconds, idle: idle) {
                trafficTable.append([
                    mode, "\(asked)", Self.format(usage.meanBytes), Self.format(usage.maxBytes), Self.format(usage.meanFrames), Self.format(usage.maxFrames),
                ])
            }
        }
        print("## Latency (\(addresses.count) nodes, one researcher, origins drawn at random)\n")
        print(table.rendered)
        if let masked = medians["masked"], let plain = medians["plaintext"], masked.count == plain.count {
            let ratios = zip(masked, plain).map { $0 / $1 }
            print("\nmasked / plaintext p50, per (query, fanout): " + ratios.map { String(format: "%.2f", $0) }.joined(separator: ", "))
        }
        if traffic.isEnabled {
            print("\n## Traffic per node and query (frames after LZ4, before TLS; idle gossip rate taken off)\n")
            print(trafficTable.rendered)
        }

        // Throughput: `researchers` clients, each with its own connections, asking back to
        // back for a fixed time with the default fanout.
        let researcherCount = researchers
        let clients = try await withThrowingTaskGroup(of: ResearcherClient.self) { tasks in
            for _ in 0..<researcherCount {
                tasks.addTask { try await ResearcherClient(credential: credential, addresses: addresses, eventLoop: group.next(), logger: logger) }
            }
            return try await tasks.reduce(into: []) { $0.append($1) }
        }
        let deadline = ContinuousClock.now + .seconds(throughputSeconds)
        let started = ContinuousClock.now
        let expected = reference
        let completed = try await withThrowingTaskGroup(of: (Int, [Double]).self) { tasks in
            for (index, researcher) in clients.enumerated() {
                tasks.addTask {
                    var random = SeededRandom(seed: 1000 + UInt64(index))
                    var count = 0
                    var latencies: [Double] = []
                    var seen = expected
                    while ContinuousClock.now < deadline {
                        let (_, sql) = Self.workload[count % Self.workload.count]
                        let start = ContinuousClock.now
                        let result = try await researcher.ask(sql, fanout: QuerySubmission.defaultFanout, at: Int.random(in: 0..<addresses.count, using: &random))
                        latencies.append((ContinuousClock.now - start).fractionalMilliseconds)
                        try Self.check(result, against: &seen[sql], nodeCount: addresses.count, context: "throughput, researcher \(index)")
                        count += 1
                    }
                    return (count, latencies)
                }
            }
            return try await tasks.reduce(into: [(Int, [Double])]()) { $0.append($1) }
        }
        let elapsed = (ContinuousClock.now - started).inSeconds
        let total = completed.map(\.0).reduce(0, +)
        let latencies = SampleSummary(completed.flatMap(\.1))
        print("\n## Throughput (\(researchers) concurrent researchers, fanout \(QuerySubmission.defaultFanout), both queries alternating)\n")
        var throughput = MarkdownTable(headers: ["researchers", "seconds", "queries", "queries/s", "p50 ms", "p99 ms"])
        throughput.append([
            "\(researchers)", Self.format(elapsed), "\(total)", Self.format(Double(total) / elapsed),
            Self.format(latencies.median), Self.format(latencies.percentile(0.99)),
        ])
        print(throughput.rendered)
        for researcher in clients { await researcher.close() }
        await client.close()
        try await group.shutdownGracefully()
    }

    /// The sustained-load phases (``LoadRun``), one per researcher count, each on the same
    /// mesh after the previous one.
    func runLoad(addresses: [PeerAddress], credential: Credential, group: MultiThreadedEventLoopGroup, logger: Logger) async throws {
        let counts = loadResearchers.split(separator: ",").compactMap { Int($0) }
        let names = Credential.fileNames(for: .researcher)
        let identities = try (loadIdentities.isEmpty ? [identity] : loadIdentities.split(separator: ",").map(String.init)).map { directory in
            try Credential.load(certificatePath: directory + "/" + names.certificate, keyPath: directory + "/" + names.key, caPath: ca)
        }
        let gauge = ProcessGauge(pids: pids.split(separator: ",").compactMap { Int32($0) })
        let audit = configs.isEmpty || meshnode.isEmpty ? nil : AuditCounter(meshnode: meshnode, configs: configs.split(separator: ",").map(String.init))
        var table = MarkdownTable(
            headers: [
                "researchers", "seconds", "released", "queries/s", "p50 ms", "p99 ms", "refused or incomplete", "RSS MiB start → end (max node)",
                "RSS growth MiB (max node)", "fds start → end (max node)", "audit = answered",
            ],
            alignments: [.right, .right, .right, .right, .right, .right, .left, .right, .right, .right, .left]
        )
        var reasons: [String] = []
        for count in counts {
            let clients = try await withThrowingTaskGroup(of: ResearcherClient.self) { tasks in
                for index in 0..<count {
                    let credential = identities[index % identities.count]
                    tasks.addTask { try await ResearcherClient(credential: credential, addresses: addresses, eventLoop: group.next(), logger: logger) }
                }
                return try await tasks.reduce(into: []) { $0.append($1) }
            }
            let before = gauge.read()
            FileHandle.standardError.write(Data("load: \(count) researchers for \(loadSeconds) s\n".utf8))
            let (outcome, elapsed) = try await LoadRun(clients: clients, workload: Self.workload, nodeCount: addresses.count, seconds: loadSeconds).run()
            for client in clients { await client.close() }
            let after = gauge.read()
            let growth = zip(before.residentKiB, after.residentKiB).map { $1 - $0 }.max() ?? 0
            var auditText = "not checked"
            if let audit {
                // A node that answered (in the result's coverage) must have recorded it; one
                // whose answer came too late recorded it too (it executed), so a node's
                // records may exceed its answers by its late ones, never fall short, and no
                // query is recorded twice.
                let recorded = try audit.planRecords(of: outcome.queryIDs)
                let nodes = clients.first?.nodeIDs ?? []
                var problems: [String] = []
                var late = 0
                for (node, records) in zip(nodes, recorded) {
                    let answered = outcome.answeredIDs(of: node).count
                    if records.ids.count != records.total { problems.append("\(node) recorded a query twice") }
                    if !outcome.answeredIDs(of: node).isSubset(of: records.ids) { problems.append("\(node) lacks \(outcome.answeredIDs(of: node).subtracting(records.ids).count) it answered") }
                    late += records.ids.count - answered
                }
                auditText = problems.isEmpty ? "yes, all \(nodes.count) nodes (\(late) records of answers that came too late)" : "NO: " + problems.joined(separator: ", ")
            }
            let refused = outcome.refusals.values.reduce(0, +)
            reasons += outcome.refusals.sorted { $0.key < $1.key }.map { "\(count) researchers: \($0.value) × \($0.key)" }
            let latencies = outcome.latencies.isEmpty ? nil : SampleSummary(outcome.latencies)
            table.append([
                "\(count)", Self.format(elapsed), "\(outcome.released)", Self.format(Double(outcome.released) / elapsed),
                latencies.map { Self.format($0.median) } ?? "-", latencies.map { Self.format($0.percentile(0.99)) } ?? "-",
                "\(refused) refused, \(outcome.incomplete) incomplete",
                "\(Self.mebibytes(before.residentKiB.max() ?? 0)) → \(Self.mebibytes(after.residentKiB.max() ?? 0))", Self.mebibytes(growth),
                "\(before.descriptors.max() ?? 0) → \(after.descriptors.max() ?? 0)", auditText,
            ])
        }
        print("## Sustained load (\(addresses.count) nodes, fanout \(QuerySubmission.defaultFanout), masked, both queries alternating, \(loadSeconds) s per row)\n")
        print(table.rendered)
        print(reasons.isEmpty ? "\nNo refusals." : "\nRefusals and incomplete results by reason:\n\n" + reasons.map { "- \($0)" }.joined(separator: "\n"))
    }

    static func mebibytes(_ kibibytes: Int) -> String { String(format: "%.1f", Double(kibibytes) / 1024) }

    /// A benchmark that counts wrong answers as fast ones measures nothing: every answer
    /// must cover every node and release the same rows as the first answer to its query.
    static func check(_ result: FederatedResult, against reference: inout FederatedResult?, nodeCount: Int, context: String) throws {
        let covered = result.coverage.answered.count + result.coverage.pruned.count
        guard covered == nodeCount, result.coverage.isComplete else {
            throw BenchmarkError("\(context): incomplete coverage \(result.coverage)")
        }
        if let reference {
            guard reference.table == result.table else { throw BenchmarkError("\(context): the result differs from the first answer to the same query") }
        } else {
            reference = result
        }
    }

    static func format(_ value: Double) -> String { String(format: "%.1f", value) }
}

