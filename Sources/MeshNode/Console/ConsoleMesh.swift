import Foundation
import Gossip
import MeshCore
import QueryPlanner

/// What the console needs from the mesh, as the researcher: the node's view (members and
/// verified catalogues) and the answer to a query. ``ResearcherMeshClient`` speaks to a
/// real node over mutual TLS; the API tests give a scripted one.
protocol ConsoleMesh: Sendable {
    /// The researcher the console acts for (from their certificate).
    var researcher: ResearcherID { get }
    /// The node the console asks, as the researcher gave it ("127.0.0.1:7400").
    var nodeAddress: String { get }
    /// The node's members and the catalogues it holds that verify against the federation CA.
    func view() async throws -> ConsoleMeshSnapshot
    /// Submits `submission` and waits for the released result with its coverage.
    func ask(_ submission: QuerySubmission) async throws -> FederatedResult
}

/// One mesh view with its catalogues verified.
struct ConsoleMeshSnapshot: Sendable, Equatable {
    var origin: NodeID
    var members: [MeshView.MemberEntry]
    var catalogues: [Catalogue]
    /// Why catalogues the node showed did not verify here (normally none).
    var rejected: [String]
    var fetchedAt: Date

    /// The other members the node sees alive: with the origin, who a query reaches.
    var livePeers: Set<NodeID> {
        Set(members.filter { $0.status == "alive" }.compactMap { try? NodeID($0.nodeID) }).subtracting([origin])
    }
}
