import BenchmarkKit
import Testing

@Suite struct CatalogueCorpusTests {
    @Test func sameSeedSameBytes() {
        let first = CatalogueCorpus.generate(bytes: 100_000)
        #expect(first.count == 100_000)
        #expect(first == CatalogueCorpus.generate(bytes: 100_000))
        #expect(first != CatalogueCorpus.generate(bytes: 100_000, seed: 1))
    }

    /// A shorter corpus is a prefix of a longer one, so payloads of every size are cut from
    /// the same text.
    @Test func shorterIsPrefixOfLonger() {
        let long = CatalogueCorpus.generate(bytes: 65_536)
        #expect(Array(long.prefix(4096)) == CatalogueCorpus.generate(bytes: 4096))
    }

    @Test func isCatalogueText() {
        let text = String(decoding: CatalogueCorpus.generate(bytes: 20_000), as: UTF8.self)
        #expect(text.hasPrefix("# partial q-000000"))
        #expect(text.contains(",C50,"))
        #expect(text.contains("\"modality\":\""))
    }
}
