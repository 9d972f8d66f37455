import Crypto
import Foundation
import Gossip
import MeshCore

/// One node of a simulated mesh: the real membership core and catalogue dissemination
/// core, its own signing key, and what the simulated shell keeps (what the real shells keep
/// in their actors).
public struct SimulatedNode {
    public let index: Int
    public let id: NodeID
    public let address: String
    public var swim: SWIMInstance
    /// The node's catalogue dissemination (the real `CatalogueShell` drives the same core).
    public internal(set) var catalogues: CatalogueDissemination
    public let signer: CatalogueSigner
    /// The node's long-term X25519 key of secure aggregation (`aggregation.key` on a real
    /// node); its catalogue publishes the public half. It survives crashes.
    public let aggregationKey: Curve25519.KeyAgreement.PrivateKey
    /// Whether the process runs; a crashed node handles no message and no timer.
    public var isUp = true
    /// Whether the node has started (join called).
    public var started = false
    /// Which process of the node runs: raised at each restart.
    public internal(set) var generation = 0
    /// Members this node believes alive, from its membership events (the shell's `livePeers`).
    public var live = LiveSet()
    /// The encoded size of the digest at the core's `changeCount` it was measured at.
    var digestBytes: (changeCount: Int, bytes: Int)?
    /// When the core's next housekeeping wake is scheduled, if one is.
    var wakeScheduledAt: Duration?

    init(
        index: Int, id: NodeID, swim: SWIMInstance, catalogues: CatalogueDissemination, signer: CatalogueSigner,
        aggregationKey: Curve25519.KeyAgreement.PrivateKey
    ) {
        self.catalogues = catalogues
        self.aggregationKey = aggregationKey
        self.index = index
        self.id = id
        self.address = swim.localAddress
        self.swim = swim
        self.signer = signer
    }

    /// The catalogues this node holds.
    public var store: CatalogueStore { catalogues.store }
    /// This node's newest catalogue, as published.
    public var ownCatalogue: Catalogue? { catalogues.own }
    /// Catalogues held, one per owner.
    public var heldCount: Int { catalogues.heldCount }
    /// An order-independent hash of the versions held: equal on two nodes holding the same.
    public var fingerprint: UInt64 { catalogues.fingerprint }

    /// The version of `node`'s catalogue this node holds, if any.
    public func heldVersion(of node: NodeID) -> UInt64? {
        store.catalogue(of: node)?.catalogue.version
    }
}
