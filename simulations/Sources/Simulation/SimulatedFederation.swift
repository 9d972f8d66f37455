import Foundation
import Gossip
import MeshCore

/// The public-key infrastructure of a simulated mesh: one federation CA and one node
/// certificate per node (the SAN names the node, as catalogue verification requires), all
/// made in memory. Keys are fresh each run; nothing the simulation decides depends on them.
public struct SimulatedFederation: Sendable {
    /// Wall-clock time at virtual time zero: certificates and catalogues are dated from it.
    public static let epoch = Date(timeIntervalSince1970: 1_800_000_000)

    public let ca: FederationCA
    public let credentials: [Credential]
    public let nodeIDs: [NodeID]

    public init(nodeCount: Int) throws {
        let ca = try FederationCA.create(now: Self.epoch)
        let nodeIDs = try (0..<nodeCount).map { try NodeID(String(format: "site-%04d", $0)) }
        credentials = try nodeIDs.enumerated().map { index, node in
            try ca.issue(.node(node), hosts: [Self.host(index)], now: Self.epoch)
        }
        self.ca = ca
        self.nodeIDs = nodeIDs
    }

    public static func host(_ index: Int) -> String {
        "10.\(index / 65536 % 256).\(index / 256 % 256).\(index % 256)"
    }

    public static func address(_ index: Int) -> String { "\(host(index)):7400" }

    /// Wall-clock time at virtual time `now`.
    public static func date(_ now: Duration) -> Date {
        epoch.addingTimeInterval(now.secondsValue)
    }

    public func verifier() -> CatalogueVerifier {
        CatalogueVerifier(caCertificate: ca.certificate)
    }
}
