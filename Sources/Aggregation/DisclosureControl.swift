/// The one place that decides whether a released cell may show its values
/// (docs/PRIVACY.md, "Threshold").
///
/// Privacy is about persons: a cell is released when its noisy count of distinct persons is
/// at least K, where K is the strictest (largest) k among the providers that contributed.
/// Every other cell, a cell with no person at all included, is suppressed whole: its count
/// and every statistic in it read `<K`. A true zero and a few persons look the same, so a
/// cell's absence from the data is never visible. With noise off (σ = 0) the noisy count is
/// the exact one.
public struct DisclosureControl: Sendable, Equatable {
    /// The threshold in force: the largest k of the contributors.
    public let k: Int

    public init(k: Int) {
        precondition(k >= 1, "k must be at least 1")
        self.k = k
    }

    /// The threshold for a result merged from providers with the given minimum cell sizes.
    public init(contributorThresholds: some Sequence<Int>) {
        self.init(k: max(1, contributorThresholds.max() ?? 1))
    }

    public enum Decision: Sendable, Equatable {
        case release
        case suppress(marker: String)
    }

    /// The decision for a cell of `count` persons (noisy, or exact without noise); the same
    /// rule decides whether a statistic may be shown, on its noisy count of non-null values.
    public func decide(count: Int64) -> Decision {
        count >= Int64(k) ? .release : .suppress(marker: suppressionMarker)
    }

    /// What a suppressed value is shown as.
    public var suppressionMarker: String { "<\(k)" }
}
