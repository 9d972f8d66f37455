import Aggregation
import Foundation
import MeshCore
import QueryPlanner
import Testing

@Suite struct QueryParserTests {
    let vocabulary = QueryVocabulary(schema: .reference)

    func parse(_ sql: String) throws -> Query {
        try QueryParser.parse(sql, vocabulary: vocabulary)
    }

    func error(_ sql: String) -> QueryError? {
        do {
            _ = try QueryParser.parse(sql, vocabulary: vocabulary)
            return nil
        } catch {
            return error
        }
    }

    @Test func parsesTheDesignExamples() throws {
        let first = try parse(
            """
            SELECT COUNT(*), COUNT(DISTINCT subject) FROM cases
              WHERE diagnosis = 'C61' AND modality IN ('MR', 'PT') AND age_at_diagnosis BETWEEN 50 AND 80
              GROUP BY modality
            """
        )
        #expect(first.aggregates == [.studyCount, .subjectCount])
        #expect(first.groupBy == [.attribute("modality")])
        #expect(
            first.filter
                == .and(
                    .and(.comparison("diagnosis", .equal, .text("C61")), .membership("modality", [.text("MR"), .text("PT")], negated: false)),
                    .range("age_at_diagnosis", lower: .number(50), upper: .number(80), negated: false)
                )
        )
        let histogram = try parse("SELECT HISTOGRAM(age_at_diagnosis, 0, 100, 10) FROM cases WHERE sex = 'F'")
        #expect(histogram.aggregates == [.subjectCount])
        #expect(histogram.groupBy == [.bin("age_at_diagnosis", lower: 0, upper: 100, count: 10)])
        let statistics = try parse("SELECT COUNT(DISTINCT subject), AVG(slice_thickness_mm), STDDEV(slice_thickness_mm) FROM cases")
        #expect(statistics.aggregates == [.subjectCount, .mean("slice_thickness_mm"), .standardDeviation("slice_thickness_mm")])
        #expect(statistics.statisticAttributes == ["slice_thickness_mm"])
        #expect(statistics.columnNames == ["count_distinct_subject", "avg_slice_thickness_mm", "stddev_slice_thickness_mm"])
    }

    @Test func keywordsAreCaseInsensitiveAndPrecedenceIsSQLs() throws {
        let query = try parse("select count(*) from CASES where not sex = 'M' or modality <> 'CT' and study_year >= -1 -- comment\n;")
        #expect(
            query.filter
                == .or(.not(.comparison("sex", .equal, .text("M"))), .and(.comparison("modality", .notEqual, .text("CT")), .comparison("study_year", .greaterOrEqual, .number(-1))))
        )
        let grouped = try parse("SELECT COUNT(*) FROM cases WHERE (sex = 'M' OR sex = 'F') AND slice_thickness_mm IS NOT NULL GROUP BY BIN(study_year, 2000, 2025, 5), sex")
        #expect(grouped.groupBy == [.bin("study_year", lower: 2000, upper: 2025, count: 5), .attribute("sex")])
        #expect(grouped.columnNames == ["study_year_bin", "sex", "count"])
    }

    @Test func stringsEscapeQuotes() throws {
        let vocabulary = QueryVocabulary(entries: ["site_note": .init(kind: .categorical(codes: ["O'Brien"]), level: .study)])
        let query = try QueryParser.parse("SELECT COUNT(*) FROM cases WHERE site_note = 'O''Brien'", vocabulary: vocabulary)
        #expect(query.filter == Condition.comparison("site_note", .equal, .text("O'Brien")))
    }

    @Test(arguments: [
        ("SELECT COUNT(*) FROM cases WHERE modaliti = 'MR'", 1, 34, "unknown attribute 'modaliti'; did you mean 'modality'?"),
        ("SELECT COUNT(*) FROM cases WHERE modality = 'MRI'", 1, 45, "unknown code 'MRI' for modality; did you mean 'MR'?"),
        ("SELECT COUNT(*) FORM cases", 1, 17, "expected FROM, found 'FORM'; did you mean FROM?"),
        ("SELECT COUNT(*) FROM cases WHERE age_at_diagnosis > 'old'", 1, 53, "age_at_diagnosis is numeric; compare it with a number, not the string 'old'"),
        ("SELECT COUNT(*) FROM cases WHERE sex = 1", 1, 40, "sex is categorical; write its code as a string ('1'), not a number"),
        ("SELECT COUNT(*) FROM cases WHERE sex > 'F'", 1, 38, "sex is categorical: compare it with = or <> (or IN), not >"),
        ("SELECT AVG(sex) FROM cases", 1, 12, "AVG needs a numeric attribute; sex is categorical"),
        ("SELECT COUNT(*) FROM cases GROUP BY age_at_diagnosis", 1, 37, "age_at_diagnosis is numeric; group it with BIN(age_at_diagnosis, lo, hi, n)"),
        ("SELECT COUNT(*) FROM cases WHERE subject_id = 'x'", 1, 34, "subject_id is the site-local pseudonym; it never leaves a site and cannot be queried"),
        ("SELECT COUNT(*) FROM patients", 1, 22, "unknown table 'patients'; every node has one table, 'cases'"),
        ("SELECT COUNT(*) FROM cases WHERE sex = 'M", 1, 40, "string starting here is not closed; end it with ' (write '' for a quote inside it)"),
        ("SELECT COUNT(*)\nFROM cases\nWHERE sex = 'M' extra", 3, 17, "expected the end of the query, found 'extra'"),
        ("SELECT HISTOGRAM(age_at_diagnosis, 100, 0, 10) FROM cases", 1, 41, "HISTOGRAM needs lo < hi; got lo 100, hi 0"),
        ("SELECT HISTOGRAM(age_at_diagnosis, 0, 100, 2.5) FROM cases", 1, 44, "the number of bins must be a whole number from 1 to 1000; got 2.5"),
        ("SELECT COUNT(*), HISTOGRAM(age_at_diagnosis, 0, 100, 10) FROM cases", 1, 18, "HISTOGRAM(...) stands alone in the select list; it already counts distinct subjects per bin"),
        ("SELECT COUNT(*) FROM cases GROUP BY sex, diagnosis, modality, body_part", 1, 72, "GROUP BY allows at most 3 categorical attributes (found 4)"),
        ("SELECT SUM(image_count) FROM cases", 1, 8, "unknown aggregate 'SUM'; expected COUNT, AVG, VARIANCE, STDDEV or HISTOGRAM"),
        ("SELECT COUNT(name) FROM cases", 1, 14, "expected * or DISTINCT subject inside COUNT(...), found 'name'"),
        ("SELECT COUNT(*) FROM cases WHERE \"sex\" = 'M'", 1, 34, "double quotes are not used in this dialect; write codes in single quotes ('MR') and attribute names bare"),
        ("", 1, 1, "expected SELECT, found the end of the query"),
    ])
    func errorsSayWhereWhatAndWhy(_ sql: String, _ line: Int, _ column: Int, _ message: String) {
        let failure = error(sql)
        #expect(failure?.location == SourceLocation(line: line, column: column), "\(String(describing: failure))")
        #expect(failure?.message == message)
    }
}
