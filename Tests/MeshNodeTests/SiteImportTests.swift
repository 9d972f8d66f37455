import Foundation
import GRDB
import MeshCore
import TestSupport
import Testing

@testable import MeshNode

/// `meshnode import` and `local-query` as a site admin meets them.
@Suite struct SiteImportTests {
    static let header = "subject_id,sex,age_at_diagnosis,diagnosis,tumour_stage,modality,body_part,manufacturer,study_year,slice_thickness_mm,image_count"
    static let good = [
        header,
        "S1,M,67.5,C61,II,MR,PROSTATE,SIEMENS,2021,3,120",
        "S1,M,67.5,C61,II,PT,WHOLEBODY,GE,2022,,400",
        "S2,F,54,C50,I,MG,BREAST,HOLOGIC,2020,,4",
        "S3,F,61.2,C50,III,MR,BREAST,PHILIPS,2019,1.25,300",
    ].joined(separator: "\n") + "\n"

    func write(_ text: String, _ directory: TemporaryDirectory, _ name: String = "site.csv") throws -> String {
        let path = directory.file(name)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func problems(_ csv: String) throws -> [SiteImporter.Problem] {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try write(csv, directory)
        do {
            _ = try SiteImporter(schema: .reference).validate(csvAt: path)
            return []
        } catch {
            #expect(error.description.contains("nothing was imported"))
            return error.problems.map { SiteImporter.Problem(file: "site.csv", line: $0.line, column: $0.column, message: $0.message) }
        }
    }

    @Test(arguments: [
        ("S1,M,67.5,C61,II,MRI,PROSTATE,SIEMENS,2021,3,120", 6, "unknown code 'MRI'; did you mean 'MR'?"),
        ("S1,M,sixty,C61,II,MR,PROSTATE,SIEMENS,2021,3,120", 3, "'sixty' is not a number"),
        ("S1,M,67.55,C61,II,MR,PROSTATE,SIEMENS,2021,3,120", 3, "'67.55' has more than 1 decimal place"),
        ("S1,M,67.5,C61,II,MR,PROSTATE,SIEMENS,2021,3,", 11, "a value is required (image_count is not nullable)"),
        ("S1,M,67.5,C61,II,MR,PROSTATE,SIEMENS,1890,3,120", 9, "1890 is below the minimum 1990 year"),
        ("S1,,67.5,C61,II,MR,PROSTATE,SIEMENS,2021,3,120", 2, "a value is required (sex is not nullable)"),
        ("S9,X,67.5,C61,II,MR,PROSTATE,SIEMENS,2021,3,120", 2, "unknown code 'X' (allowed: M, F, O)"),
    ])
    func refusesABadFieldWithLineAndColumn(_ row: String, _ column: Int, _ message: String) throws {
        let found = try problems(Self.good + row + "\n")
        #expect(found.count == 1, "\(found)")
        #expect(found.first?.line == 6)
        #expect(found.first?.column?.index == column)
        #expect(found.first?.message.hasPrefix(message) == true, "\(String(describing: found.first?.message))")
    }

    @Test func refusesUnknownAndMissingColumns() throws {
        let unknown = try problems(Self.header.replacingOccurrences(of: "modality", with: "modaliti") + "\n")
        #expect(unknown.contains { $0.line == 1 && $0.column?.index == 6 && $0.message == "unknown column 'modaliti'; did you mean 'modality'?" })
        #expect(unknown.contains { $0.message == "required column 'modality' is missing" })
        let extra = try problems(Self.header + ",notes\n")
        #expect(extra.first?.column?.index == 12)
        #expect(extra.first?.message == "unknown column 'notes'")
    }

    @Test func refusesASubjectWhosePersonLevelAttributesDisagree() throws {
        let found = try problems(Self.good + "S2,F,55,C50,I,US,BREAST,GE,2021,,10\n")
        #expect(found.count == 1)
        #expect(found.first?.line == 6 && found.first?.column?.name == "age_at_diagnosis")
        #expect(found.first?.message.contains("subject 'S2' has age_at_diagnosis 55 here but 54 on line 4") == true)
    }

    @Test func refusesWrongFieldCountsAndBrokenQuotes() throws {
        #expect(try problems(Self.good + "S1,M,67.5\n").first?.message == "has 3 fields; the header has 11")
        #expect(try problems(Self.good + "S1,\"M,67.5\n").first?.message == "a quoted field is not closed before the end of the file")
    }

    @Test func aFailedImportLeavesThePreviousDataAndAGoodOneReplacesIt() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let database = directory.file("site.sqlite")
        let store = try SiteStore(path: database)
        let first = try SiteImporter(schema: .reference).validate(csvAt: try write(Self.good, directory))
        _ = try store.replaceCases(with: first, schema: .reference, schemaYAML: Schema.referenceYAML, sourceFile: "site.csv")
        let before = try dump(database)
        #expect(before.count == 4)

        let command = try ProcessRunner.run(CACommandTests.meshnode, ["import", "--db", database, "--csv", try write(Self.good + "S4,Q,1,C50,I,MG,BREAST,GE,2020,,4\n", directory, "bad.csv")])
        #expect(command.status != 0)
        #expect(command.standardError.contains("bad.csv:6: column 2 (sex): unknown code 'Q'"), "\(command.standardError)")
        #expect(command.standardError.contains("nothing was imported"))
        #expect(try dump(database) == before)

        let replacement = Self.header + "\nS7,O,40,C71,IV,MR,BRAIN,CANON,2024,1,200\n"
        let ok = try ProcessRunner.run(CACommandTests.meshnode, ["import", "--db", database, "--csv", try write(replacement, directory, "new.csv")])
        #expect(ok.status == 0, "\(ok.combinedOutput)")
        #expect(ok.standardOutput.contains("imported 1 studies of 1 subjects") && ok.standardOutput.contains("replacing 4 studies"))
        #expect(try dump(database) == ["S7|O|40|C71|IV|MR|BRAIN|CANON|2024|1|200"])
    }

    /// An import killed at any moment leaves either all of the old data or all of the new.
    @Test func aCrashDuringImportLeavesThePreviousData() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let database = directory.file("site.sqlite")
        let store = try SiteStore(path: database)
        _ = try store.replaceCases(
            with: try SiteImporter(schema: .reference).validate(csvAt: try write(Self.good, directory)),
            schema: .reference, schemaYAML: Schema.referenceYAML, sourceFile: "site.csv"
        )
        let big = directory.file("big.csv")
        let synth = try ProcessRunner.run(CACommandTests.meshnode, ["synth", "--profile", "general", "--subjects", "20000", "--seed", "3", "--out", big])
        #expect(synth.status == 0, "\(synth.combinedOutput)")
        let newRows = try String(contentsOfFile: big, encoding: .utf8).split(separator: "\n").count - 1
        for delayMilliseconds in [300, 900, 1500] {
            let process = try InteractiveProcess(CACommandTests.meshnode, ["import", "--db", database, "--csv", big])
            usleep(useconds_t(delayMilliseconds * 1000))
            process.kill()
            let count = try DatabaseQueue(path: database).read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM cases")! }
            #expect(count == 4 || count == newRows, "after a kill at \(delayMilliseconds) ms the table holds \(count) rows")
            let integrity = try DatabaseQueue(path: database).read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") }
            #expect(integrity == "ok")
            if count == 4 { try #require(try dump(database).count == 4) }
        }
    }

    @Test func localQueryReleasesOnlyCellsOfAtLeastK() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let database = directory.file("site.sqlite")
        _ = try ProcessRunner.run(CACommandTests.meshnode, ["import", "--db", database, "--csv", try write(Self.good, directory)])
        let json = try ProcessRunner.run(
            CACommandTests.meshnode,
            ["local-query", "--db", database, "--k", "2", "--format", "json", "SELECT COUNT(*), COUNT(DISTINCT subject), AVG(age_at_diagnosis) FROM cases GROUP BY sex"]
        )
        #expect(json.status == 0, "\(json.combinedOutput)")
        #expect(
            json.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
                == #"{"columns": ["sex", "count", "count_distinct_subject", "avg_age_at_diagnosis"], "rows": [["F", 2, 2, 57.6], ["M", "<2", "<2", "<2"]], "k": 2, "perturbed": false, "noise_sigma": 0.0}"#
        )
        let csv = try ProcessRunner.run(
            CACommandTests.meshnode,
            ["local-query", "--db", database, "--format", "csv", "SELECT HISTOGRAM(slice_thickness_mm, 0, 5, 5) FROM cases"]
        )
        #expect(csv.standardOutput == "slice_thickness_mm_bin,count_distinct_subject\n\"[1,2)\",<5\n\"[3,4)\",<5\n,<5\n")
        let bad = try ProcessRunner.run(CACommandTests.meshnode, ["local-query", "--db", database, "SELECT COUNT(*) FROM cases WHERE diagnosis = 'C611'"])
        #expect(bad.status != 0)
        #expect(bad.standardError.contains("line 1, column 46: unknown code 'C611' for diagnosis; did you mean 'C61'?"), "\(bad.standardError)")
    }

    func dump(_ database: String) throws -> [String] {
        try DatabaseQueue(path: database).read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM cases ORDER BY rowid").map { row in
                row.databaseValues.map { $0.isNull ? "" : "\($0.storage.value.map { "\($0)" } ?? "")" }.joined(separator: "|")
            }
        }
    }
}

extension DatabaseValue.Storage {
    var value: (any Sendable)? {
        switch self {
        case .null: nil
        case .int64(let v): v
        case .double(let v): v
        case .string(let v): v
        case .blob(let v): v
        }
    }
}
