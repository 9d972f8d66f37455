import Aggregation
import MeshCore

extension FederatedPlanner.Outcome {
    /// The origin's last step (DESIGN.md, "Planning and execution along a tree", step 5):
    /// disclosure control on the merged partial, and the full coverage.
    ///
    /// K is the largest k among the nodes whose partials were merged, so every provider's
    /// threshold holds for every cell it contributed to. When nobody answered there is
    /// nothing to protect, but the table still shows the strictest k among the targets so
    /// that the reported threshold never drops below one a provider published.
    public func release(_ result: SubtreeResult) -> FederatedResult {
        let k = max(1, result.strictestK > 0 ? result.strictestK : (thresholds.values.max() ?? 1))
        let partial = result.partial ?? QueryPartial(statisticAttributes: plan.query.statisticAttributes)
        let table = ResultTable(query: plan.query, partial: partial, scales: scales, disclosure: DisclosureControl(k: k))
        var coverage = result.coverage
        coverage.pruned.merge(pruned) { first, _ in first }
        coverage.refused.merge(refused) { first, _ in first }
        coverage.normalise()
        return FederatedResult(queryID: plan.queryID, table: table, coverage: coverage)
    }
}
