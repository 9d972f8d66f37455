import Aggregation
import Foundation
import MeshCore
import SyntheticData

/// Random sites and random queries for the property tests. Sites are synthetic centres of
/// a random profile (`SyntheticData`), with the diagnosis blanked for one subject in six so
/// that categorical NULLs occur beside the slice thicknesses projection images lack, and
/// with some rows interleaved. Queries use small code lists and ranges, so that filters hit
/// and miss and cells are small.
struct RandomSite {
    /// The reference schema with a nullable diagnosis.
    static let schema: Schema = {
        let attributes = Schema.reference.attributes.map { attribute in
            attribute.name == "diagnosis"
                ? Attribute(name: attribute.name, type: attribute.type, level: attribute.level, nullable: true, coding: attribute.coding)
                : attribute
        }
        return try! Schema(table: Schema.reference.table, attributes: attributes)
    }()

    static let diagnosisColumn = schema.attributes.firstIndex { $0.name == "diagnosis" }!

    struct Row {
        var subject: String
        var values: [ColumnarSnapshotBuilder.Value]
    }

    let rows: [Row]

    /// A site of `subjects` subjects imitating `profile`, or a profile drawn from `random`.
    init(random: inout SeededRandom, subjects: Int, profile: SiteProfile? = nil, prefix: String = "s") {
        let profile = profile ?? SiteProfile.allCases[Int(random.next() % UInt64(SiteProfile.allCases.count))]
        let site = SyntheticCases(profile: profile, subjects: subjects, seed: random.next())
        var rows: [Row] = []
        var number = 0
        site.forEachSubjectRows { _, studies in
            let withoutDiagnosis = random.next() % 6 == 0
            for var values in studies {
                if withoutDiagnosis { values[Self.diagnosisColumn] = .null }
                rows.append(Row(subject: "\(prefix)\(number)", values: values))
            }
            number += 1
        }
        // Interleave some subjects' rows so the snapshot has to group them itself.
        if rows.count > 3 {
            for _ in 0..<rows.count / 10 {
                rows.swapAt(Int.random(in: 0..<rows.count, using: &random), Int.random(in: 0..<rows.count, using: &random))
            }
        }
        self.rows = rows
    }

    init(rows: [Row]) { self.rows = rows }

    func snapshot(keyer: RecordKeyer? = nil) throws -> ColumnarSnapshot {
        var builder = ColumnarSnapshotBuilder(schema: Self.schema, keyer: keyer)
        for row in rows { try builder.append(subject: row.subject, values: row.values) }
        return builder.build()
    }

    /// Splits the site by subject (a subject belongs to exactly one site in a federation).
    func split(into parts: Int, random: inout SeededRandom) -> [RandomSite] {
        var assignment: [String: Int] = [:]
        var buckets = Array(repeating: [Row](), count: parts)
        for row in rows {
            let part = assignment[row.subject] ?? Int.random(in: 0..<parts, using: &random)
            assignment[row.subject] = part
            buckets[part].append(row)
        }
        return buckets.map(RandomSite.init(rows:))
    }

    // MARK: Random queries

    static func randomQuery(_ random: inout SeededRandom) -> Query {
        var aggregates: [Aggregate] = [.studyCount, .subjectCount]
        for attribute in ["age_at_diagnosis", "slice_thickness_mm", "study_year"] where Int.random(in: 0..<3, using: &random) == 0 {
            aggregates.append([Aggregate.mean(attribute), .variance(attribute), .standardDeviation(attribute)][Int.random(in: 0..<3, using: &random)])
        }
        aggregates.shuffle(using: &random)
        var groupBy: [Grouping] = []
        for attribute in ["sex", "diagnosis", "modality"].shuffled(using: &random) where Int.random(in: 0..<3, using: &random) == 0 {
            groupBy.append(.attribute(attribute))
        }
        if Int.random(in: 0..<3, using: &random) == 0 {
            let (attribute, scale, maximum) = [("age_at_diagnosis", 1, 120), ("slice_thickness_mm", 2, 10), ("study_year", 0, 2025)][Int.random(in: 0..<3, using: &random)]
            let lower = attribute == "study_year" ? Decimal(Int.random(in: 1998...2010, using: &random)) : randomNumber(&random, scale: scale, maximum: maximum / 2)
            let upper = lower + (attribute == "study_year" ? Decimal(Int.random(in: 1...20, using: &random)) : randomNumber(&random, scale: scale, maximum: maximum) + 1)
            groupBy.insert(.bin(attribute, lower: lower, upper: upper, count: Int.random(in: 1...7, using: &random)), at: Int.random(in: 0...groupBy.count, using: &random))
        }
        let filter = Int.random(in: 0..<5, using: &random) == 0 ? nil : randomCondition(&random, depth: 0)
        return Query(aggregates: aggregates, filter: filter, groupBy: groupBy)
    }

    /// A number with at most `scale + 1` decimals whose last extra digit is 5, so that it
    /// lands between fixed-point values and is exact in binary for the SQL oracle.
    static func randomNumber(_ random: inout SeededRandom, scale: Int, maximum: Int) -> Decimal {
        var factor = 1
        for _ in 0..<scale { factor *= 10 }
        let units = Int.random(in: 0...(maximum * factor), using: &random)
        var value = Decimal(units) / Decimal(factor)
        if Int.random(in: 0..<4, using: &random) == 0 { value += Decimal(5) / Decimal(factor * 10) }
        return value
    }

    static func randomCondition(_ random: inout SeededRandom, depth: Int) -> Condition {
        if depth < 3, Int.random(in: 0..<3, using: &random) == 0 {
            switch Int.random(in: 0..<3, using: &random) {
            case 0: return .and(randomCondition(&random, depth: depth + 1), randomCondition(&random, depth: depth + 1))
            case 1: return .or(randomCondition(&random, depth: depth + 1), randomCondition(&random, depth: depth + 1))
            default: return .not(randomCondition(&random, depth: depth + 1))
            }
        }
        let categorical = [("sex", ["M", "F", "O", "X"]), ("diagnosis", ["C50", "C61", "C34", "C71", "C99"]), ("modality", ["CT", "MR", "PT", "US"])]
        let numeric = [("age_at_diagnosis", 1, 120), ("slice_thickness_mm", 2, 10), ("study_year", 0, 2025)]
        if Int.random(in: 0..<2, using: &random) == 0 {
            let (name, codes) = categorical[Int.random(in: 0..<3, using: &random)]
            switch Int.random(in: 0..<4, using: &random) {
            case 0: return .comparison(name, Bool.random(using: &random) ? .equal : .notEqual, .text(codes.randomElement(using: &random)!))
            case 1: return .membership(name, (0..<Int.random(in: 1...3, using: &random)).map { _ in .text(codes.randomElement(using: &random)!) }, negated: Bool.random(using: &random))
            default: return .isNull(name, negated: Bool.random(using: &random))
            }
        }
        let (name, scale, maximum) = numeric[Int.random(in: 0..<3, using: &random)]
        func number() -> Decimal {
            name == "study_year" ? Decimal(Int.random(in: 1999...2026, using: &random)) : randomNumber(&random, scale: scale, maximum: maximum)
        }
        switch Int.random(in: 0..<4, using: &random) {
        case 0, 1: return .comparison(name, ComparisonOperator.allCases.randomElement(using: &random)!, .number(number()))
        case 2:
            let a = number()
            let b = number()
            return .range(name, lower: .number(min(a, b)), upper: .number(max(a, b)), negated: Bool.random(using: &random))
        default:
            return name == "slice_thickness_mm" ? .isNull(name, negated: Bool.random(using: &random)) : .membership(name, [.number(number()), .number(number())], negated: false)
        }
    }
}
