import Aggregation
import MeshCore

extension FederatedPlanner.Outcome {
    /// The origin's last step: noise, disclosure control on the merged partial, and the full
    /// coverage (docs/PRIVACY.md, "Noise" and "Threshold").
    ///
    /// K is the largest k that the published catalogues the origin planned against declare
    /// (answering, pruned or refusing alike), never a claim carried in a partial. So every
    /// provider's threshold holds for every cell it contributed to, and K does not depend on
    /// which providers the filter happened to select: a filter that prunes every provider
    /// reads exactly like one that selects a few persons.
    ///
    /// Every cell the plan enumerated is listed, with data or without, in the same order:
    /// which rows appear never depends on the data, and cells a partial names outside the
    /// enumeration are not released.
    public func release(_ result: SubtreeResult) -> FederatedResult {
        let k = max(1, strictestK)
        let partial = result.partial ?? QueryPartial(statisticAttributes: plan.query.statisticAttributes)
        let table = ResultTable(
            query: plan.query,
            partial: partial,
            cells: plan.cells.allCells,
            scales: scales,
            disclosure: DisclosureControl(k: k),
            perturbation: plan.perturbation
        )
        var coverage = result.coverage
        coverage.pruned.merge(pruned) { first, _ in first }
        coverage.refused.merge(refused) { first, _ in first }
        coverage.normalise()
        return FederatedResult(queryID: plan.queryID, table: table, coverage: coverage)
    }

    /// The release, naming the providers the origin knew of but did not see alive
    /// (``FederatedPlanner/catalogues(known:live:origin:)``) unless the tree accounted for them.
    public func release(_ result: SubtreeResult, absent: [NodeID]) -> FederatedResult {
        var released = release(result)
        for node in absent where !released.coverage.accountedFor.contains(node) {
            released.coverage.failed[node] = "not alive in the membership of \(plan.origin)"
        }
        released.coverage.normalise()
        return released
    }
}
