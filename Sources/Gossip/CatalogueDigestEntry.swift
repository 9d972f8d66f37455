import MeshCore

/// One entry of a catalogue digest: a node and the version of its catalogue held. Peers
/// exchange digests and pull the catalogues whose version is newer (``CatalogueStore/missing(from:)``).
public struct CatalogueDigestEntry: Sendable, Hashable {
    public let nodeID: NodeID
    public let version: UInt64

    public init(nodeID: NodeID, version: UInt64) {
        self.nodeID = nodeID
        self.version = version
    }

    /// A digest as the `CatalogueDigest` message of Catalogue.proto.
    public static func wire(_ entries: [CatalogueDigestEntry]) -> WireCatalogueDigest {
        var message = WireCatalogueDigest()
        message.entries = entries.map { entry in
            var wire = WireCatalogueDigest.Entry()
            wire.nodeID = entry.nodeID.rawValue
            wire.version = entry.version
            return wire
        }
        return message
    }

    /// The entries of a received digest. An entry with an invalid node ID is skipped: no
    /// catalogue could ever be accepted for it, so there is nothing to pull.
    public static func entries(from message: WireCatalogueDigest) -> [CatalogueDigestEntry] {
        message.entries.compactMap { wire in
            (try? NodeID(wire.nodeID)).map { CatalogueDigestEntry(nodeID: $0, version: wire.version) }
        }
    }
}
