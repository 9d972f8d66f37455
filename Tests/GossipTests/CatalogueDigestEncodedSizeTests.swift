import Gossip
import MeshCore
import Testing

/// `CatalogueDigestEntry.encodedSize` must equal the length of the real protobuf encoding,
/// including its edges: no entries, version 0 (left out, as in a pull request), long node IDs
/// and the largest versions (multi-byte varints), and lists long enough for any mix.
@Suite struct CatalogueDigestEncodedSizeTests {
    @Test func equalsTheEncodingOfRandomDigests() throws {
        var random = SeededRandom(seed: 20_261_130)
        for round in 0..<2_000 {
            let count = Int(random.next() % 40)
            let entries = try (0..<count).map { _ in
                let length = 1 + Int(random.next() % 63)
                let id = String(repeating: "n", count: length)
                let version: UInt64 =
                    switch random.next() % 4 {
                    case 0: 0
                    case 1: random.next() % 128
                    case 2: UInt64.max - random.next() % 3
                    default: random.next() >> (random.next() % 64)
                    }
                return CatalogueDigestEntry(nodeID: try NodeID(id), version: version)
            }
            let encoded: [UInt8] = try CatalogueDigestEntry.wire(entries).serializedBytes()
            #expect(CatalogueDigestEntry.encodedSize(entries) == encoded.count, "round \(round): \(entries)")
        }
    }
}
