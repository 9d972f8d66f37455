import BenchmarkKit
import Foundation

/// Echo round trips over one mutual-TLS connection on loopback, for three payload sizes:
/// a status line (100 B, below the 512-byte compression threshold, so sent as is), a
/// catalogue excerpt (4 KiB) and a block of partial results (64 KiB), the sizes of
/// `meshnode demo`.
///
/// Per size: a checked warm-up, then `runs` rounds of one sequential run (one request in
/// flight: latency) and one pipelined run (`pipelineDepth` in flight: throughput). A fixed
/// request count per run rather than a fixed time keeps every run's work identical.
struct RoundTripSection {
    struct Workload {
        let name: String
        let bytes: Int
        let requests: Int
    }

    let runs: Int
    let pipelineDepth: Int
    /// Scales the request counts (0.1 for a smoke run).
    let requestScale: Double

    static let workloads = [
        Workload(name: "100 B", bytes: 100, requests: 5000),
        Workload(name: "4 KiB", bytes: 4 * 1024, requests: 5000),
        Workload(name: "64 KiB", bytes: 64 * 1024, requests: 2000),
    ]

    func run() async throws -> String {
        let pair = try await LoopbackMeshPair.start()
        let table: MarkdownTable
        do {
            table = try await measure(RoundTripBenchmark(pair: pair))
        } catch {
            try? await pair.shutdown()
            throw error
        }
        let tlsVersion = pair.tlsVersion
        try await pair.shutdown()

        return """
            ## Request round trips over one mutual-TLS connection on loopback

            Two `MeshTransport` endpoints in one process (one event loop each), mutually authenticated \
            with certificates from a throwaway federation CA (\(tlsVersion), one TCP connection, \
            `TCP_NODELAY`); the responder echoes each request's body like `meshnode demo`. Requests go \
            through the public `request(_:to:timeout:)` API, so each round trip includes Envelope \
            encoding, framing, LZ4 both ways (payloads of 512 B and more), TLS and the hops between Swift \
            tasks and event loops. Payloads are the start of the same generated catalogue text as the LZ4 \
            input (compressible text like `DemoCommand.catalogueText`, but with varied values). \
            Wire bytes: what the requester sent per request, 5-byte frame header included. Sequential: \
            one request in flight; latencies are per request, p50 and p99 by nearest rank. Pipelined: \
            \(pipelineDepth) requests in flight. Each figure is the median of \(runs) runs, after a \
            checked warm-up.

            \(table.rendered)
            """
    }

    private func measure(_ benchmark: RoundTripBenchmark) async throws -> MarkdownTable {
        var table = MarkdownTable(
            headers: [
                "Payload", "Requests per run", "Wire bytes per request", "Sequential round trips/s",
                "p50 µs", "p99 µs", "Pipelined (\(pipelineDepth) in flight) round trips/s",
            ],
            alignments: [.left, .right, .right, .right, .right, .right, .right]
        )
        let corpus = CatalogueCorpus.generate(bytes: Self.workloads.map(\.bytes).max()!)
        for workload in Self.workloads {
            let payload = Data(corpus.prefix(workload.bytes))
            let requests = max(1, Int((Double(workload.requests) * requestScale).rounded()))
            progress("round trips, \(workload.name): warming up")
            try await benchmark.warmUp(payload: payload, count: max(100, requests / 10))
            var sequential: [RoundTripBenchmark.Sequential] = []
            var pipelined: [Double] = []
            for run in 1...runs {
                progress("round trips, \(workload.name): run \(run)/\(runs), \(requests) requests sequential, then pipelined")
                sequential.append(try await benchmark.runSequential(payload: payload, count: requests))
                pipelined.append(try await benchmark.runPipelined(payload: payload, count: requests, depth: pipelineDepth))
            }
            table.append([
                workload.name,
                "\(requests)",
                format(SampleSummary(sequential.map(\.wireBytesPerRequest)).median, 0),
                format(SampleSummary(sequential.map(\.requestsPerSecond)).median, 0),
                format(SampleSummary(sequential.map { $0.latencies.percentile(0.5) }).median, 0),
                format(SampleSummary(sequential.map { $0.latencies.percentile(0.99) }).median, 0),
                format(SampleSummary(pipelined).median, 0),
            ])
        }
        return table
    }
}
