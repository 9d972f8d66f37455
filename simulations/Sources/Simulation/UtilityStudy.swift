import Aggregation
import Foundation
import MeshCore
import QueryPlanner
import SyntheticData

/// What the noise costs researchers (docs/PRIVACY.md, "Utility"): federations of synthetic
/// sites queried through the real executor, cell keys and release, each noisy value
/// compared with the exact one.
///
/// Three ways of adding noise are measured on the same cells:
/// - **origin** (what OncoMesh does): one discrete Gaussian draw of σ per released value,
///   keyed by the federation's cell key;
/// - **provider**: every site adds its own draw of σ to its partial, so the total carries
///   √sites · σ;
/// - **per-site Laplace, rounded** (the way EUCAIM's federated search works today): each
///   site adds Laplace noise of ε = 0.28 to its count and rounds to 10, and the sums are
///   added up.
public enum UtilityStudy {
    public struct Figures: Sendable {
        public var sites: Int
        public var cellsOfAtLeast100: Int
        public var countMedianRelativeError: Double
        public var countP95RelativeError: Double
        public var meanMedianRelativeError: Double
        public var meanP95RelativeError: Double
        public var originCountSD: Double
        public var providerCountSD: Double
        public var laplaceRoundedCountSD: Double
        public var countsCompared: Int
    }

    static let queries = [
        "SELECT COUNT(DISTINCT subject) FROM cases GROUP BY diagnosis",
        "SELECT COUNT(DISTINCT subject) FROM cases GROUP BY diagnosis, sex",
        "SELECT COUNT(DISTINCT subject), AVG(age_at_diagnosis) FROM cases GROUP BY diagnosis, tumour_stage",
        "SELECT COUNT(DISTINCT subject), AVG(age_at_diagnosis) FROM cases GROUP BY sex",
        "SELECT COUNT(DISTINCT subject) FROM cases GROUP BY BIN(age_at_diagnosis, 20, 100, 8)",
        "SELECT COUNT(*), COUNT(DISTINCT subject) FROM cases GROUP BY modality, diagnosis",
    ]

    public static func run(sites siteCount: Int, sigma: Double, subjectsPerSite: Int, seed: UInt64) throws -> Figures {
        var random = SeededRandom(seed: seed)
        let schema = Schema.reference
        let snapshots = (0..<siteCount).map { index in
            var secret = [UInt8](repeating: 0, count: RecordKeyer.secretByteCount)
            for i in secret.indices { secret[i] = UInt8.random(in: 0...255, using: &random) }
            // General hospitals, so that every site holds most cells and noise added per site
            // adds up over all of them, as the comparison supposes.
            return SyntheticCases(profile: .general, subjects: subjectsPerSite, seed: random.next()).snapshot(keyer: RecordKeyer(secret: secret))
        }
        let vocabulary = QueryVocabulary(schema: schema)
        var countErrors: [Double] = []
        var meanErrors: [Double] = []
        var originDeviations: [Double] = []
        var providerDeviations: [Double] = []
        var laplaceDeviations: [Double] = []
        for text in queries {
            let query = try QueryParser.parse(text, vocabulary: vocabulary)
            let bounds = Self.bounds(of: query, over: snapshots)
            let perturbation = Perturbation(sigma: sigma, statisticBounds: bounds)
            var partials: [QueryPartial] = []
            for snapshot in snapshots {
                partials.append(try LocalExecutor(snapshot: snapshot, statisticBounds: bounds).execute(query))
            }
            var total = QueryPartial(statisticAttributes: query.statisticAttributes)
            for partial in partials { total.merge(partial) }
            for (key, cell) in total.cells where cell.subjects > 0 {
                let released = perturbation.perturb(cell, statisticAttributes: query.statisticAttributes)
                let truth = Double(cell.subjects)
                originDeviations.append(Double(released.subjects) - truth)
                var providerSum = 0.0
                var laplaceSum = 0.0
                for partial in partials {
                    guard let siteCell = partial.cells[key] else { continue }
                    // A site's own draw: keyed by its own cell key, as a provider would.
                    let siteNoise = CellKeyNoise.noise(label: "persons", cellKey: siteCell.subjectKey, sigma: sigma, recordCount: siteCell.subjects)
                    providerSum += Double(siteCell.subjects + siteNoise)
                    laplaceSum += roundedLaplace(Double(siteCell.subjects), epsilon: 0.28, using: &random)
                }
                providerDeviations.append(providerSum - truth)
                laplaceDeviations.append(laplaceSum - truth)
                guard cell.subjects >= 100 else { continue }
                countErrors.append(abs(Double(released.subjects) - truth) / truth)
                for (index, attribute) in query.statisticAttributes.enumerated() {
                    let scale = schema.attribute(named: attribute)?.scale ?? 0
                    guard let exact = cell.statistics[index].mean(scale: scale), let noisy = released.statistics[index].mean(scale: scale) else { continue }
                    meanErrors.append(abs(noisy - exact) / abs(exact))
                }
            }
        }
        return Figures(
            sites: siteCount,
            cellsOfAtLeast100: countErrors.count,
            countMedianRelativeError: quantile(countErrors, 0.5),
            countP95RelativeError: quantile(countErrors, 0.95),
            meanMedianRelativeError: quantile(meanErrors, 0.5),
            meanP95RelativeError: quantile(meanErrors, 0.95),
            originCountSD: standardDeviation(originDeviations),
            providerCountSD: standardDeviation(providerDeviations),
            laplaceRoundedCountSD: standardDeviation(laplaceDeviations),
            countsCompared: originDeviations.count
        )
    }

    /// The bounds a planner would take from the sites' published ranges: the union of the
    /// ranges held, rounded outwards to 10 units.
    static func bounds(of query: Query, over snapshots: [ColumnarSnapshot]) -> [String: ClosedRange<Int64>] {
        var bounds: [String: ClosedRange<Int64>] = [:]
        for attribute in query.statisticAttributes {
            let scale = snapshots.first?.schema.attribute(named: attribute)?.scale ?? 0
            let grid = Int64(10 * FixedPoint.power(scale))
            let ranges = snapshots.compactMap { $0.numericRange(of: attribute) }
            guard let low = ranges.map(\.lowerBound).min(), let high = ranges.map(\.upperBound).max() else { continue }
            let floorLow = (low / grid - (low % grid < 0 ? 1 : 0)) * grid
            let ceilHigh = ((high + grid - 1) / grid) * grid
            bounds[attribute] = floorLow...ceilHigh
        }
        return bounds
    }

    /// Laplace noise of scale 1/ε added to a count, rounded to the nearest 10.
    static func roundedLaplace(_ count: Double, epsilon: Double, using random: inout SeededRandom) -> Double {
        let u = Double.random(in: -0.5..<0.5, using: &random)
        let noise = -(1 / epsilon) * (u < 0 ? -1 : 1) * log(1 - 2 * abs(u))
        return ((count + noise) / 10).rounded() * 10
    }

    static func quantile(_ values: [Double], _ q: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * q).rounded()))]
    }

    static func standardDeviation(_ values: [Double]) -> Double {
        guard values.count > 1 else { return .nan }
        let mean = values.reduce(0, +) / Double(values.count)
        return (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count - 1)).squareRoot()
    }

    /// A markdown table of the figures.
    public static func table(_ figures: [Figures], sigma: Double) -> String {
        var lines = [
            "| sites | cells ≥ 100 persons | count error median / p95 | mean error median / p95 | SD of a count: origin σ=\(sigma) | provider σ=\(sigma) each | per-site Laplace ε=0.28, rounded to 10 |",
            "|---|---|---|---|---|---|---|",
        ]
        for f in figures {
            lines.append(
                "| \(f.sites) | \(f.cellsOfAtLeast100) | \(percent(f.countMedianRelativeError)) / \(percent(f.countP95RelativeError)) | \(percent(f.meanMedianRelativeError)) / \(percent(f.meanP95RelativeError)) | \(String(format: "%.2f", f.originCountSD)) | \(String(format: "%.2f", f.providerCountSD)) | \(String(format: "%.2f", f.laplaceRoundedCountSD)) |"
            )
        }
        return lines.joined(separator: "\n")
    }

    private static func percent(_ value: Double) -> String { String(format: "%.2f%%", value * 100) }
}
