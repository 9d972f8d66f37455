/// The one place that decides what a released result may show (DESIGN.md, "Queries").
///
/// Privacy is about persons: a cell is released when the number of distinct subjects behind
/// it is 0 or at least K, where K is the strictest (largest) k among the providers that
/// contributed. Any other cell is suppressed whole: its count and every statistic in it are
/// replaced by the marker `<K`, never by 0 and never by a value from which the count could
/// be recovered.
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

    public func decide(distinctSubjects: Int) -> Decision {
        precondition(distinctSubjects >= 0, "a distinct-subject count cannot be negative")
        if distinctSubjects == 0 || distinctSubjects >= k {
            return .release
        }
        return .suppress(marker: suppressionMarker)
    }

    /// What a suppressed value is shown as.
    public var suppressionMarker: String { "<\(k)" }
}
