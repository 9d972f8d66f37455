@testable import MeshNode
import Testing

/// The `sync` section of node.yaml: a source, the clinical export and mapping (relative to
/// the file), and errors that name the line.
@Suite struct SyncSettingsTests {
    @Test func aDICOMwebSourceWithItsFilesRelativeToTheConfiguration() throws {
        let text = MinimalNodeConfig.text(section: "sync", [
            "dicomweb: http://127.0.0.1:8042/dicom-web", "user: oncomesh", "password_file: orthanc.password",
            "clinical: clinical.csv", "mapping: /etc/oncomesh/mapping.yaml", "interval_s: 30", "strict: true",
        ])
        let sync = try #require(try NodeConfig.parse(text, file: "/srv/node/node.yaml").sync)
        #expect(sync.source == .dicomweb(DICOMwebSettings(baseURL: "http://127.0.0.1:8042/dicom-web", user: "oncomesh", passwordFile: "/srv/node/orthanc.password")))
        #expect(sync.clinicalPath == "/srv/node/clinical.csv")
        #expect(sync.mappingPath == "/etc/oncomesh/mapping.yaml")
        #expect(sync.intervalSeconds == 30 && sync.strict)

        let folder = try #require(try NodeConfig.parse(
            MinimalNodeConfig.text(section: "sync", ["dicom_dir: exports", "clinical: c.csv", "bad_files: skip"]), file: "/srv/node/node.yaml"
        ).sync)
        #expect(folder.source == .folder(path: "/srv/node/exports", badFiles: .skip))
        #expect(folder.intervalSeconds == 600 && folder.mappingPath == nil && !folder.strict)
    }

    @Test(arguments: [
        (["dicomweb: http://x/dicom-web"], 8, "sync needs 'clinical'"),
        (["clinical: c.csv"], 8, "sync needs a source"),
        (["dicomweb: http://x", "dicom_dir: d", "clinical: c.csv"], 8, "one source: dicomweb or dicom_dir, not both"),
        (["dicomweb: http://x", "clinical: c.csv", "interval: 5"], 10, "unknown sync setting 'interval'; did you mean 'interval_s'?"),
        (["dicomweb: http://x", "clinical: c.csv", "interval_s: 0"], 10, "sync.interval_s must be a whole number of seconds, at least 1"),
        (["dicomweb: http://x", "clinical: c.csv", "bad_files: skip"], 10, "sync.bad_files applies to dicom_dir"),
        (["dicom_dir: d", "clinical: c.csv", "user: u"], 10, "sync.user applies to dicomweb"),
        (["dicomweb: http://x", "clinical: c.csv", "password_file: p"], 10, "sync.password_file needs sync.user"),
    ])
    func aSectionThatCannotWorkNamesTheLine(lines: [String], line: Int, message: String) {
        do {
            _ = try NodeConfig.parse(MinimalNodeConfig.text(section: "sync", lines), file: "node.yaml")
            Issue.record("accepted: \(lines)")
        } catch {
            #expect(error.line == line, "\(error)")
            #expect(error.description.contains(message), "\(error)")
        }
    }
}
