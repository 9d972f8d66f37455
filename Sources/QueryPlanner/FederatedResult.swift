import Aggregation

/// What the researcher receives: the released table (after disclosure control at the
/// origin) with the query id and the coverage that says which nodes it speaks for.
public struct FederatedResult: Sendable, Equatable {
    public var queryID: QueryID
    public var table: ResultTable
    public var coverage: Coverage

    public init(queryID: QueryID, table: ResultTable, coverage: Coverage) {
        self.queryID = queryID
        self.table = table
        self.coverage = coverage
    }
}
