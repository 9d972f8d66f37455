/// What a researcher sends the node they ask (`meshnode query`): the SQL, how long they
/// will wait, and optionally the fanout of the aggregation tree.
public struct QuerySubmission: Sendable, Equatable {
    public static let defaultFanout = 8
    public static let defaultTimeoutMilliseconds: Int64 = 10_000
    /// The longest a query may run: plans further in the future are refused by every node,
    /// which is what lets nodes forget the ids of plans past their deadline.
    public static let timeoutMaxMilliseconds: Int64 = 300_000
    /// Less than this leaves no time for even one level of the tree.
    public static let timeoutMinMilliseconds: Int64 = 100
    /// A star over every node of a large federation is allowed; more than this many
    /// children is not a tree any node could serve.
    public static let fanoutMax = 1024

    public var sql: String
    public var timeoutMilliseconds: Int64
    /// Nil: the origin's default (``defaultFanout``).
    public var fanout: Int?
    /// Plan without secure aggregation (docs/PRIVACY.md, "Secure aggregation"): for
    /// comparing the two trees; providers answer it only when their policy allows.
    public var plaintextTree: Bool

    public init(sql: String, timeoutMilliseconds: Int64 = defaultTimeoutMilliseconds, fanout: Int? = nil, plaintextTree: Bool = false) {
        self.sql = sql
        self.timeoutMilliseconds = timeoutMilliseconds
        self.fanout = fanout
        self.plaintextTree = plaintextTree
    }
}
