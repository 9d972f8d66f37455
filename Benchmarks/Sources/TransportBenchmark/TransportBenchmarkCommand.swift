import ArgumentParser
import BenchmarkKit
import Foundation

/// `swift run -c release TransportBenchmark` (from Benchmarks/): measures LZ4 throughput of
/// OncoMesh's wrapper against `lz4 -b` on the same file, and request round trips over one
/// mutual-TLS connection on loopback; prints the results as Markdown on standard output and
/// progress on standard error.
@main
struct TransportBenchmarkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "TransportBenchmark",
        abstract: "Benchmark OncoMesh's LZ4 wrapper against lz4 -b and mutual-TLS request round trips on loopback."
    )

    @Option(help: "Repetitions of every measurement; tables show the median.")
    var runs = 5

    @Option(name: .customLong("input-mib"), help: "Size of the generated LZ4 input file in MiB.")
    var inputMiB = 12

    @Option(help: "Where to write the generated LZ4 input (it is the same bytes on every machine).")
    var inputPath = ".build/benchmark-input/catalogue.txt"

    @Option(name: .customLong("lz4-seconds"), help: "Seconds each LZ4 run measures per direction, for ours and for lz4 -b (its -i).")
    var lz4Seconds = LZ4CommandLineBenchmark.defaultSeconds

    @Option(help: "Requests kept in flight for the pipelined figure.")
    var pipelineDepth = 32

    @Flag(name: .customLong("skip-lz4"), help: "Skip the LZ4 comparison.")
    var skipLZ4 = false

    @Flag(help: "Skip the round-trip measurements.")
    var skipRoundTrips = false

    @Flag(help: "A fast smoke run: 2 runs, 1 s LZ4 loops, a tenth of the requests. Not for publishing.")
    var quick = false

    mutating func validate() throws {
        guard runs > 0 else { throw ValidationError("--runs must be at least 1") }
        guard inputMiB > 0 else { throw ValidationError("--input-mib must be at least 1") }
        guard lz4Seconds > 0 else { throw ValidationError("--lz4-seconds must be at least 1 (lz4 -b takes whole seconds)") }
        guard pipelineDepth > 0 else { throw ValidationError("--pipeline-depth must be at least 1") }
    }

    func run() async throws {
        let runs = quick ? min(runs, 2) : runs
        let lz4Seconds = quick ? 1 : lz4Seconds
        var report = ["# OncoMesh transport benchmark", "", MachineNotes.current().markdown]
        if quick {
            report += ["", "**Quick smoke run: too short to publish.**"]
        }
        if !skipLZ4 {
            let section = LZ4Section(runs: runs, inputBytes: inputMiB << 20, inputPath: inputPath, seconds: lz4Seconds)
            report += ["", try section.run()]
        }
        if !skipRoundTrips {
            let section = RoundTripSection(runs: runs, pipelineDepth: pipelineDepth, requestScale: quick ? 0.1 : 1)
            report += ["", try await section.run()]
        }
        print(report.joined(separator: "\n"))
    }
}
