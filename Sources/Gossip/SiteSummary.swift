import MeshCore

/// What a site's data holds, in full precision, before the disclosure rules of
/// ``CatalogueBuilder`` coarsen it for publication. It never leaves the node.
///
/// The node computes it from its local store after each import; keeping it a plain value
/// keeps the builder free of storage and lets tests state exact inputs.
public struct SiteSummary: Sendable, Equatable {
    /// Distinct subjects in the `cases` table.
    public var subjectCount: Int
    /// Per categorical attribute name: the codes that occur at least once.
    public var categoricalCodes: [String: Set<String>]
    /// Per numeric attribute name: smallest and largest non-null value, fixed point at the
    /// schema's scale. Absent (or nil) when the column holds no non-null value.
    public var numericRanges: [String: ClosedRange<Int64>]

    public init(subjectCount: Int, categoricalCodes: [String: Set<String>] = [:], numericRanges: [String: ClosedRange<Int64>] = [:]) {
        self.subjectCount = subjectCount
        self.categoricalCodes = categoricalCodes
        self.numericRanges = numericRanges
    }
}
