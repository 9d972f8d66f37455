import MeshCore
import QueryPlanner

/// The data of a `planned` event: what the console expects of a query from the catalogues
/// the node holds, by the very planner the node runs (``FederatedPlanner``): the providers
/// it will ask, those it leaves out and why, the cells and K. The node plans again on its
/// own; the result's coverage is what counts.
struct ConsolePlan: Codable, Equatable, Sendable {
    var origin: String
    var normalisedQuery: String
    var targets: [String]
    var pruned: [String: String]
    var refused: [String: String]
    /// Providers the node knows but does not see alive; the result names them failed.
    var absent: [String]
    var cells: Int
    var k: Int
    var noiseSigma: Double

    enum CodingKeys: String, CodingKey {
        case origin, targets, pruned, refused, absent, cells, k
        case normalisedQuery = "normalised_query"
        case noiseSigma = "noise_sigma"
    }

    /// Plans `submission` for `researcher` against `snapshot`, as its origin would.
    init(_ submission: QuerySubmission, researcher: ResearcherID, snapshot: ConsoleMeshSnapshot) throws(PlanningError) {
        let (usable, absent) = FederatedPlanner.catalogues(known: snapshot.catalogues, live: snapshot.livePeers, origin: snapshot.origin)
        var random = SystemRandomNumberGenerator()
        let outcome = try FederatedPlanner.plan(
            submission, researcher: researcher, origin: snapshot.origin, catalogues: usable, nowMilliseconds: UnixMilliseconds.now(), random: &random
        )
        let names = { (map: [NodeID: String]) in Dictionary(uniqueKeysWithValues: map.map { ($0.key.rawValue, $0.value) }) }
        origin = snapshot.origin.rawValue
        normalisedQuery = outcome.plan.normalisedQuery
        targets = outcome.plan.targets.map(\.rawValue).sorted()
        pruned = names(outcome.pruned)
        refused = names(outcome.refused)
        self.absent = absent.map(\.rawValue).sorted()
        cells = outcome.plan.cells.count
        k = outcome.strictestK
        noiseSigma = outcome.plan.noiseSigma
    }
}
