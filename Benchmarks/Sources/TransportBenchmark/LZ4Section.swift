import BenchmarkKit
import Foundation

/// OncoMesh's LZ4 wrapper against `lz4 -b1` on one generated file.
///
/// Each run measures all four codecs back to back, so that a burst of load from a neighbour
/// hits one run of each rather than all runs of one; the tables show medians over runs.
///
/// Compared on equal terms: the same bytes (the CLI reads the file this section writes), the
/// same LZ4 release (liblz4 1.9.4 for the wrapper, the 1.9.4 CLI with its own copy), the same
/// fast compressor (the wrapper's level 0 and `-b1` both run LZ4_compress_fast with
/// acceleration 1), and the same timing rule (``FastestLoopTimer``). What differs: the CLI
/// calls the block API, while the wrapper writes LZ4 frames (a 7 to 15-byte header, 4 bytes
/// per block, a 4-byte end mark, and the LZ4F bookkeeping around each block); and without
/// `-B` the CLI compresses the whole file as one block, whose matches may reach 64 KiB back
/// across what would be block boundaries in our frames. `lz4 -b1 -B4` (64 KiB independent
/// blocks) is therefore the like-for-like reference, and plain `lz4 -b1` is shown as well.
struct LZ4Section {
    let runs: Int
    let inputBytes: Int
    let inputPath: String
    let seconds: Int

    /// The size of one compressed transport payload in the second wrapper row: the largest
    /// payload of the round-trip benchmark.
    static let messageBytes = 64 * 1024

    func run() throws -> String {
        let cli = try LZ4CommandLineBenchmark()
        let input = CatalogueCorpus.generate(bytes: inputBytes)
        try FileManager.default.createDirectory(
            at: URL(fileURLWithPath: inputPath).deletingLastPathComponent(),
            withIntermediateDirectories: true
        )
        try Data(input).write(to: URL(fileURLWithPath: inputPath))
        progress("LZ4: \(input.count) bytes written to \(inputPath); \(runs) runs of \(seconds) s per direction per codec")

        let timer = FastestLoopTimer(loopDuration: .seconds(1), totalDuration: .seconds(seconds))
        let wholeFile = try WrapperLZ4Benchmark(input: input)
        let messages = try WrapperLZ4Benchmark(input: input, messageBytes: Self.messageBytes)
        var cliDefault: [LZ4Throughput] = []
        var cliBlocks: [LZ4Throughput] = []
        var oursWhole: [LZ4Throughput] = []
        var oursMessages: [LZ4Throughput] = []
        for run in 1...runs {
            progress("LZ4 run \(run)/\(runs)")
            cliDefault.append(try cli.run(file: inputPath, blockSize: .wholeFile, seconds: seconds))
            oursWhole.append(try wholeFile.run(timer: timer))
            cliBlocks.append(try cli.run(file: inputPath, blockSize: .independent64KiB, seconds: seconds))
            oursMessages.append(try messages.run(timer: timer))
        }

        let cliDefaultCommand = "lz4 " + cli.arguments(file: "FILE", level: 1, blockSize: .wholeFile, seconds: seconds).joined(separator: " ")
        let cliBlocksCommand = "lz4 " + cli.arguments(file: "FILE", level: 1, blockSize: .independent64KiB, seconds: seconds).joined(separator: " ")
        let rows: [(String, String, [LZ4Throughput])] = [
            ("`\(cliDefaultCommand)`", "whole file as one block", cliDefault),
            ("`\(cliBlocksCommand)`", "independent 64 KiB blocks", cliBlocks),
            ("ours: one frame of the file", "independent 64 KiB blocks", oursWhole),
            ("ours: one frame per 64 KiB message", "one 64 KiB block per frame", oursMessages),
        ]
        var speeds = MarkdownTable(
            headers: ["Codec", "Blocks", "Compressed bytes (ratio)", "Compress MB/s (min-max)", "Decompress MB/s (min-max)"],
            alignments: [.left, .left, .right, .right, .right]
        )
        for (name, blocks, results) in rows {
            let median = LZ4Throughput.median(of: results)
            speeds.append([
                name, blocks,
                "\(median.compressedBytes) (\(format(median.ratio, 3)))",
                spread(results.map(\.compressMBPerSecond)),
                spread(results.map(\.decompressMBPerSecond)),
            ])
        }

        var ratios = MarkdownTable(headers: ["Ours / reference", "Compression", "Decompression"], alignments: [.left, .right, .right])
        let comparisons: [(String, [LZ4Throughput], [LZ4Throughput])] = [
            ("one frame of the file / `lz4 -b1`", oursWhole, cliDefault),
            ("one frame of the file / `lz4 -b1 -B4` (like for like)", oursWhole, cliBlocks),
            ("one frame per 64 KiB message / `lz4 -b1 -B4`", oursMessages, cliBlocks),
        ]
        for (name, ours, reference) in comparisons {
            let oursMedian = LZ4Throughput.median(of: ours)
            let referenceMedian = LZ4Throughput.median(of: reference)
            ratios.append([
                name,
                format(oursMedian.compressMBPerSecond / referenceMedian.compressMBPerSecond, 2),
                format(oursMedian.decompressMBPerSecond / referenceMedian.decompressMBPerSecond, 2),
            ])
        }

        return """
            ## LZ4 throughput: our wrapper vs `lz4 -b`

            Input: \(input.count) bytes of generated catalogue text (`CatalogueCorpus`, seed \
            0x\(String(CatalogueCorpus.defaultSeed, radix: 16))): CSV partial results and JSON-lines catalogue \
            entries, written to `\(inputPath)` and read by the CLI from there. \
            CLI: \((try? cli.version()) ?? "version unknown"). \
            MB/s = 10^6 bytes of uncompressed data per second in both directions (as `lz4 -b` counts), \
            each run's figure being its fastest 1 s loop over \(seconds) s per direction (the rule `lz4 -b` uses), \
            median of \(runs) runs with the range over runs in parentheses.

            \(speeds.rendered)

            Ratios of medians (above 1: ours is faster):

            \(ratios.rendered)
            """
    }

    private func spread(_ values: [Double]) -> String {
        let summary = SampleSummary(values)
        return "\(format(summary.median, 1)) (\(format(summary.minimum, 0))-\(format(summary.maximum, 0)))"
    }
}
