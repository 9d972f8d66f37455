import Aggregation
import Gossip
import MeshCore

extension Query {
    /// The kinds of query a provider's policy allows or not (docs/ARCHITECTURE.md, "Capability
    /// catalogue"): a query is every kind it uses, and needs all of them allowed.
    public var kinds: Set<CataloguePolicy.QueryKind> {
        var kinds: Set<CataloguePolicy.QueryKind> = []
        if groupBy.contains(where: { if case .bin = $0 { true } else { false } }) { kinds.insert(.histogram) }
        if !statisticAttributes.isEmpty { kinds.insert(.statistics) }
        if kinds.isEmpty { kinds.insert(.count) }
        return kinds
    }
}

extension CataloguePolicy {
    /// Why this policy does not allow `query` for `researcher`, or nil when it does. The
    /// origin checks it against every catalogue when planning, and each provider checks its
    /// own policy again on receipt: a provider never trusts another node's reading of it.
    public func refusal(of query: Query, cellCount: Int, researcher: ResearcherID) -> String? {
        if let allowedResearchers, !allowedResearchers.contains(researcher) {
            return "policy: researcher \(researcher) is not among the researchers this provider answers"
        }
        let disallowed = query.kinds.subtracting(allowedQueryKinds)
        if !disallowed.isEmpty {
            let names = disallowed.map(\.rawValue).sorted().joined(separator: ", ")
            let allowed = allowedQueryKinds.map(\.rawValue).sorted().joined(separator: ", ")
            return "policy: \(names) queries are not allowed (allowed: \(allowed.isEmpty ? "none" : allowed))"
        }
        if cellCount > maximumCellsPerQuery {
            return "policy: the query has \(cellCount) cells; this provider allows at most \(maximumCellsPerQuery)"
        }
        return nil
    }
}
