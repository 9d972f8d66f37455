import Foundation
import Gossip
import MeshCore

/// The catalogue each simulated node publishes: a real catalogue over the reference schema,
/// built and signed as a node builds its own, describing a site of a size that is a function
/// of the node's index (not of the seed, so catalogues are the same in every run). No rows
/// are drawn here: scenarios that query data give the node a `SiteSummary` of real rows.
public enum SimulatedCatalogue {
    public static func subjectCount(index: Int) -> Int {
        40 + (index &* 7919) % 960
    }

    /// - Parameters:
    ///   - summary: what the site holds, when a scenario gives it data (the query
    ///     scenario); nil publishes only the subject count.
    ///   - aggregationPublicKey: the node's X25519 public key of secure aggregation; nil
    ///     publishes filler bytes of the same length (catalogues no query runs against).
    public static func catalogue(
        node: NodeID, index: Int, version: UInt64, now: Date, minimumCellSize: Int, summary: SiteSummary? = nil, aggregationPublicKey: [UInt8]? = nil
    ) throws -> Catalogue {
        let policy = CataloguePolicy(minimumCellSize: minimumCellSize, allowedQueryKinds: [.count, .histogram], maximumCellsPerQuery: 500)
        let key = aggregationPublicKey ?? (0..<Catalogue.aggregationPublicKeyByteCount).map { UInt8(truncatingIfNeeded: index &* 31 &+ $0) }
        return try CatalogueBuilder(schema: Schema.reference).build(
            nodeID: node,
            siteName: "Simulated site \(index)",
            country: ["DE", "FR", "IT", "ES", "NL", "SE", "PL", "PT"][index % 8],
            endpoints: [SimulatedFederation.address(index)],
            summary: summary ?? SiteSummary(subjectCount: subjectCount(index: index)),
            policy: policy,
            aggregationPublicKey: key,
            version: version,
            now: now
        )
    }
}
