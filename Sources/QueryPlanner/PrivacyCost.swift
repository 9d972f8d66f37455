import Aggregation
import MeshCore

/// The privacy loss of releasing one plan's result, in zero-concentrated differential
/// privacy (Bun and Steinke, 2016): the discrete Gaussian of standard deviation σ·Δ on a
/// value that one person moves by at most Δ costs ρ = 1 / 2σ², and losses add up
/// (docs/PRIVACY.md, "Budgets and rates").
///
/// A released cell carries one noisy person count (always: it decides the threshold), a
/// noisy study count when the query asks for one, and three noisy sums per statistic
/// (count, centred sum, centred sum of squares). When every grouping is a property of the
/// person, one person lies in exactly one cell, so only one cell's values move; a grouping
/// by a study-level attribute can put one person's studies in every cell, and then every
/// cell counts. Study counts are protected at the level of the study: a person with many
/// studies moves them by more than one, which docs/PRIVACY.md lists as not protected.
public enum PrivacyCost {
    /// ρ of releasing `query` over `cellCount` cells at noise `sigma`; infinite without noise.
    ///
    /// - Parameter level: the level of an attribute; an unknown attribute counts as study
    ///   level, the costlier assumption.
    public static func rho(query: Query, cellCount: Int, sigma: Double, level: (String) -> Attribute.Level?) -> Double {
        guard sigma > 0 else { return .infinity }
        var valuesPerCell = 1
        if query.aggregates.contains(.studyCount) { valuesPerCell += 1 }
        valuesPerCell += 3 * query.statisticAttributes.count
        let disjoint = query.groupBy.allSatisfy { level($0.attribute) == .subject }
        let cellsOnePersonMoves = disjoint ? 1 : max(1, cellCount)
        return Double(cellsOnePersonMoves) * Double(valuesPerCell) / (2 * sigma * sigma)
    }
}
