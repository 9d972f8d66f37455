import Aggregation
import Foundation
import MeshCore
import QueryPlanner
import Testing

/// The canonical text of a query parses back to the same query, and rendering it again
/// changes nothing.
@Suite struct QueryTextTests {
    /// The reference schema plus a categorical whose codes hold quotes, commas and "--".
    static let vocabulary: QueryVocabulary = {
        var entries = QueryVocabulary(schema: .reference).entries
        entries["site_note"] = .init(kind: .categorical(codes: ["O'Brien", "it''s", "a--b", "x, y", "'", "NOT", "ünïcode"]), level: .study)
        return QueryVocabulary(entries: entries)
    }()

    func parse(_ sql: String) throws -> Query {
        try QueryParser.parse(sql, vocabulary: Self.vocabulary)
    }

    /// Parses `sql`, renders it, and checks the round trip and idempotence.
    @discardableResult
    func checkRoundTrip(_ sql: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> String {
        let query = try parse(sql)
        let text = query.normalisedText
        let reparsed: Query
        do {
            reparsed = try parse(text)
        } catch {
            Issue.record("\(sql)\nrendered as\n\(text)\ndoes not parse: \(error)", sourceLocation: sourceLocation)
            return text
        }
        #expect(reparsed == query, "\(sql)\nrendered as\n\(text)", sourceLocation: sourceLocation)
        #expect(reparsed.normalisedText == text, "not idempotent: \(text)", sourceLocation: sourceLocation)
        return text
    }

    @Test(arguments: [
        // The design's examples.
        "SELECT COUNT(*), COUNT(DISTINCT subject) FROM cases WHERE diagnosis = 'C61' AND modality IN ('MR', 'PT') AND age_at_diagnosis BETWEEN 50 AND 80 GROUP BY modality",
        "SELECT HISTOGRAM(age_at_diagnosis, 0, 100, 10) FROM cases WHERE sex = 'F'",
        "SELECT COUNT(DISTINCT subject), AVG(slice_thickness_mm), STDDEV(slice_thickness_mm) FROM cases",
        // Every aggregate, in an unusual order.
        "select variance(image_count), count(distinct subject_id), stddev(age_at_diagnosis), avg(study_year), count(*) from CASES",
        // Every comparison operator, != spelled the other way.
        "SELECT COUNT(*) FROM cases WHERE age_at_diagnosis = 1 AND age_at_diagnosis <> 2 AND age_at_diagnosis != 3 AND age_at_diagnosis < 4 AND age_at_diagnosis <= 5 AND age_at_diagnosis > 6 AND age_at_diagnosis >= 7",
        // IN, NOT IN, numeric IN.
        "SELECT COUNT(*) FROM cases WHERE modality NOT IN ('CT','MR') AND study_year IN (2001, 2002.5, -3)",
        // BETWEEN and NOT BETWEEN, negative and fractional bounds.
        "SELECT COUNT(*) FROM cases WHERE slice_thickness_mm NOT BETWEEN -0.5 AND 2.25 OR age_at_diagnosis BETWEEN .5 AND 7.",
        // IS NULL and IS NOT NULL.
        "SELECT COUNT(*) FROM cases WHERE slice_thickness_mm IS NULL OR slice_thickness_mm IS NOT NULL",
        // NOT of a test, of a negated test, of NOT, of AND, of OR.
        "SELECT COUNT(*) FROM cases WHERE NOT sex = 'M'",
        "SELECT COUNT(*) FROM cases WHERE NOT modality NOT IN ('CT')",
        "SELECT COUNT(*) FROM cases WHERE NOT NOT sex = 'M'",
        "SELECT COUNT(*) FROM cases WHERE NOT (sex = 'M' AND modality = 'CT')",
        "SELECT COUNT(*) FROM cases WHERE NOT (sex = 'M' OR modality = 'CT') AND NOT slice_thickness_mm IS NULL",
        // Precedence: AND binds tighter than OR; both chain from the left.
        "SELECT COUNT(*) FROM cases WHERE sex = 'M' OR sex = 'F' AND modality = 'CT'",
        "SELECT COUNT(*) FROM cases WHERE (sex = 'M' OR sex = 'F') AND modality = 'CT'",
        "SELECT COUNT(*) FROM cases WHERE modality = 'CT' AND (sex = 'M' OR sex = 'F')",
        "SELECT COUNT(*) FROM cases WHERE sex = 'M' AND (modality = 'CT' AND diagnosis = 'C50')",
        "SELECT COUNT(*) FROM cases WHERE sex = 'M' OR (modality = 'CT' OR diagnosis = 'C50')",
        "SELECT COUNT(*) FROM cases WHERE ((sex = 'M')) OR ((modality = 'CT') AND (diagnosis = 'C50' OR (diagnosis = 'C61')))",
        "SELECT COUNT(*) FROM cases WHERE (sex = 'M' OR sex = 'F') AND (modality = 'CT' OR modality = 'MR') OR NOT (diagnosis = 'C50' AND body_part = 'BREAST')",
        // Quotes, commas, "--", keywords and non-ASCII inside strings.
        "SELECT COUNT(*) FROM cases WHERE site_note = 'O''Brien' OR site_note IN ('it''''s', 'a--b', 'x, y', '''', 'NOT', 'ünïcode')",
        // Decimals: trailing zeros, leading zeros, large and small.
        "SELECT COUNT(*) FROM cases WHERE age_at_diagnosis > 007.50 AND image_count < 1000000000000000000000000000000 AND slice_thickness_mm >= 0.000001",
        // BIN and multi GROUP BY, in the order written.
        "SELECT COUNT(*) FROM cases GROUP BY BIN(study_year, 2000, 2025, 5), sex, modality, diagnosis",
        "SELECT AVG(age_at_diagnosis) FROM cases GROUP BY sex, BIN(age_at_diagnosis, -10.5, 120.25, 1000)",
        // HISTOGRAM with categorical groups, comments, a semicolon and odd spacing.
        "SELECT HISTOGRAM(slice_thickness_mm, 0, 5, 20) FROM cases -- thin slices\n WHERE modality='CT' GROUP BY body_part ;",
    ])
    func roundTrips(_ sql: String) throws {
        try checkRoundTrip(sql)
    }

    @Test func rendersTheCanonicalForm() throws {
        #expect(
            try checkRoundTrip("select count(*) , count( distinct subject_id ) from CASES where diagnosis='C61' and modality in('MR','PT') group by modality")
                == "SELECT COUNT(*), COUNT(DISTINCT subject) FROM cases WHERE diagnosis = 'C61' AND modality IN ('MR', 'PT') GROUP BY modality"
        )
        #expect(
            try checkRoundTrip("SELECT HISTOGRAM(age_at_diagnosis, 0, 100, 10) FROM cases WHERE sex = 'F' GROUP BY diagnosis")
                == "SELECT COUNT(DISTINCT subject) FROM cases WHERE sex = 'F' GROUP BY diagnosis, BIN(age_at_diagnosis, 0, 100, 10)"
        )
        #expect(
            try checkRoundTrip("SELECT COUNT(*) FROM cases WHERE ((sex = 'M') OR (sex = 'F' AND modality = 'CT')) AND NOT (slice_thickness_mm IS NULL)")
                == "SELECT COUNT(*) FROM cases WHERE (sex = 'M' OR sex = 'F' AND modality = 'CT') AND NOT slice_thickness_mm IS NULL"
        )
        #expect(
            try checkRoundTrip("SELECT COUNT(*) FROM cases WHERE (slice_thickness_mm IS NULL);")
                == "SELECT COUNT(*) FROM cases WHERE slice_thickness_mm IS NULL"
        )
        #expect(
            try checkRoundTrip("SELECT COUNT(*) FROM cases WHERE site_note = 'O''Brien' AND age_at_diagnosis BETWEEN -1.50 AND 2.0")
                == "SELECT COUNT(*) FROM cases WHERE site_note = 'O''Brien' AND age_at_diagnosis BETWEEN -1.5 AND 2"
        )
        #expect(
            try checkRoundTrip("SELECT COUNT(*) FROM cases WHERE sex = 'M' AND (modality = 'CT' AND diagnosis = 'C50')")
                == "SELECT COUNT(*) FROM cases WHERE sex = 'M' AND (modality = 'CT' AND diagnosis = 'C50')"
        )
    }

    @Test func takesTheTableName() throws {
        let vocabulary = QueryVocabulary(table: "studies", entries: Self.vocabulary.entries)
        let query = try QueryParser.parse("SELECT COUNT(*) FROM studies WHERE sex = 'F'", vocabulary: vocabulary)
        let text = query.normalisedText(table: vocabulary.table)
        #expect(text == "SELECT COUNT(*) FROM studies WHERE sex = 'F'")
        #expect(try QueryParser.parse(text, vocabulary: vocabulary) == query)
        #expect(query.normalisedText == "SELECT COUNT(*) FROM cases WHERE sex = 'F'")
    }

    /// Random condition trees of every shape (any tree is reachable with parentheses), so
    /// that parentheses are tested beyond the cases above. Prints the seed on failure.
    @Test func randomConditionTreesRoundTrip() throws {
        for seed in UInt64(1)...300 {
            var random = SeededRandom(seed: seed)
            let query = Query(
                aggregates: [.studyCount],
                filter: Self.condition(depth: 5, using: &random),
                groupBy: Bool.random(using: &random) ? [.attribute("sex"), .bin("age_at_diagnosis", lower: -5, upper: 95.5, count: 7)] : []
            )
            let text = query.normalisedText
            let reparsed = try #require(try? parse(text), "seed \(seed): \(text) does not parse")
            #expect(reparsed == query, "seed \(seed): \(text)")
            #expect(reparsed.normalisedText == text, "seed \(seed)")
        }
    }

    static func condition(depth: Int, using random: inout SeededRandom) -> Condition {
        let leafOnly = depth == 0
        switch Int.random(in: 0..<(leafOnly ? 4 : 7), using: &random) {
        case 0:
            let op = ComparisonOperator.allCases.randomElement(using: &random)!
            return .comparison("age_at_diagnosis", op, .number(Decimal(Int.random(in: -50...150, using: &random)) / 4))
        case 1:
            let codes = ["M", "F", "O"].shuffled(using: &random).prefix(Int.random(in: 1...3, using: &random))
            return .membership("sex", codes.map(Literal.text), negated: Bool.random(using: &random))
        case 2:
            return .range("study_year", lower: .number(2000), upper: .number(Decimal(Int.random(in: 2000...2030, using: &random))), negated: Bool.random(using: &random))
        case 3:
            return .isNull("slice_thickness_mm", negated: Bool.random(using: &random))
        case 4:
            return .and(condition(depth: depth - 1, using: &random), condition(depth: depth - 1, using: &random))
        case 5:
            return .or(condition(depth: depth - 1, using: &random), condition(depth: depth - 1, using: &random))
        default:
            return .not(condition(depth: depth - 1, using: &random))
        }
    }
}
