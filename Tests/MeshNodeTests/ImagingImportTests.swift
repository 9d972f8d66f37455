import DICOM
import Foundation
import GRDB
import MeshCore
@testable import MeshNode
import Testing
import TestSupport

/// Imaging metadata into the site database: folders read against pydicom, the clinical join
/// and mapping, what is reported and refused, and syncs that fetch only what changed and
/// leave the previous data serving when they fail.
@Suite struct ImagingImportTests {
    /// A site folder with the clinical export, the mapping and a database path.
    struct Site {
        let folder: TemporaryDirectory
        var database: String { folder.file("site.db") }
        var clinical: String { folder.file("clinical.csv") }
        var mapping: String { folder.file("mapping.yaml") }

        init(clinical: String = ImagingImportTests.clinicalCSV, mapping: String = ImagingImportTests.mappingYAML) throws {
            folder = try TemporaryDirectory("oncomesh-imaging")
            try clinical.write(toFile: self.clinical, atomically: true, encoding: .utf8)
            try mapping.write(toFile: self.mapping, atomically: true, encoding: .utf8)
        }

        func job(strict: Bool = false) -> ImagingImport {
            ImagingImport(
                databasePath: database, schema: .reference, schemaYAML: Schema.referenceYAML, clinicalPath: clinical, mappingPath: mapping,
                strict: strict, showProgress: false
            )
        }

        /// The `cases` table, one line per row in a stable order.
        func cases() throws -> [String] {
            let queue = try DatabaseQueue(path: database)
            return try queue.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM cases ORDER BY subject_id, study_year, modality, image_count").map { row in
                    row.databaseValues.map { "\($0)" }.joined(separator: ",")
                }
            }
        }

        func importID() throws -> String? { try SiteStore(path: database).importID() }
    }

    /// A clinical export and mapping for the fixtures' patients (P0001 to P0006), in site
    /// vocabularies that the mapping turns into the dictionary's codes.
    static let clinicalCSV = """
        patient_id,diagnosis,tumour_stage,age_at_diagnosis
        P0001,SNOMED:399068003,II,54
        P0002,SNOMED:399068003,III,
        P0003,SNOMED:254837009,I,50.5
        P0004,C71,unknown,1.5
        P0005,ICD-10:C25.9,IV,67
        P0006,C34,II,72

        """

    static let mappingYAML = """
        version: 1
        manufacturer:
          SIEMENS: ["Siemens Healthineers"]
          GE: ["GE MEDICAL SYSTEMS"]
          CANON: [TOSHIBA, "Canon Medical Systems"]
        diagnosis:
          C61: ["SNOMED:399068003"]
          C50: ["SNOMED:254837009"]
          C25: ["ICD-10:C25.9"]

        """

    /// The fixtures with only DICOM files in their folder (the manifest, already read, is removed).
    static func folderFixtures() throws -> DICOMwebFixtures {
        let fixtures = try DICOMwebFixtures()
        try FileManager.default.removeItem(atPath: fixtures.directory.file("expected.json"))
        return fixtures
    }

    @Test func aFolderScanReadsAsPydicomReadsIt() throws {
        let fixtures = try Self.folderFixtures()
        defer { fixtures.directory.remove() }
        let result = try DICOMFolderScan(folder: fixtures.directory.path, policy: .fail).run()
        #expect(result.filesRead == fixtures.files.count)
        fixtures.check(result.studies, from: "folder scan")
    }

    @Test func aFolderImportJoinsTheClinicalExportThroughTheMappingAndReportsWhatItLeftOut() async throws {
        let fixtures = try Self.folderFixtures()
        let site = try Site()
        defer { fixtures.directory.remove(); site.folder.remove() }
        let summary = try await site.job().run(.folder(path: fixtures.directory.path, badFiles: .fail))
        // Study 8 (P0006) has neither a sex nor a body part: left out and reported, not dropped
        // silently (one reason per study: the person's first).
        #expect(summary.rows == fixtures.expected.count - 1)
        #expect(summary.report.contains { $0.contains("sex: '(missing)' unmapped in 1 record (e.g. study 1.2.826.0.1.3680043.8.498.4242.8)") })
        #expect(summary.report.contains { $0.contains("body_part") } == false)
        let rows = try site.cases()
        // subject, sex, age, diagnosis, stage, modality, body part, manufacturer, year, slice thickness, images
        #expect(rows.contains("\"P0001\",\"M\",54,\"C61\",\"II\",\"CT\",\"CHEST\",\"SIEMENS\",2019,1.25,4"))
        // The PET/CT study: PT is the primary series (most instances); GE through the mapping.
        #expect(rows.contains("\"P0001\",\"M\",54,\"C61\",\"II\",\"PT\",\"WHOLEBODY\",\"GE\",2020,3.27,7"))
        // A blank age in the clinical export: the age at the patient's first study, from Patient's Age.
        #expect(rows.contains("\"P0002\",\"M\",71,\"C61\",\"III\",\"MR\",\"PROSTATE\",\"PHILIPS\",2023,3,6"))
        // Mammography without slice thickness: NULL.
        #expect(rows.contains("\"P0003\",\"F\",50.5,\"C50\",\"I\",\"MG\",\"BREAST\",\"SIEMENS\",2021,NULL,4"))
        #expect(rows.contains("\"P0004\",\"F\",1.5,\"C71\",\"unknown\",\"CT\",\"HEAD\",\"CANON\",2019,2.5,7"))
        #expect(rows.contains("\"P0005\",\"O\",67,\"C25\",\"IV\",\"CT\",\"ABDOMEN\",\"CANON\",2024,NULL,2"))
        #expect(rows.count == 7)
    }

    @Test func strictRefusesUnmappedValuesAndKeepsThePreviousData() async throws {
        let fixtures = try Self.folderFixtures()
        let site = try Site()
        defer { fixtures.directory.remove(); site.folder.remove() }
        _ = try await site.job().run(.folder(path: fixtures.directory.path, badFiles: .fail))
        let before = try site.cases()
        let importID = try site.importID()
        // A mapping without the Canon entry: TOSHIBA and Canon Medical Systems are unmapped.
        try Self.mappingYAML.replacingOccurrences(of: "  CANON: [TOSHIBA, \"Canon Medical Systems\"]\n", with: "")
            .write(toFile: site.mapping, atomically: true, encoding: .utf8)
        let error = await #expect(throws: ImagingImport.Failure.self) {
            try await site.job(strict: true).run(.folder(path: fixtures.directory.path, badFiles: .fail))
        }
        let text = error?.description ?? ""
        #expect(text.contains("manufacturer: 'TOSHIBA' unmapped in 1 record (e.g. study 1.2.826.0.1.3680043.8.498.4242.5)"))
        #expect(text.contains("manufacturer: 'Canon Medical Systems' unmapped"))
        #expect(text.contains("--strict: nothing was imported"))
        #expect(try site.cases() == before)
        #expect(try site.importID() == importID)
    }

    @Test func aTruncatedOrForeignFileFailsTheImportByNameOrIsSkippedWhenAsked() async throws {
        let fixtures = try Self.folderFixtures()
        let site = try Site()
        defer { fixtures.directory.remove(); site.folder.remove() }
        _ = try await site.job().run(.folder(path: fixtures.directory.path, badFiles: .fail))
        let before = try site.cases()
        // Cut one file inside its header and drop a text file beside the images.
        let victim = fixtures.files[0]
        let bytes = try Data(contentsOf: URL(fileURLWithPath: victim))
        try bytes.prefix(300).write(to: URL(fileURLWithPath: victim))
        let foreign = fixtures.directory.file("study1/notes.txt")
        try "not an image".write(toFile: foreign, atomically: true, encoding: .utf8)

        let error = await #expect(throws: DICOMFolderScan.ScanError.self) {
            try await site.job().run(.folder(path: fixtures.directory.path, badFiles: .fail))
        }
        #expect(error?.description.hasPrefix(foreign) == true || error?.description.hasPrefix(victim) == true)
        #expect(error?.description.contains("--bad-files skip") == true)
        #expect(try site.cases() == before)

        let summary = try await site.job().run(.folder(path: fixtures.directory.path, badFiles: .skip))
        #expect(summary.skippedFiles.count == 2)
        #expect(summary.skippedFiles.contains { $0.hasPrefix(victim) && $0.contains("truncated") })
        #expect(summary.skippedFiles.contains { $0.hasPrefix(foreign) && $0.contains("not a DICOM file") })
        #expect(summary.report.filter { $0.hasPrefix("skipped: ") }.count == 2)
        // Study 1 lost one of its four instances.
        #expect(try site.cases().contains("\"P0001\",\"M\",54,\"C61\",\"II\",\"CT\",\"CHEST\",\"SIEMENS\",2019,1.25,3"))
    }

    @Test func aClinicalExportWithAStudyLevelColumnOrAMissingPatientNamesTheLine() throws {
        #expect(throws: ClinicalExport.ReadError.self) {
            try ClinicalExport.parse(data: Data("patient_id,modality\nP1,CT\n".utf8), file: "c.csv", schema: .reference)
        }
        do {
            _ = try ClinicalExport.parse(data: Data("patient_id,diagnosis\nP1,C50\nP1,C61\n".utf8), file: "c.csv", schema: .reference)
            Issue.record("a patient twice was accepted")
        } catch {
            #expect(error.description == "c.csv:3: patient 'P1' appears again (first on line 2); one row per patient")
        }
        do {
            _ = try ClinicalExport.parse(data: Data("patient_id,diagnosys\nP1,C50\n".utf8), file: "c.csv", schema: .reference)
            Issue.record("an unknown column was accepted")
        } catch {
            #expect(error.description.contains("c.csv:1: column 2 ('diagnosys') is not an attribute of the schema; did you mean 'diagnosis'?"))
        }
        // No source for tumour_stage: refused before anything is read.
        let clinical = try ClinicalExport.parse(data: Data("patient_id,diagnosis,age_at_diagnosis\nP1,C50,40\n".utf8), file: "c.csv", schema: .reference)
        #expect(throws: ImagingCaseBuilder.SetupError.self) {
            try ImagingCaseBuilder(schema: .reference, mapping: VocabularyMapping(schema: .reference), clinical: clinical)
        }
    }

    @Test func aPatientWithoutAClinicalRecordIsReportedAndLeftOut() throws {
        let clinical = try ClinicalExport.parse(
            data: Data("patient_id,diagnosis,tumour_stage\nP1,C50,I\n".utf8), file: "c.csv", schema: .reference)
        let builder = try ImagingCaseBuilder(schema: .reference, mapping: VocabularyMapping(schema: .reference), clinical: clinical)
        let date = DICOMDate(year: 2020, month: 1, day: 2)
        let studies = [
            DICOMStudy(studyInstanceUID: "1.1", patientID: "P1", patientSex: "F", patientAge: DICOMAge(dicom: "040Y"), studyDate: date,
                       modality: "MG", bodyPartExamined: "BREAST", manufacturer: "HOLOGIC", instanceCount: 4, seriesCount: 1),
            DICOMStudy(studyInstanceUID: "1.2", patientID: "P2", patientSex: "M", patientAge: DICOMAge(dicom: "060Y"), studyDate: date,
                       modality: "CT", bodyPartExamined: "CHEST", manufacturer: "GE", instanceCount: 100, seriesCount: 2),
            DICOMStudy(studyInstanceUID: "1.3", patientID: "P1", patientSex: "F", studyDate: DICOMDate(year: 1985, month: 1, day: 1),
                       modality: "MG", bodyPartExamined: "BREAST", manufacturer: "HOLOGIC", instanceCount: 4, seriesCount: 1),
        ]
        let outcome = builder.build(studies: studies)
        #expect(outcome.rows.count == 1)
        #expect(outcome.excluded.map(\.description).sorted() == [
            "study 1.2: no clinical record: patient 'P2' is not in c.csv",
            "study 1.3: out of range: study year 1985 is below the minimum 1990 year of study_year",
        ])
        #expect(outcome.report.contains { $0.hasPrefix("1 study left out: no clinical record (e.g. study 1.2") })
    }

    @Test func theSyncPlanFetchesNewAndChangedStudiesAndRemovesVanishedOnes() {
        func listing(_ uid: String, _ instances: Int, _ series: Int = 1) -> DICOMStudyListing {
            DICOMStudyListing(study: DICOMStudyLevel(studyInstanceUID: uid), instanceCount: instances, seriesCount: series)
        }
        func stored(_ uid: String, _ instances: Int, _ series: Int = 1, year: Int = 2020) -> (String, DICOMStudy) {
            (uid, DICOMStudy(studyInstanceUID: uid, studyDate: DICOMDate(year: year, month: 6, day: 1), instanceCount: instances, seriesCount: series))
        }
        let held = Dictionary(uniqueKeysWithValues: [stored("a", 4), stored("b", 4), stored("c", 2), stored("old", 1, year: 2001)])
        let plan = StudySyncPlan(listed: [listing("a", 4), listing("b", 5), listing("c", 2, 2), listing("d", 1), listing("a", 4)], stored: held, since: nil)
        #expect(plan.fetch == ["b", "c", "d"])
        #expect(plan.remove == ["old"])
        #expect(plan.unchanged == 1)
        // With a date floor, a stored study before it is kept though the server did not list it.
        let floored = StudySyncPlan(listed: [listing("a", 4)], stored: held, since: DICOMDate(year: 2010, month: 1, day: 1))
        #expect(floored.remove == ["b", "c"])
        #expect(floored.unchanged == 2)
    }

    /// A server in memory: the studies it holds, and a request on which it fails.
    final class FakeServer: DICOMStudyServer, @unchecked Sendable {
        let name = "http://fake.invalid/dicom-web"
        private let lock = NSLock()
        var studies: [String: (DICOMStudyLevel, [DICOMSeriesLevel])] = [:]
        var failOnSeriesOf: String?
        private(set) var seriesRequests: [String] = []

        struct Refused: Error, CustomStringConvertible {
            let description: String
        }

        func listStudies(studyDateFrom: DICOMDate?) async throws -> [DICOMStudyListing] {
            lock.withLock {
                studies.keys.sorted().map { uid in
                    let (level, series) = studies[uid]!
                    return DICOMStudyListing(study: level, instanceCount: series.reduce(0) { $0 + $1.instanceCount }, seriesCount: series.count)
                }
            }
        }

        func series(ofStudy uid: String) async throws -> [DICOMSeriesLevel] {
            try lock.withLock {
                seriesRequests.append(uid)
                if uid == failOnSeriesOf { throw Refused(description: "\(name)/studies/\(uid)/series: HTTP 500 Internal Server Error") }
                return studies[uid]!.1
            }
        }

        func add(_ uid: String, patient: String, modality: String, instances: Int) {
            let level = DICOMStudyLevel(
                studyInstanceUID: uid, patientID: patient, patientSex: "M", patientAge: DICOMAge(dicom: "060Y"),
                studyDate: DICOMDate(year: 2022, month: 3, day: 4))
            let series = DICOMSeriesLevel(
                seriesInstanceUID: uid + ".1", modality: modality, bodyPartExamined: "CHEST", manufacturer: "SIEMENS", sliceThickness: 1, instanceCount: instances)
            lock.withLock { studies[uid] = (level, [series]) }
        }
    }

    @Test func aSyncFetchesOnlyWhatChangedAndAFailedSyncLeavesThePreviousDataServing() async throws {
        let site = try Site(clinical: "patient_id,diagnosis,tumour_stage\nP0001,C34,II\nP0002,C34,III\n", mapping: "version: 1\n")
        defer { site.folder.remove() }
        let server = FakeServer()
        server.add("1.1", patient: "P0001", modality: "CT", instances: 10)
        server.add("1.2", patient: "P0002", modality: "CT", instances: 20)
        var summary = try await site.job().run(.server(server, since: nil))
        #expect(summary.rows == 2)
        #expect(server.seriesRequests.sorted() == ["1.1", "1.2"])

        // Nothing changed: nothing fetched, nothing written, the import id unchanged.
        let firstImport = try site.importID()
        summary = try await site.job().run(.server(server, since: nil))
        #expect(summary.upToDate)
        #expect(server.seriesRequests.count == 2)
        #expect(try site.importID() == firstImport)

        // One new study: only it is fetched.
        server.add("1.3", patient: "P0001", modality: "PT", instances: 5)
        summary = try await site.job().run(.server(server, since: nil))
        #expect(server.seriesRequests.suffix(1) == ["1.3"])
        #expect(summary.studiesFetched == 1 && summary.studiesUnchanged == 2 && summary.rows == 3)
        #expect(try site.importID() != firstImport)

        // The server fails on a changed study: the sync fails, the data is the previous.
        let before = try site.cases()
        let secondImport = try site.importID()
        server.add("1.2", patient: "P0002", modality: "CT", instances: 21)
        server.failOnSeriesOf = "1.2"
        await #expect(throws: FakeServer.Refused.self) { try await site.job().run(.server(server, since: nil)) }
        #expect(try site.cases() == before)
        #expect(try site.importID() == secondImport)

        // A changed clinical export re-imports though no study changed.
        server.failOnSeriesOf = nil
        _ = try await site.job().run(.server(server, since: nil))
        try "patient_id,diagnosis,tumour_stage\nP0001,C34,IV\nP0002,C34,III\n".write(toFile: site.clinical, atomically: true, encoding: .utf8)
        summary = try await site.job().run(.server(server, since: nil))
        #expect(!summary.upToDate)
        #expect(try site.cases().filter { $0.contains("\"IV\"") }.count == 2)

        // A CSV import in between replaces the rows; the next sync puts the server's back.
        let imaging = try site.cases()
        let csv = "subject_id,sex,age_at_diagnosis,diagnosis,tumour_stage,modality,body_part,manufacturer,study_year,slice_thickness_mm,image_count\nX1,F,50,C50,I,MG,BREAST,HOLOGIC,2020,,4\n"
        let rows = try SiteImporter(schema: .reference).validate(data: Data(csv.utf8), file: "other.csv")
        _ = try SiteStore(path: site.database).replaceCases(with: rows, schema: .reference, schemaYAML: Schema.referenceYAML, sourceFile: "other.csv")
        summary = try await site.job().run(.server(server, since: nil))
        #expect(!summary.upToDate)
        #expect(try site.cases() == imaging)
    }

    @Test func progressIsQuietForShortWorkAndPrintsATenthAtATimeWhenNotATerminal() {
        var clock = 0.0
        var lines: [String] = []
        let quiet = ImportProgress(label: "fetching", unit: "studies", total: 100, isTerminal: false, write: { lines.append($0) }, now: { clock })
        for done in 1...100 { clock = Double(done) * 0.005; quiet.update(done: done) }
        #expect(lines.isEmpty)

        clock = 0
        let long = ImportProgress(label: "fetching", unit: "studies", total: 1000, isTerminal: false, write: { lines.append($0) }, now: { clock })
        for done in 1...1000 { clock = Double(done) * 0.01; long.update(done: done) }
        #expect(lines.count == 10)
        #expect(lines[0] == "fetching: 100/1000 studies (10%), 100/s, 9 s left\n")
        #expect(lines.last == "fetching: 1000/1000 studies (100%), 100/s\n")

        lines = []
        clock = 0
        let terminal = ImportProgress(label: "reading", unit: "files", total: 50, isTerminal: true, write: { lines.append($0) }, now: { clock })
        for done in 1...50 { clock = Double(done) * 0.05; terminal.update(done: done) }
        terminal.finish()
        #expect(lines.first?.hasPrefix("\r\u{1B}[Kreading: 20/50 files (40%)") == true)
        #expect(lines.count < 50 && lines.last == "\n")
    }
}
