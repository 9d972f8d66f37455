import Foundation
import Gossip
import MeshCore

/// What a researcher may see of the mesh through the node they ask: the members that node
/// knows and the catalogues it holds, each still signed by its node.
///
/// A node answers a status request from a researcher identity with this view (its own
/// identity gets the full ``NodeStatus``). The catalogues travel signed so that the asker
/// checks them against the federation CA itself and needs to trust the node it asks only
/// for which catalogues it shows, not for what they say; `meshnode console` plans locally
/// against them to tell a researcher, before the mesh answers, which providers a query
/// reaches. Catalogues are public within the federation; the view adds nothing a node
/// does not already publish to every member.
struct MeshView: Codable, Equatable, Sendable {
    /// A member as `meshnode status` shows it.
    typealias MemberEntry = NodeStatus.MemberEntry

    /// The node that answered (the origin of the researcher's queries through it).
    var nodeID: String
    var members: [MemberEntry]
    /// Each verified catalogue the node holds, as the `WireSignedCatalogue` its node
    /// signed (base64 in JSON).
    var signedCatalogues: [Data]

    /// The most catalogues a view carries: far above any federation this mesh is built for,
    /// and a bound on what an asker decodes.
    static let catalogueCountMax = 4096

    init(nodeID: NodeID, members: [Member], catalogues: [VerifiedCatalogue]) {
        self.nodeID = nodeID.rawValue
        self.members = members.map {
            MemberEntry(nodeID: $0.nodeID.rawValue, address: $0.address, status: NodeRuntime.name($0.status), incarnation: $0.status.incarnation)
        }
        self.signedCatalogues = catalogues.prefix(Self.catalogueCountMax).map { Data($0.signed.serializedBytes()) }
    }

    func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(self)
    }

    static func decoded(_ data: Data) throws -> MeshView {
        try JSONDecoder().decode(MeshView.self, from: data)
    }

    /// The catalogues that verify against the federation CA of `credential` at `now`, and
    /// why the others did not.
    func verifiedCatalogues(trusting credential: Credential, now: Date) -> (catalogues: [Catalogue], rejected: [String]) {
        let verifier = CatalogueVerifier(caCertificate: credential.caCertificate)
        var catalogues: [Catalogue] = []
        var rejected: [String] = []
        for bytes in signedCatalogues.prefix(Self.catalogueCountMax) {
            do {
                let signed = try SignedCatalogue(serializedBytes: Array(bytes))
                catalogues.append(try verifier.verify(signed, now: now).catalogue)
            } catch {
                rejected.append(error.message)
            }
        }
        return (catalogues, rejected)
    }
}
