import Foundation
import Gossip
import MeshCore
import Testing

/// The disclosure rules of a catalogue: rounded counts, "<k", ranges rounded outwards.
@Suite struct CatalogueBuilderTests {
    @Test(arguments: [
        (1234, 1230), (1235, 1240), (15, 20), (14, 10), (5, 10), (6, 10), (100, 100),
    ])
    func subjectCountsRoundToTheNearestTen(_ count: Int, _ published: UInt64) {
        #expect(CatalogueBuilder.publishedSubjects(count, k: 5) == .rounded(published))
    }

    @Test func countsBelowKAreOnlyShownAsBelowK() throws {
        #expect(CatalogueBuilder.publishedSubjects(4, k: 5) == .belowK(k: 5))
        #expect(CatalogueBuilder.publishedSubjects(0, k: 5) == .belowK(k: 5))
        #expect(CatalogueBuilder.publishedSubjects(4, k: 5).description == "<5")
        let fixtures = try CatalogueFixtures()
        let small = try fixtures.catalogue(summary: SiteSummary(subjectCount: 3))
        #expect(small.datasets.first?.subjects == .belowK(k: 5))
        // The wire carries a flag and no count: the true small count is nowhere in the bytes.
        let wire = small.wire.datasets[0]
        #expect(wire.belowK && wire.subjectCount == 0)
    }

    @Test func rangesRoundOutwardsToTheGrid() {
        #expect(CatalogueBuilder.roundOutwards(234...917, grid: 100) == 200...1000)
        #expect(CatalogueBuilder.roundOutwards(200...1000, grid: 100) == 200...1000)
        #expect(CatalogueBuilder.roundOutwards(-15...(-1), grid: 10) == -20...0)
        #expect(CatalogueBuilder.roundOutwards(-20...21, grid: 10) == -20...30)
    }

    @Test func catalogueDomainsFollowTheSchemaAndSummary() throws {
        let fixtures = try CatalogueFixtures()
        var settings = CatalogueBuilder.Settings()
        settings.numericGrids["slice_thickness_mm"] = 0.5
        let catalogue = try fixtures.catalogue(
            summary: SiteSummary(
                subjectCount: 1234,
                categoricalCodes: ["sex": ["F", "M"], "diagnosis": ["C50"]],
                // age 23.4 to 119.7 years at scale 1; slice thickness 0.63 to 4.9 mm at scale 2
                numericRanges: ["age_at_diagnosis": 234...1197, "slice_thickness_mm": 63...490]
            ),
            settings: settings
        )
        #expect(catalogue.datasets == [.init(name: "cases", description: CatalogueBuilder.Settings().datasetDescription, subjects: .rounded(1230))])
        #expect(catalogue.attributes.map(\.name) == ["sex", "diagnosis", "age_at_diagnosis", "slice_thickness_mm"])
        #expect(catalogue.attributes[0].domain == .categorical(codes: ["M", "F"]), "vocabulary order, only codes held")
        // 23.4...119.7 on a 10-year grid is 20...120 (120 is the declared maximum anyway).
        #expect(catalogue.attributes[2].domain == .numeric(unit: "years", scale: 1, range: 200...1200))
        #expect(catalogue.attributes[3].domain == .numeric(unit: "mm", scale: 2, range: 50...500))
        #expect(catalogue.expiresAtMilliseconds - catalogue.issuedAtMilliseconds == 24 * 3600 * 1000)
    }

    @Test func rangesNeverExceedTheDeclaredBounds() throws {
        let fixtures = try CatalogueFixtures()
        var settings = CatalogueBuilder.Settings()
        settings.numericGrids["age_at_diagnosis"] = 50
        let catalogue = try fixtures.catalogue(summary: SiteSummary(subjectCount: 50, numericRanges: ["age_at_diagnosis": 10...1150]), settings: settings)
        #expect(catalogue.attributes[2].domain == .numeric(unit: "years", scale: 1, range: 0...1200))
    }

    @Test func refusesInconsistentInputsByName() throws {
        let fixtures = try CatalogueFixtures()
        #expect(throws: CatalogueBuildError("the site summary lists code 'C99' for 'diagnosis', which is not in its schema vocabulary")) {
            _ = try fixtures.catalogue(summary: SiteSummary(subjectCount: 10, categoricalCodes: ["diagnosis": ["C99"]]))
        }
        #expect(throws: CatalogueBuildError("the site summary describes 'weight', which the schema does not declare")) {
            _ = try fixtures.catalogue(summary: SiteSummary(subjectCount: 10, numericRanges: ["weight": 1...2]))
        }
    }

    @Test func wireRoundTrip() throws {
        let catalogue = try CatalogueFixtures().catalogue()
        #expect(try Catalogue(decoding: catalogue.encoded()) == catalogue)
    }
}
