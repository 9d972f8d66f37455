import Aggregation
import Testing

@Suite struct DisclosureControlTests {
    @Test func releasesZeroAndCountsOfAtLeastK() {
        let control = DisclosureControl(k: 5)
        #expect(control.decide(distinctSubjects: 0) == .release)
        #expect(control.decide(distinctSubjects: 5) == .release)
        #expect(control.decide(distinctSubjects: 1000) == .release)
    }

    @Test func suppressesEverySmallCellAsLessThanK() {
        let control = DisclosureControl(k: 5)
        for subjects in 1..<5 {
            #expect(control.decide(distinctSubjects: subjects) == .suppress(marker: "<5"))
        }
    }

    @Test func usesTheStrictestContributor() {
        let control = DisclosureControl(contributorThresholds: [5, 11, 3])
        #expect(control.k == 11)
        #expect(control.decide(distinctSubjects: 10) == .suppress(marker: "<11"))
        #expect(control.decide(distinctSubjects: 11) == .release)
    }
}
