import Testing

@testable import Aggregation

@Suite struct DisclosureControlTests {
    @Test func releasesCountsOfAtLeastK() {
        let control = DisclosureControl(k: 5)
        #expect(control.decide(count: 5) == .release)
        #expect(control.decide(count: 1000) == .release)
    }

    /// A true zero reads like a few persons: nothing tells an empty cell from a small one.
    @Test func suppressesZeroAndCountsBelowKAlike() {
        let control = DisclosureControl(k: 5)
        for count in Int64(0)..<5 {
            #expect(control.decide(count: count) == .suppress(marker: "<5"))
        }
    }

    @Test func theStrictestContributorThresholdApplies() {
        let control = DisclosureControl(contributorThresholds: [5, 11, 3])
        #expect(control.k == 11)
        #expect(control.decide(count: 10) == .suppress(marker: "<11"))
        #expect(control.decide(count: 11) == .release)
    }
}
