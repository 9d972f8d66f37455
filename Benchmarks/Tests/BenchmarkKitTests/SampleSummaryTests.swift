import BenchmarkKit
import Testing

@Suite struct SampleSummaryTests {
    @Test func medianOfOddAndEvenCounts() {
        #expect(SampleSummary([5, 1, 3]).median == 3)
        #expect(SampleSummary([4, 1, 3, 2]).median == 2.5)
    }

    @Test func nearestRankPercentilesAreMeasuredValues() {
        let summary = SampleSummary((1...100).map(Double.init))
        #expect(summary.percentile(0.5) == 50)
        #expect(summary.percentile(0.99) == 99)
        #expect(summary.percentile(1) == 100)
        #expect(summary.percentile(0) == 1)
        #expect(SampleSummary([7]).percentile(0.99) == 7)
    }
}
