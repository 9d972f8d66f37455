import MeshCore

/// The length of ``CatalogueDigestEntry/wire(_:)`` encoded, computed from the entries alone
/// (Catalogue.proto, `CatalogueDigest`).
///
/// A simulator of a thousand nodes sends a thousand-entry digest every anti-entropy round of
/// every node and only needs its size; building and encoding the protobuf message to count
/// its bytes cost more than comparing the digests. The rules are those of
/// ``SWIMMessage/encodedSize``; a test keeps this equal to the real encoding.
extension CatalogueDigestEntry {
    /// The number of bytes `wire(entries).serializedBytes()` produces.
    public static func encodedSize(_ entries: [CatalogueDigestEntry]) -> Int {
        var size = 0
        for entry in entries {
            size += SWIMMessage.embedded(SWIMMessage.string(entry.nodeID.rawValue) + SWIMMessage.scalar(entry.version))
        }
        return size
    }
}
