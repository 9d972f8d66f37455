/// Compression and decompression speed of one codec on one input, in the units `lz4 -b`
/// prints: MB/s with MB = 10^6 bytes, counted on the uncompressed size in both directions.
public struct LZ4Throughput: Sendable, Equatable {
    public var inputBytes: Int
    public var compressedBytes: Int
    public var compressMBPerSecond: Double
    public var decompressMBPerSecond: Double

    public init(inputBytes: Int, compressedBytes: Int, compressMBPerSecond: Double, decompressMBPerSecond: Double) {
        self.inputBytes = inputBytes
        self.compressedBytes = compressedBytes
        self.compressMBPerSecond = compressMBPerSecond
        self.decompressMBPerSecond = decompressMBPerSecond
    }

    /// Uncompressed size over compressed size, as `lz4 -b` prints it.
    public var ratio: Double { Double(inputBytes) / Double(compressedBytes) }

    /// The median of each figure over repeated runs (sizes are the same in every run).
    public static func median(of runs: [LZ4Throughput]) -> LZ4Throughput {
        precondition(!runs.isEmpty, "no runs to summarise")
        return LZ4Throughput(
            inputBytes: runs[0].inputBytes,
            compressedBytes: runs[0].compressedBytes,
            compressMBPerSecond: SampleSummary(runs.map(\.compressMBPerSecond)).median,
            decompressMBPerSecond: SampleSummary(runs.map(\.decompressMBPerSecond)).median
        )
    }
}
