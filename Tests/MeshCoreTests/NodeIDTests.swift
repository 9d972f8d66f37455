import MeshCore
import Testing

@Suite struct NodeIDTests {
    @Test(arguments: ["a", "hospital-a", "site-42", "0", String(repeating: "x", count: 63)])
    func acceptsValidIDs(_ value: String) throws {
        #expect(try NodeID(value).rawValue == value)
        #expect(try ResearcherID(value).rawValue == value)
    }

    @Test(arguments: [
        ("", "must not be empty"),
        ("Hospital", "contains 'H' at position 1"),
        ("site_a", "contains '_' at position 5"),
        ("site a", "contains ' '"),
        ("café", "contains '\\u{00E9}'"),
        ("a.b", "contains '.'"),
        (String(repeating: "x", count: 64), "has 64 characters; at most 63"),
    ])
    func refusesInvalidIDs(_ value: String, _ expectedMessage: String) {
        #expect {
            try NodeID(value)
        } throws: { error in
            (error as? IdentifierError)?.message.contains(expectedMessage) == true
        }
    }

    @Test func parsesSANURIs() throws {
        #expect(try PeerIdentity(uri: "urn:oncomesh:node:hospital-a") == .node(try NodeID("hospital-a")))
        #expect(try PeerIdentity(uri: "urn:oncomesh:researcher:r-1") == .researcher(try ResearcherID("r-1")))
        #expect(try PeerIdentity(uri: "https://example.org/") == nil)
        #expect(throws: IdentifierError.self) { try PeerIdentity(uri: "urn:oncomesh:node:BAD") }
    }

    @Test func seededRandomReplays() {
        var first = SeededRandom(seed: 42)
        var second = SeededRandom(seed: 42)
        var other = SeededRandom(seed: 43)
        let a = (0..<8).map { _ in first.next() }
        #expect(a == (0..<8).map { _ in second.next() })
        #expect(a != (0..<8).map { _ in other.next() })
    }
}
