import Gossip
import MeshCore
import Simulation
import Testing

@Suite struct BundleSizeTests {
    /// The simulator counts bundle bytes from each catalogue's own encoding; it must equal the
    /// encoding of the whole bundle message.
    @Test func countedBundleBytesEqualTheEncodedBundle() throws {
        let simulator = try Simulator(nodeCount: 4, seed: 3)
        for node in 0..<4 { try simulator.start(node, seeds: [0]) }
        let catalogues = (0..<4).map { simulator.nodes[$0].store.catalogue(of: simulator.nodes[$0].id)!.signed }
        var bundle = WireCatalogueBundle()
        bundle.catalogues = catalogues.map(\.wire)
        let encoded: [UInt8] = try bundle.serializedBytes()
        #expect(simulator.bundleSizeForTesting(catalogues) == encoded.count)
    }
}
