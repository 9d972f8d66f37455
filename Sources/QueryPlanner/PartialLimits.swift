import Aggregation

/// What an honest partial can hold, checked by every parent before it merges a child's
/// (docs/PRIVACY.md, "Partials from members"): counts of at most 2^40 (a trillion studies,
/// far beyond any federation; 1024 children of that size still fit an Int64), statistic
/// counts no larger than the studies, and sums within count times the plan's clamp bounds.
/// A dishonest member can still shift a total within these limits; it cannot trap a node
/// or claim cells the plan never enumerated.
public enum PartialLimits {
    public static let maximumCount: Int64 = 1 << 40

    /// Why `cell` cannot come from honest providers, or nil.
    ///
    /// - Parameter countLimit: the largest count (``maximumCount`` for one provider's
    ///   partial; at the origin, that times the number of providers summed).
    public static func problem(with cell: CellPartial, attributes: [String], bounds: [String: ClosedRange<Int64>], countLimit: Int64 = maximumCount) -> String? {
        let maximumCount = countLimit
        guard (0...maximumCount).contains(cell.studies), (0...cell.studies).contains(cell.subjects) else {
            return "has \(cell.studies) studies and \(cell.subjects) persons; counts are from 0 to \(maximumCount), persons at most the studies"
        }
        for (attribute, statistic) in zip(attributes, cell.statistics) {
            guard (0...cell.studies).contains(statistic.count) else {
                return "has \(statistic.count) values of \(attribute) for \(cell.studies) studies"
            }
            guard let range = bounds[attribute] else { continue }
            let count = Int128(statistic.count)
            let lowest = count * Int128(range.lowerBound)
            let highest = count * Int128(range.upperBound)
            let largestMagnitude = max(range.lowerBound.magnitude, range.upperBound.magnitude)
            let (square, overflow) = Int128(largestMagnitude).multipliedReportingOverflow(by: Int128(largestMagnitude))
            let (squares, overflow2) = count.multipliedReportingOverflow(by: square)
            guard (lowest...highest).contains(statistic.sum) else {
                return "sums \(attribute) to \(statistic.sum), outside \(statistic.count) values in [\(range.lowerBound), \(range.upperBound)]"
            }
            guard statistic.sumOfSquares >= 0, overflow || overflow2 || statistic.sumOfSquares <= squares else {
                return "has a sum of squares of \(attribute) (\(statistic.sumOfSquares)) that \(statistic.count) values in [\(range.lowerBound), \(range.upperBound)] cannot reach"
            }
        }
        return nil
    }
}
