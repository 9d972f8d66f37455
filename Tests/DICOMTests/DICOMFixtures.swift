import Foundation
import TestSupport

/// DICOM files written by pydicom (make_dicom_fixtures.py) into a temporary directory, with
/// the manifest of what pydicom reads back from each or which error the reader must report.
struct DICOMFixtures {
    struct Expected: Decodable {
        let header: PydicomView?
        let error: ExpectedError?
    }

    /// What pydicom reads from a file: the attributes by keyword, as text.
    struct PydicomView: Decodable {
        let attributes: [String: String?]
        let ageYears: Double?
        let pixelDataLength: Int?
        let fileSize: Int
    }

    struct ExpectedError: Decodable {
        let kind: String
        let tag: String?
        let offset: Int?
        let uid: String?
    }

    let directory: TemporaryDirectory
    let manifest: [String: Expected]

    init() throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("make_dicom_fixtures.py").path
        directory = try TemporaryDirectory("oncomesh-dicom")
        let result = try ProcessRunner.run("python3", [script, directory.path])
        guard result.status == 0 else {
            directory.remove()
            if result.standardError.contains("No module named 'pydicom'") {
                throw TestSupportError("pydicom is not installed: run `make test` (it installs it) or `pip install pydicom`")
            }
            throw TestSupportError("make_dicom_fixtures.py failed:\n" + result.combinedOutput)
        }
        let data = try Data(contentsOf: URL(fileURLWithPath: directory.file("manifest.json")))
        manifest = try JSONDecoder().decode([String: Expected].self, from: data)
    }

    func path(_ name: String) -> String { directory.file(name) }

    /// The files pydicom describes, by name.
    var headers: [(name: String, view: PydicomView)] {
        manifest.compactMap { name, expected in expected.header.map { (name, $0) } }.sorted { $0.name < $1.name }
    }

    var errors: [(name: String, error: ExpectedError)] {
        manifest.compactMap { name, expected in expected.error.map { (name, $0) } }.sorted { $0.name < $1.name }
    }
}
