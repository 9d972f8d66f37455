import BenchmarkKit
import Testing

@Suite struct LZ4BenchOutputTests {
    /// Verbatim shape of `lz4 -b1` 1.9.4 on standard error: redraws separated by carriage
    /// returns, the final figures in the last redraw, then the level marker.
    @Test func readsTheLastRedrawWithBothSpeeds() throws {
        let output = "\r" + String(repeating: " ", count: 79) + "\r"
            + " |-t.csv             :   2277919 ->\r"
            + " /-t.csv             :   2277919 ->   1309839 (1.739), 282.3 MB/s\r"
            + " =-t.csv             :   2277919 ->   1309839 (1.739), 282.3 MB/s ,1563.3 MB/s\r"
            + " =-t.csv             :   2277919 ->\r"
            + "\\-t.csv             :   2277919 ->   1309839 (1.739), 297.5 MB/s\r"
            + " |-t.csv             :   2277919 ->   1309839 (1.739), 297.5 MB/s ,1658.9 MB/s\r"
            + " 1#\n"
        let result = try LZ4BenchOutput.parse(output)
        #expect(result == LZ4Throughput(inputBytes: 2_277_919, compressedBytes: 1_309_839, compressMBPerSecond: 297.5, decompressMBPerSecond: 1658.9))
    }

    @Test func rejectsOutputWithoutDecompressionFigures() {
        #expect(throws: BenchmarkError.self) {
            try LZ4BenchOutput.parse(" /-t.csv :   2277919 ->   1309839 (1.739), 282.3 MB/s\r 1#\n")
        }
    }
}
