import MeshCore
@testable import MeshNode
import Testing

/// Site vocabularies onto the data dictionary: what maps, what is refused with its line, and
/// what an import reports as unmapped.
@Suite struct VocabularyMappingTests {
    static let text = """
        version: 1
        manufacturer:
          SIEMENS: [SIEMENS, "Siemens Healthineers", "SIEMENS HEALTHCARE GMBH"]
          GE: ["GE MEDICAL SYSTEMS", GE Healthcare]
          CANON: CANON_MEC
        diagnosis:
          C61: ["ICD-10:C61", "SNOMED:399068003"]
          C50: ["SNOMED:254837009"]
        """

    @Test func siteValuesMapWithoutCaseOrPaddingAndCodesMapToThemselves() throws {
        let mapping = try VocabularyMapping(parsing: Self.text, file: "mapping.yaml", schema: .reference)
        #expect(mapping.code(for: "Siemens Healthineers", of: "manufacturer") == "SIEMENS")
        #expect(mapping.code(for: "  siemens healthcare gmbh \u{0}", of: "manufacturer") == "SIEMENS")
        #expect(mapping.code(for: "GE Healthcare", of: "manufacturer") == "GE")
        #expect(mapping.code(for: "CANON_MEC", of: "manufacturer") == "CANON")
        #expect(mapping.code(for: "SNOMED:399068003", of: "diagnosis") == "C61")
        // A dictionary code needs no entry, in any case; an attribute without a section too.
        #expect(mapping.code(for: "philips", of: "manufacturer") == "PHILIPS")
        #expect(mapping.code(for: "MR", of: "modality") == "MR")
        #expect(mapping.code(for: "Toshiba", of: "manufacturer") == nil)
        #expect(mapping.code(for: "SNOMED:0", of: "diagnosis") == nil)
    }

    @Test(arguments: [
        ("manufacturer:\n  SIEMENS: [a]\n", 1, "missing 'version: 1'"),
        ("version: 2\n", 1, "version 2 is not supported"),
        ("version: 1\nmanufacturers:\n  GE: [a]\n", 2, "did you mean 'manufacturer'"),
        ("version: 1\nage_at_diagnosis:\n  '50': [a]\n", 2, "not a categorical attribute"),
        ("version: 1\nmanufacturer:\n  SIEMENZ: [a]\n", 3, "'SIEMENZ' is not a code of the dictionary"),
        ("version: 1\nmanufacturer:\n  GE: [Acme]\n  PHILIPS: [acme]\n", 4, "'acme' is listed under both GE and PHILIPS"),
        ("version: 1\nmanufacturer:\n  GE: ['  ']\n", 3, "site values are non-empty text"),
        ("version: 1\nmanufacturer: GE\n", 2, "map each dictionary code to a list"),
    ])
    func badMappingsNameTheLine(_ text: String, _ line: Int, _ message: String) {
        do {
            _ = try VocabularyMapping(parsing: text, file: "site/mapping.yaml", schema: .reference)
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.line == line, "\(error)")
            #expect(error.description.hasPrefix("site/mapping.yaml:"), "\(error)")
            #expect(error.message.contains(message), "\(error)")
        }
    }

    @Test func unmappedValuesAreCountedWithExamplesMostFrequentFirst() {
        var unmapped = UnmappedValues()
        #expect(unmapped.isEmpty)
        for study in 1...5 { unmapped.record("Toshiba", of: "manufacturer", at: "study \(study)") }
        unmapped.record("SNOMED:1", of: "diagnosis", at: "clinical.csv:7")
        unmapped.record("Acme", of: "manufacturer", at: "study 9")
        #expect(unmapped.total == 7)
        #expect(
            unmapped.report == [
                "diagnosis: 'SNOMED:1' unmapped in 1 record (e.g. clinical.csv:7)",
                "manufacturer: 'Toshiba' unmapped in 5 records (e.g. study 1, study 2, study 3)",
                "manufacturer: 'Acme' unmapped in 1 record (e.g. study 9)",
            ])
    }
}
