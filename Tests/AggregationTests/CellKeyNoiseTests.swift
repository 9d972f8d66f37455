import Foundation
import MeshCore
import Testing

@testable import Aggregation

/// The noise core (docs/PRIVACY.md, "Cell keys" and "Noise"): the sampler has the discrete
/// Gaussian's distribution, cell keys depend on the records alone, and a value's noise
/// depends on its cell key alone.
@Suite struct CellKeyNoiseTests {
    static func secret(_ seed: UInt64) -> RecordKeyer {
        var random = SeededRandom(seed: seed)
        return RecordKeyer(secret: (0..<RecordKeyer.secretByteCount).map { _ in UInt8.random(in: 0...255, using: &random) })
    }

    /// P(x) ∝ exp(−x²/2σ²): the empirical frequencies of −3σ...3σ and the variance match the
    /// exact distribution within sampling error.
    @Test(arguments: [0.7, 4.0, 250.0])
    func theSamplerFollowsTheDiscreteGaussian(sigma: Double) {
        var random = SeededRandom(seed: 7)
        let n = 40_000
        var samples: [Int64] = []
        for _ in 0..<n { samples.append(DiscreteGaussian.sample(sigma: sigma, using: &random)) }
        let reach = Int64((12 * sigma).rounded(.up)) + 2
        let weights = (-reach...reach).map { exp(-Double($0 * $0) / (2 * sigma * sigma)) }
        let total = weights.reduce(0, +)
        let exactVariance = zip(-reach...reach, weights).map { Double($0 * $0) * $1 }.reduce(0, +) / total
        let mean = Double(samples.reduce(0, +)) / Double(n)
        let variance = samples.map { Double($0) * Double($0) }.reduce(0, +) / Double(n) - mean * mean
        #expect(abs(mean) < 5 * exactVariance.squareRoot() / Double(n).squareRoot(), "mean \(mean) at σ \(sigma)")
        #expect(abs(variance / exactVariance - 1) < 0.05, "variance \(variance), exact \(exactVariance) at σ \(sigma)")
        if sigma < 10 {
            var counts: [Int64: Int] = [:]
            for sample in samples { counts[sample, default: 0] += 1 }
            for x in Int64(-3 * sigma)...Int64(3 * sigma) {
                let p = exp(-Double(x * x) / (2 * sigma * sigma)) / total
                let observed = Double(counts[x, default: 0]) / Double(n)
                #expect(abs(observed - p) < 5 * (p * (1 - p) / Double(n)).squareRoot() + 1e-4, "P(\(x)) = \(observed), exact \(p) at σ \(sigma)")
            }
        }
    }

    @Test func theSameKeyAlwaysGivesTheSameNoiseAndAnEmptyCellNone() {
        for key in [UInt64(1), 42, .max] {
            let first = CellKeyNoise.noise(label: "persons", cellKey: key, sigma: 4, recordCount: 3)
            for _ in 0..<20 { #expect(CellKeyNoise.noise(label: "persons", cellKey: key, sigma: 4, recordCount: 3) == first) }
        }
        #expect(CellKeyNoise.noise(label: "persons", cellKey: 0, sigma: 4, recordCount: 0) == 0)
        #expect(CellKeyNoise.noise(label: "persons", cellKey: 99, sigma: 0, recordCount: 5) == 0)
    }

    /// Keys that differ (one record more or less) give noise with no correlation; the
    /// labels of one cell give independent draws too.
    @Test func differentKeysAndLabelsGiveIndependentNoise() {
        var random = SeededRandom(seed: 11)
        var pairs: [(Double, Double)] = []
        var labelPairs: [(Double, Double)] = []
        for _ in 0..<5000 {
            let key = random.next()
            let record = random.next()
            let a = Double(CellKeyNoise.noise(label: "persons", cellKey: key, sigma: 4, recordCount: 10))
            let b = Double(CellKeyNoise.noise(label: "persons", cellKey: key &+ record, sigma: 4, recordCount: 11))
            pairs.append((a, b))
            labelPairs.append((a, Double(CellKeyNoise.noise(label: "studies", cellKey: key, sigma: 4, recordCount: 10))))
        }
        #expect(abs(Self.correlation(pairs)) < 0.05, "correlation \(Self.correlation(pairs))")
        #expect(abs(Self.correlation(labelPairs)) < 0.05, "correlation \(Self.correlation(labelPairs))")
    }

    static func correlation(_ pairs: [(Double, Double)]) -> Double {
        let n = Double(pairs.count)
        let mx = pairs.map(\.0).reduce(0, +) / n
        let my = pairs.map(\.1).reduce(0, +) / n
        let cov = pairs.map { ($0.0 - mx) * ($0.1 - my) }.reduce(0, +)
        let vx = pairs.map { ($0.0 - mx) * ($0.0 - mx) }.reduce(0, +)
        let vy = pairs.map { ($0.1 - my) * ($0.1 - my) }.reduce(0, +)
        return cov / (vx * vy).squareRoot()
    }

    /// Cell keys depend on the records selected, not on how the query is written, and add
    /// up across sites to the key of the whole federation.
    @Test(arguments: [UInt64(1), 2, 3, 4, 5])
    func cellKeysDependOnTheRecordsAlone(seed: UInt64) throws {
        var random = SeededRandom(seed: seed)
        // A general hospital: women with breast cancer are a cell of a few dozen.
        let site = RandomSite(random: &random, subjects: 120, profile: .general)
        let keyer = Self.secret(seed)
        let whole = try LocalExecutor(snapshot: try site.snapshot(keyer: keyer)).execute(Self.rephrasings[0])
        for query in Self.rephrasings.dropFirst() {
            #expect(try LocalExecutor(snapshot: try site.snapshot(keyer: keyer)).execute(query) == whole, "\(query)")
        }
        var merged = QueryPartial(statisticAttributes: whole.statisticAttributes)
        for part in site.split(into: 3, random: &random) {
            merged.merge(try LocalExecutor(snapshot: try part.snapshot(keyer: keyer)).execute(Self.rephrasings[0]))
        }
        #expect(merged == whole, "the federation's cell keys are the sum of the sites' keys")
        // A different secret gives different keys for the same records.
        let other = try LocalExecutor(snapshot: try site.snapshot(keyer: Self.secret(seed + 100))).execute(Self.rephrasings[0])
        #expect(other.cells[[]]?.subjectKey != whole.cells[[]]?.subjectKey)
    }

    /// Three spellings of "women with a diagnosis of C50 or C61".
    static let rephrasings: [Query] = [
        Query(
            aggregates: [.studyCount, .subjectCount, .mean("age_at_diagnosis")],
            filter: .and(.comparison("sex", .equal, .text("F")), .membership("diagnosis", [.text("C50"), .text("C61")], negated: false))
        ),
        Query(
            aggregates: [.studyCount, .subjectCount, .mean("age_at_diagnosis")],
            filter: .and(
                .or(.comparison("diagnosis", .equal, .text("C61")), .comparison("diagnosis", .equal, .text("C50"))),
                .not(.membership("sex", [.text("M"), .text("O")], negated: false))
            )
        ),
        Query(
            aggregates: [.studyCount, .subjectCount, .mean("age_at_diagnosis")],
            filter: .not(.or(.comparison("sex", .notEqual, .text("F")), .membership("diagnosis", [.text("C50"), .text("C61")], negated: true)))
        ),
    ]

    /// The complement attack at the core: a total minus the released cells of the same
    /// records grouped, over many record-key secrets. Without noise it recovers the hidden
    /// cells every time; with σ = 4 only as often as two noisy totals happen to agree.
    @Test func theComplementAttackRecoversTheHiddenCountOnlyByChance() throws {
        var random = SeededRandom(seed: 99)
        // A breast unit: a few men among hundreds of women with breast cancer are the hidden cell.
        let site = RandomSite(random: &random, subjects: 300, profile: .breast)
        let total = Query(aggregates: [.subjectCount], filter: .comparison("diagnosis", .equal, .text("C50")))
        let grouped = Query(aggregates: [.subjectCount], filter: total.filter, groupBy: [.attribute("sex")])
        let disclosure = DisclosureControl(k: 5)
        func attack(_ keyer: RecordKeyer?, sigma: Double) throws -> (estimate: Int64, truth: Int64)? {
            let snapshot = try site.snapshot(keyer: keyer)
            let executor = LocalExecutor(snapshot: snapshot)
            let totalPartial = try executor.execute(total)
            let groupedPartial = try executor.execute(grouped)
            let perturbation = Perturbation(sigma: sigma)
            let released = ResultTable(query: total, partial: totalPartial, scales: [:], disclosure: disclosure, perturbation: perturbation)
            let cells = ResultTable(query: grouped, partial: groupedPartial, scales: [:], disclosure: disclosure, perturbation: perturbation)
            guard case .integer(let all) = released.rows[0][0] else { return nil }
            var shown: Int64 = 0
            var hidden: [String] = []
            for row in cells.rows {
                switch row[1] {
                case .integer(let count): shown += count
                case .text(let label): hidden.append(label)
                default: if case .text(let label) = row[0] { hidden.append(label) }
                }
            }
            let truth = groupedPartial.cells.filter { key, cell in cell.subjects < 5 }.values.reduce(Int64(0)) { $0 + $1.subjects }
            return (all - shown, truth)
        }
        let exact = try #require(try attack(nil, sigma: 0))
        #expect(exact.truth > 0, "the grouping hides some persons")
        #expect(exact.estimate == exact.truth, "without noise the attack works (the test would show nothing otherwise)")
        var recovered = 0
        let trials = 200
        for trial in 0..<trials {
            let outcome = try #require(try attack(Self.secret(UInt64(1000 + trial)), sigma: 4))
            if outcome.estimate == outcome.truth { recovered += 1 }
        }
        // The estimate's error is a sum of several independent draws of σ = 4: it is exact
        // with probability about 1/(σ·√(2π·draws)) < 10%.
        #expect(recovered < trials / 5, "the complement attack recovered the hidden count in \(recovered) of \(trials) federations")
        print("complement attack at the core, σ = 4: exact in \(recovered) of \(trials) record-key secrets")
    }
}
