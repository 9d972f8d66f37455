/// How the origin perturbs a merged partial before release (docs/PRIVACY.md, "Noise"):
/// every released count gets discrete Gaussian noise of standard deviation ``sigma``
/// persons (or studies), and every sum of a statistic gets noise scaled by how far one
/// record can move it, so that each released value costs the same privacy loss
/// (ρ = 1 / 2σ² in zero-concentrated DP).
///
/// Statistics are released as centred moments: with c the middle of the attribute's clamp
/// bounds and Δ the largest distance from c to a bound, one record moves Σ(x − c) by at most
/// Δ and Σ(x − c)² by at most Δ², which is half the range a raw sum would need.
public struct Perturbation: Sendable, Equatable {
    /// Standard deviation of the noise on a count; 0 releases exact values.
    public var sigma: Double
    /// The bounds (fixed point at each attribute's scale) that providers clamped statistic
    /// values to before summing.
    public var statisticBounds: [String: ClosedRange<Int64>]

    public init(sigma: Double, statisticBounds: [String: ClosedRange<Int64>] = [:]) {
        precondition(sigma >= 0 && sigma.isFinite, "σ must be a finite number of at least 0")
        self.sigma = sigma
        self.statisticBounds = statisticBounds
    }

    /// Exact release (a site's own local queries).
    public static let none = Perturbation(sigma: 0)

    public var isPerturbing: Bool { sigma > 0 }

    /// The noisy version of one merged cell. Noisy counts below 0 read as 0; the noise of
    /// each value is a function of its cell key alone (``CellKeyNoise``).
    public func perturb(_ cell: CellPartial, statisticAttributes: [String]) -> ReleasedCell {
        let studies = cell.studies &+ CellKeyNoise.noise(label: "studies", cellKey: cell.studyKey, sigma: sigma, recordCount: cell.studies)
        let subjects = cell.subjects &+ CellKeyNoise.noise(label: "persons", cellKey: cell.subjectKey, sigma: sigma, recordCount: cell.subjects)
        let statistics = zip(statisticAttributes, cell.statistics).map { attribute, partial in
            moments(of: partial, attribute: attribute)
        }
        return ReleasedCell(studies: max(0, studies), subjects: max(0, subjects), statistics: statistics)
    }

    private func moments(of partial: NumericPartial, attribute: String) -> ReleasedMoments {
        let bounds = statisticBounds[attribute] ?? 0...0
        let centre = bounds.lowerBound / 2 + bounds.upperBound / 2
        let reach = Double(max(bounds.upperBound - centre, centre - bounds.lowerBound, 0))
        let n = Int128(partial.count)
        let c = Int128(centre)
        let centredSum = partial.sum - n * c
        let centredSquares = partial.sumOfSquares - 2 * c * partial.sum + n * c * c
        let key = partial.key
        let count = partial.count &+ CellKeyNoise.noise(label: "count:\(attribute)", cellKey: key, sigma: sigma, recordCount: partial.count)
        let sumNoise = CellKeyNoise.noise(label: "sum:\(attribute)", cellKey: key, sigma: sigma * reach, recordCount: partial.count)
        let squaresNoise = CellKeyNoise.noise(label: "squares:\(attribute)", cellKey: key, sigma: sigma * reach * reach, recordCount: partial.count)
        return ReleasedMoments(
            count: max(0, count),
            centre: centre,
            centredSum: centredSum + Int128(sumNoise),
            centredSquares: max(0, centredSquares + Int128(squaresNoise))
        )
    }
}

/// A cell as released: noisy counts (exact when σ is 0) and the moments of each statistic.
public struct ReleasedCell: Sendable, Equatable {
    public var studies: Int64
    public var subjects: Int64
    public var statistics: [ReleasedMoments]
}

/// Count, centre and centred sums of one numeric attribute in a released cell, in fixed
/// point at the attribute's scale.
public struct ReleasedMoments: Sendable, Equatable {
    public var count: Int64
    public var centre: Int64
    public var centredSum: Int128
    public var centredSquares: Int128

    /// The mean, or nil without values.
    public func mean(scale: Int) -> Double? {
        guard count > 0 else { return nil }
        return (Double(centre) + Double(centredSum) / Double(count)) / FixedPoint.power(scale)
    }

    /// The sample variance, or nil with fewer than two values; never negative (noise can
    /// make n·Σ(x−c)² − (Σ(x−c))² negative, and a variance of 0 is then the nearest truth).
    /// Variance does not depend on the centre, so it is computed from the centred sums
    /// exactly in 128-bit integers, with one rounding at the final division.
    public func sampleVariance(scale: Int) -> Double? {
        guard count > 1 else { return nil }
        let n = Int128(count)
        let (product, overflow) = n.multipliedReportingOverflow(by: centredSquares)
        let numerator: Double
        if overflow {
            numerator = Double(n) * Double(centredSquares) - Double(centredSum) * Double(centredSum)
        } else {
            numerator = Double(product - centredSum * centredSum)
        }
        let factor = FixedPoint.power(scale)
        return max(0, numerator) / (Double(n) * Double(n - 1)) / (factor * factor)
    }
}
