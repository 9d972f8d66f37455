/// Reads the figures out of what `lz4 -b` writes to standard error.
///
/// The CLI redraws one status line with carriage returns while it measures, e.g.
///
///     \r |-catalogue.csv   :  12582912 ->   4473181 (2.813), 612.3 MB/s ,2890.1 MB/s\r 1#\n
///
/// Each redraw shows the fastest loop so far, so the last line with both speeds holds the
/// result. It never prints a line of its own for the result at the default display level.
public enum LZ4BenchOutput {
    public static func parse(_ standardError: String) throws -> LZ4Throughput {
        let pattern = #/:\s*(\d+)\s*->\s*(\d+)\s*\(\s*[0-9.]+\),\s*([0-9.]+)\s*MB/s\s*,\s*([0-9.]+)\s*MB/s/#
        let segments = standardError.split(whereSeparator: { $0 == "\r" || $0 == "\n" || $0 == "\r\n" })
        for segment in segments.reversed() {
            guard let match = segment.firstMatch(of: pattern),
                let input = Int(match.1), let compressed = Int(match.2),
                let compress = Double(match.3), let decompress = Double(match.4)
            else { continue }
            return LZ4Throughput(
                inputBytes: input,
                compressedBytes: compressed,
                compressMBPerSecond: compress,
                decompressMBPerSecond: decompress
            )
        }
        throw BenchmarkError("no result line with compression and decompression speeds in the output of lz4 -b:\n\(standardError)")
    }
}
