import Crypto
import Foundation
import Gossip
import MeshCore

/// One node of a simulated mesh: the real membership core and catalogue store, its own
/// signed catalogue, and the bookkeeping the simulated shell needs (what the real shells
/// keep in their actors).
public struct SimulatedNode {
    public let index: Int
    public let id: NodeID
    public let address: String
    public var swim: SWIMInstance
    public var store: CatalogueStore
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
    /// This node's newest catalogue, as published.
    public var ownCatalogue: Catalogue?
    /// Members this node believes alive, from its membership events (the shell's `livePeers`).
    public var live = LiveSet()
    /// Catalogues held, and an order-independent fingerprint of (node, version) over them:
    /// two nodes with equal fingerprints hold the same versions, so a digest exchange
    /// between them pulls nothing.
    public var heldCount = 0
    public var fingerprint: UInt64 = 0
    /// The digest as last encoded, reset whenever the store changes.
    var digestCache: (entries: [CatalogueDigestEntry], encodedBytes: Int)?
    /// What to pull from whom, as the real shell keeps it.
    var pulls: CataloguePulls
    /// Whether a retry check of `pulls` is scheduled.
    var pullRetryScheduled = false
    /// The shell's own random source (choice of anti-entropy peer).
    var random: SeededRandom

    init(
        index: Int, id: NodeID, swim: SWIMInstance, store: CatalogueStore, signer: CatalogueSigner, aggregationKey: Curve25519.KeyAgreement.PrivateKey, seed: UInt64,
        pulls: CataloguePulls
    ) {
        self.pulls = pulls
        self.aggregationKey = aggregationKey
        self.index = index
        self.id = id
        self.address = swim.localAddress
        self.swim = swim
        self.store = store
        self.signer = signer
        self.random = SeededRandom(seed: seed)
    }

    /// The version of `node`'s catalogue this node holds, if any.
    public func heldVersion(of node: NodeID) -> UInt64? {
        store.catalogue(of: node)?.catalogue.version
    }

    static func fingerprintTerm(node: Int, version: UInt64) -> UInt64 {
        var z = (UInt64(node) << 32) ^ version &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
