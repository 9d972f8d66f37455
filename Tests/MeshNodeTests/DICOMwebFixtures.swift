import DICOM
import Foundation
import TestSupport
import Testing

/// For the DICOMweb import tests: studies written by pydicom (Tests/DICOMTests/make_study_fixtures.py) into a temporary
/// directory, with what each study must become by the primary-series rule, computed by the
/// script from what pydicom reads back: the oracle for every way of importing them.
struct DICOMwebFixtures {
    /// One study of expected.json, keyed by DICOM keyword.
    struct Expected: Decodable {
        let StudyInstanceUID: String
        let PatientID: String?
        let PatientSex: String?
        let PatientAge: String?
        let PatientBirthDate: String?
        let StudyDate: String?
        let Modality: String?
        let BodyPartExamined: String?
        let Manufacturer: String?
        let SliceThickness: String?
        let NumberOfStudyRelatedInstances: Int
        let NumberOfStudyRelatedSeries: Int
    }

    private struct File: Decodable {
        let files: [String]
        let studies: [Expected]
    }

    let directory: TemporaryDirectory
    /// The DICOM files, absolute paths.
    let files: [String]
    /// Ordered by Study Instance UID, as ``DICOMStudyAssembler/assembled()`` orders studies.
    let expected: [Expected]

    init() throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../DICOMTests/make_study_fixtures.py").standardizedFileURL.path
        let directory = try TemporaryDirectory("oncomesh-studies")
        self.directory = directory
        let result = try ProcessRunner.run("python3", [script, directory.path])
        guard result.status == 0 else {
            directory.remove()
            if result.standardError.contains("No module named 'pydicom'") {
                throw TestSupportError("pydicom is not installed: run `make test` (it installs it) or `pip install pydicom`")
            }
            throw TestSupportError("make_study_fixtures.py failed:\n" + result.combinedOutput)
        }
        let data = try Data(contentsOf: URL(fileURLWithPath: directory.file("expected.json")))
        let file = try JSONDecoder().decode(File.self, from: data)
        files = file.files.map { directory.file($0) }
        expected = file.studies.sorted { $0.StudyInstanceUID < $1.StudyInstanceUID }
    }

    /// The files read by the folder reader and assembled, as a site's folder import does.
    func studiesFromFiles() throws -> [DICOMStudy] {
        var assembler = DICOMStudyAssembler()
        for path in files {
            try assembler.add(file: DICOMFileReader().readHeader(path: path), path: path)
        }
        return assembler.assembled()
    }

    /// Checks every attribute of every study against expected.json, naming the source, the
    /// study and the attribute of any difference.
    func check(_ studies: [DICOMStudy], from source: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(studies.map(\.studyInstanceUID) == expected.map(\.StudyInstanceUID), "\(source): the studies", sourceLocation: sourceLocation)
        for (study, want) in zip(studies, expected) {
            let texts: [(String, String?, String?)] = [
                ("PatientID", study.patientID, want.PatientID),
                ("PatientSex", study.patientSex, want.PatientSex),
                ("PatientAge", study.patientAge?.description, want.PatientAge),
                ("PatientBirthDate", study.patientBirthDate?.description, want.PatientBirthDate),
                ("StudyDate", study.studyDate?.description, want.StudyDate),
                ("Modality", study.modality, want.Modality),
                ("BodyPartExamined", study.bodyPartExamined, want.BodyPartExamined),
                ("Manufacturer", study.manufacturer, want.Manufacturer),
            ]
            for (keyword, got, wanted) in texts {
                #expect(got == wanted, "\(source): study \(want.StudyInstanceUID) \(keyword)", sourceLocation: sourceLocation)
            }
            let thickness = want.SliceThickness.flatMap { Decimal(string: $0, locale: Locale(identifier: "en_US_POSIX")) }
            #expect(study.sliceThickness == thickness, "\(source): study \(want.StudyInstanceUID) SliceThickness", sourceLocation: sourceLocation)
            #expect(study.instanceCount == want.NumberOfStudyRelatedInstances, "\(source): study \(want.StudyInstanceUID) instances", sourceLocation: sourceLocation)
            #expect(study.seriesCount == want.NumberOfStudyRelatedSeries, "\(source): study \(want.StudyInstanceUID) series", sourceLocation: sourceLocation)
        }
    }
}
