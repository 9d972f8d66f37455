import Foundation
import Gossip
import MeshCore
import QueryPlanner
import Transport

/// The console's way into the mesh: one node, the researcher's credential, and a view reused
/// for ``ConsoleSettings/viewReuseSeconds``. Queries go through ``QueryCommand/ask(_:node:credential:)``,
/// exactly as `meshnode query` sends them.
actor ResearcherMeshClient: ConsoleMesh {
    nonisolated let researcher: ResearcherID
    nonisolated let nodeAddress: String
    private let node: PeerAddress
    private let credential: Credential
    private let settings: ConsoleSettings
    private var reused: ConsoleMeshSnapshot?

    init(node: PeerAddress, nodeAddress: String, credential: Credential, settings: ConsoleSettings) throws {
        let identity = try credential.identity
        guard case .researcher(let researcher) = identity else {
            throw CommandFailure("the identity is \(identity), not a researcher; issue one with `meshnode ca issue-researcher`")
        }
        self.researcher = researcher
        self.node = node
        self.nodeAddress = nodeAddress
        self.credential = credential
        self.settings = settings
    }

    func view() async throws -> ConsoleMeshSnapshot {
        if let reused, Date().timeIntervalSince(reused.fetchedAt) < settings.viewReuseSeconds {
            return reused
        }
        let response = try await MeshSession.exchange(
            with: node, credential: credential, timeout: .milliseconds(Int64(settings.viewTimeoutSeconds * 1000))
        ) { _ in
            var request = Envelope()
            request.kind = .status
            return request
        }
        guard response.status == .ok else {
            throw CommandFailure("\(nodeAddress) did not give its mesh view: \(response.statusMessage.isEmpty ? "\(response.status)" : response.statusMessage)")
        }
        let view: MeshView
        do {
            view = try MeshView.decoded(response.body)
        } catch {
            throw CommandFailure("the mesh view of \(nodeAddress) does not decode (is the node older than the console?): \(error)")
        }
        let now = Date()
        let (catalogues, rejected) = view.verifiedCatalogues(trusting: credential, now: now)
        let snapshot = ConsoleMeshSnapshot(
            origin: try NodeID(view.nodeID), members: view.members, catalogues: catalogues, rejected: rejected, fetchedAt: now
        )
        reused = snapshot
        return snapshot
    }

    nonisolated func ask(_ submission: QuerySubmission) async throws -> FederatedResult {
        try await QueryCommand.ask(submission, node: node, credential: credential)
    }
}
