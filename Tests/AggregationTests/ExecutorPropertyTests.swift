import Aggregation
import Foundation
import MeshCore
import Testing

/// Properties over random sites and random queries, each run replayable from its seed.
@Suite struct ExecutorPropertyTests {
    static let seeds: [UInt64] = Array(1...40)

    /// The executor equals the same query run as SQL by SQLite on the same rows.
    @Test(arguments: seeds)
    func executorEqualsSQLite(seed: UInt64) throws {
        var random = SeededRandom(seed: seed)
        let site = RandomSite(random: &random, subjects: Int.random(in: 1...120, using: &random))
        let executor = LocalExecutor(snapshot: try site.snapshot())
        let oracle = try SQLiteOracle(site: site)
        for _ in 0..<25 {
            let query = RandomSite.randomQuery(&random)
            let ours = try executor.execute(query)
            let theirs = try oracle.run(query)
            #expect(ours == theirs, "seed \(seed): \(query)")
            if ours != theirs { return }
        }
    }

    /// Merging the partials of any split of the sites, in any order and any tree shape, and
    /// through the wire encoding, equals executing on the whole.
    @Test(arguments: seeds)
    func mergingAnySplitEqualsTheWhole(seed: UInt64) throws {
        var random = SeededRandom(seed: seed &* 7919)
        let whole = RandomSite(random: &random, subjects: Int.random(in: 1...150, using: &random))
        let parts = whole.split(into: Int.random(in: 1...6, using: &random), random: &random)
        let wholeExecutor = LocalExecutor(snapshot: try whole.snapshot())
        let partExecutors = try parts.map { LocalExecutor(snapshot: try $0.snapshot()) }
        for _ in 0..<10 {
            let query = RandomSite.randomQuery(&random)
            var partials = try partExecutors.map { try $0.execute(query) }
            partials = try partials.map { try QueryPartial(serializedBytes: try $0.serializedBytes()) }
            partials.shuffle(using: &random)
            // Merge along a random binary tree.
            while partials.count > 1 {
                let i = Int.random(in: 0..<partials.count, using: &random)
                let left = partials.remove(at: i)
                let j = Int.random(in: 0..<partials.count, using: &random)
                partials[j] = Bool.random(using: &random) ? left.merged(with: partials[j]) : partials[j].merged(with: left)
            }
            let merged = partials.first ?? QueryPartial(statisticAttributes: query.statisticAttributes)
            #expect(merged == (try wholeExecutor.execute(query)), "seed \(seed): \(query)")
        }
    }

    /// No released cell ever shows a count of persons below K (zero included), nor any value
    /// computed from such a cell.
    @Test(arguments: seeds)
    func noReleasedCellIsBelowK(seed: UInt64) throws {
        var random = SeededRandom(seed: seed &* 104_729)
        let site = RandomSite(random: &random, subjects: Int.random(in: 1...80, using: &random))
        let executor = LocalExecutor(snapshot: try site.snapshot())
        for _ in 0..<10 {
            var query = RandomSite.randomQuery(&random)
            if !query.aggregates.contains(.subjectCount) { query.aggregates.append(.subjectCount) }
            let k = Int.random(in: 1...15, using: &random)
            let partial = try executor.execute(query)
            let table = ResultTable(query: query, partial: partial, scales: ["age_at_diagnosis": 1, "slice_thickness_mm": 2, "study_year": 0], disclosure: DisclosureControl(k: k))
            let subjectColumn = table.columns.firstIndex(of: "count_distinct_subject")!
            let aggregateColumns = query.groupBy.count..<table.columns.count
            for row in table.rows {
                switch row[subjectColumn] {
                case .integer(let subjects):
                    #expect(subjects >= Int64(k), "seed \(seed): released \(subjects) persons with k \(k)")
                case .suppressed(let marker):
                    #expect(marker == "<\(k)")
                    for column in aggregateColumns {
                        #expect(row[column] == .suppressed("<\(k)"), "seed \(seed): a suppressed cell leaks \(table.columns[column])")
                    }
                default:
                    Issue.record("seed \(seed): unexpected subject count \(row[subjectColumn])")
                }
            }
        }
    }
}
