import Crypto
import Foundation
import MeshCore
import Testing

@testable import Aggregation

/// The snapshot as the site database stores it: it decodes to the same columns, keying it
/// gives exactly the record keys the builder gives, and a damaged, other-version or
/// other-schema encoding is refused with a clear reason.
@Suite struct StoredSnapshotTests {
    /// A random site with interleaved subjects, NULLs, and identical studies of one person
    /// (whose keys differ only by their occurrence).
    static func site(seed: UInt64, subjects: Int = 300) -> RandomSite {
        var random = SeededRandom(seed: seed)
        var rows = RandomSite(random: &random, subjects: subjects).rows
        rows += rows.prefix(7)
        rows.insert(rows[3], at: 11)
        return RandomSite(rows: rows)
    }

    /// Pseudonyms by dense index: in order of first appearance, as the builder numbers them.
    static func pseudonyms(_ site: RandomSite) -> [String] {
        var seen = Set<String>()
        return site.rows.map(\.subject).filter { seen.insert($0).inserted }
    }

    static func stored(_ site: RandomSite) throws -> StoredSnapshot {
        StoredSnapshot(snapshot: try site.snapshot(), pseudonyms: pseudonyms(site))
    }

    /// Columns and subjects compared through the encoding, which writes all of them.
    static func sameColumns(_ a: ColumnarSnapshot, _ b: ColumnarSnapshot, pseudonyms: [String]) -> Bool {
        StoredSnapshot(snapshot: a, pseudonyms: pseudonyms).encoded() == StoredSnapshot(snapshot: b, pseudonyms: pseudonyms).encoded()
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func decodingGivesTheSameColumnsAndKeyingTheBuildersKeys(seed: UInt64) throws {
        let site = Self.site(seed: seed)
        let keyer = CellKeyNoiseTests.secret(seed)
        let stored = try Self.stored(site)
        let decoded = try stored.encoded().withUnsafeBytes { try StoredSnapshot(decoding: $0, schema: RandomSite.schema) }
        #expect(Self.sameColumns(decoded.snapshot, stored.snapshot, pseudonyms: Self.pseudonyms(site)))
        #expect((0..<decoded.snapshot.subjectCount).map(decoded.pseudonym) == Self.pseudonyms(site))

        let expected = try site.snapshot(keyer: keyer)
        let keyed = decoded.keyed(by: keyer)
        #expect(keyed.subjectKeys == expected.subjectKeys)
        #expect(keyed.studyKeys == expected.studyKeys)
        #expect(Set(keyed.studyKeys).count == keyed.rowCount, "identical studies of one person get distinct keys")
        #expect(Self.sameColumns(keyed, expected, pseudonyms: Self.pseudonyms(site)))
    }

    /// Keying splits the rows across tasks at subject boundaries; every split gives the same keys.
    @Test func chunkBoundariesFallOnSubjectStarts() {
        let subjects: [Int32] = [0, 0, 0, 1, 2, 2, 3, 3, 3, 3, 4]
        for chunks in 1...6 {
            let boundaries = StoredSnapshot.chunkBoundaries(subjects: subjects, subjectCount: 5, chunks: chunks)
            #expect(boundaries.count == chunks + 1)
            #expect(boundaries.first! == (0, 0) && boundaries.last! == (5, subjects.count))
            for (subject, row) in boundaries.dropLast() where row < subjects.count {
                #expect(Int(subjects[row]) == subject && (row == 0 || subjects[row - 1] != subjects[row]))
            }
        }
    }

    @Test func theKeyedHashIsHMACSHA256() {
        let key = (0..<32).map { UInt8($0 * 7 + 1) }
        let hmac = PrecomputedHMAC(key: key)
        var random = SeededRandom(seed: 9)
        for length in [0, 1, 17, 55, 56, 63, 64, 65, 119, 128, 300] {
            let message = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
            let reference = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key))
            let expected = reference.withUnsafeBytes { $0.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) } }
            #expect(message.withUnsafeBytes { hmac.truncatedCode($0) } == expected, "message of \(length) bytes")
        }
    }

    @Test func aDamagedEncodingIsRefusedByItsChecksum() throws {
        var bytes = try Self.stored(Self.site(seed: 4, subjects: 40)).encoded()
        bytes[bytes.count / 2] ^= 0x10
        #expect(throws: StoredSnapshotError(description: "the stored snapshot's checksum does not match its content (damaged)")) {
            try bytes.withUnsafeBytes { try StoredSnapshot(decoding: $0, schema: RandomSite.schema) }
        }
        #expect(throws: StoredSnapshotError.self) {
            try Array(bytes.prefix(bytes.count - 100)).withUnsafeBytes { try StoredSnapshot(decoding: $0, schema: RandomSite.schema) }
        }
        #expect(throws: StoredSnapshotError.self) {
            try Array(bytes.prefix(10)).withUnsafeBytes { try StoredSnapshot(decoding: $0, schema: RandomSite.schema) }
        }
    }

    @Test func anotherFormatVersionIsRefusedByName() throws {
        var bytes = try Self.stored(Self.site(seed: 5, subjects: 40)).encoded()
        bytes[StoredSnapshot.magic.count] = 99
        // Resealed, so that the version and not the checksum is what is refused.
        bytes.replaceSubrange(bytes.count - 32..<bytes.count, with: Array(SHA256.hash(data: bytes.dropLast(32))))
        #expect(throws: StoredSnapshotError(description: "the stored snapshot has format version 99; this node reads version 1")) {
            try bytes.withUnsafeBytes { try StoredSnapshot(decoding: $0, schema: RandomSite.schema) }
        }
    }

    @Test func anotherSchemaIsRefused() throws {
        let bytes = try Self.stored(Self.site(seed: 6, subjects: 40)).encoded()
        #expect(throws: StoredSnapshotError(description: "the stored snapshot was made for another schema than the stored one")) {
            try bytes.withUnsafeBytes { try StoredSnapshot(decoding: $0, schema: Schema.reference) }
        }
    }

    /// A correctly sealed encoding whose codes fall outside the vocabulary is refused, not
    /// handed to the executor.
    @Test func codesOutsideTheVocabularyAreRefused() throws {
        let site = Self.site(seed: 7, subjects: 5)
        let stored = try Self.stored(site)
        let sex = RandomSite.schema.attributes.firstIndex { $0.name == "sex" }!
        guard case .categorical(.narrow(let codes)) = stored.snapshot.columns[sex] else { Issue.record("sex is narrow"); return }
        var changed = codes
        changed[0] = 200
        var columns = stored.snapshot.columns
        columns[sex] = .categorical(.narrow(changed))
        let bad = ColumnarSnapshot(
            schema: RandomSite.schema, subjects: stored.snapshot.subjects, subjectCount: stored.snapshot.subjectCount, columns: columns,
            subjectKeys: stored.snapshot.subjectKeys, studyKeys: stored.snapshot.studyKeys
        )
        let bytes = StoredSnapshot(snapshot: bad, pseudonyms: Self.pseudonyms(site)).encoded()
        #expect(throws: StoredSnapshotError(description: "the stored snapshot's column sex holds a code outside its vocabulary")) {
            try bytes.withUnsafeBytes { try StoredSnapshot(decoding: $0, schema: RandomSite.schema) }
        }
    }

    @Test func vocabularyCodesFindEveryCodeByItsBytesAndNothingElse() {
        let vocabulary = ["C50", "C61", "C34", "CT", "C", "", "WHOLEBODY", "Ω-unit", "C50"]
        let codes = VocabularyCodes(vocabulary: vocabulary)
        func lookup(_ text: String) -> UInt16? {
            Array(text.utf8).withUnsafeBufferPointer { codes.code(of: $0) }
        }
        for (index, code) in vocabulary.enumerated() {
            #expect(lookup(code) == UInt16(vocabulary.firstIndex(of: code)! + 1), "\(code) at \(index)")
        }
        for missing in ["C5", "C500", "c50", "WHOLEBOD", "Ω", " C50"] {
            #expect(lookup(missing) == nil, "\(missing)")
        }
    }
}
