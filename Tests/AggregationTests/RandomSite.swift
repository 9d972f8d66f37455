import Aggregation
import Foundation
import MeshCore

/// Random sites and random queries for the property tests: small vocabularies and ranges,
/// so that filters hit and miss, cells are small and NULLs are common.
struct RandomSite {
    static let schema: Schema = {
        try! Schema(
            attributes: [
                Attribute(name: "subject_id", type: .key, level: .subject),
                Attribute(name: "sex", type: .categorical(vocabulary: ["M", "F", "O"]), level: .subject),
                Attribute(name: "age", type: .numeric(unit: "years", scale: 1, minimum: 0, maximum: 120), level: .subject),
                Attribute(name: "diagnosis", type: .categorical(vocabulary: ["C50", "C61", "C34", "C71"]), level: .subject, nullable: true),
                Attribute(name: "modality", type: .categorical(vocabulary: ["CT", "MR", "PT", "US"]), level: .study),
                Attribute(name: "thickness", type: .numeric(unit: "mm", scale: 2, minimum: 0, maximum: 10), level: .study, nullable: true),
                Attribute(name: "year", type: .numeric(unit: nil, scale: 0, minimum: 2000, maximum: 2025), level: .study),
            ]
        )
    }()

    struct Row {
        var subject: String
        var values: [ColumnarSnapshotBuilder.Value]
    }

    let rows: [Row]

    init(random: inout SeededRandom, subjects: Int, prefix: String = "s") {
        var rows: [Row] = []
        for subject in 0..<subjects {
            let sex = ["M", "F", "O"][Int.random(in: 0..<3, using: &random)]
            let age = Int64.random(in: 0...1200, using: &random)
            let diagnosis: ColumnarSnapshotBuilder.Value =
                Int.random(in: 0..<6, using: &random) == 0 ? .null : .code(["C50", "C61", "C34", "C71"][Int.random(in: 0..<4, using: &random)])
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                let thickness: ColumnarSnapshotBuilder.Value =
                    Int.random(in: 0..<4, using: &random) == 0 ? .null : .number(Int64.random(in: 0...1000, using: &random))
                rows.append(
                    Row(
                        subject: "\(prefix)\(subject)",
                        values: [
                            .null, .code(sex), .number(age), diagnosis,
                            .code(["CT", "MR", "PT", "US"][Int.random(in: 0..<4, using: &random)]), thickness,
                            .number(Int64.random(in: 2000...2025, using: &random)),
                        ]
                    )
                )
            }
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
        for attribute in ["age", "thickness", "year"] where Int.random(in: 0..<3, using: &random) == 0 {
            aggregates.append([Aggregate.mean(attribute), .variance(attribute), .standardDeviation(attribute)][Int.random(in: 0..<3, using: &random)])
        }
        aggregates.shuffle(using: &random)
        var groupBy: [Grouping] = []
        for attribute in ["sex", "diagnosis", "modality"].shuffled(using: &random) where Int.random(in: 0..<3, using: &random) == 0 {
            groupBy.append(.attribute(attribute))
        }
        if Int.random(in: 0..<3, using: &random) == 0 {
            let (attribute, scale, maximum) = [("age", 1, 120), ("thickness", 2, 10), ("year", 0, 2025)][Int.random(in: 0..<3, using: &random)]
            let lower = attribute == "year" ? Decimal(Int.random(in: 1998...2010, using: &random)) : randomNumber(&random, scale: scale, maximum: maximum / 2)
            let upper = lower + (attribute == "year" ? Decimal(Int.random(in: 1...20, using: &random)) : randomNumber(&random, scale: scale, maximum: maximum) + 1)
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
        let numeric = [("age", 1, 120), ("thickness", 2, 10), ("year", 0, 2025)]
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
            name == "year" ? Decimal(Int.random(in: 1999...2026, using: &random)) : randomNumber(&random, scale: scale, maximum: maximum)
        }
        switch Int.random(in: 0..<4, using: &random) {
        case 0, 1: return .comparison(name, ComparisonOperator.allCases.randomElement(using: &random)!, .number(number()))
        case 2:
            let a = number()
            let b = number()
            return .range(name, lower: .number(min(a, b)), upper: .number(max(a, b)), negated: Bool.random(using: &random))
        default:
            return name == "thickness" ? .isNull(name, negated: Bool.random(using: &random)) : .membership(name, [.number(number()), .number(number())], negated: false)
        }
    }
}
