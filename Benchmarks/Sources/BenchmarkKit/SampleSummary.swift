/// Order statistics of measured values: the median of repeated runs and latency percentiles.
///
/// Medians rather than means, because on a shared two-core machine a run is sometimes slowed
/// by the neighbour's build, and one such outlier would drag a mean with it.
public struct SampleSummary: Sendable {
    public let sorted: [Double]

    public init(_ samples: [Double]) {
        precondition(!samples.isEmpty, "cannot summarise zero samples")
        sorted = samples.sorted()
    }

    /// The middle value; the mean of the two middle values for an even count.
    public var median: Double {
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// The nearest-rank percentile: the smallest sample that at least `fraction` of all
    /// samples do not exceed. Always a measured value, never an interpolation.
    public func percentile(_ fraction: Double) -> Double {
        precondition((0...1).contains(fraction), "a percentile is a fraction between 0 and 1")
        let rank = Int((fraction * Double(sorted.count)).rounded(.up))
        return sorted[max(rank, 1) - 1]
    }

    public var minimum: Double { sorted[0] }
    public var maximum: Double { sorted[sorted.count - 1] }
}
