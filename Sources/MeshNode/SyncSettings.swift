import Foundation
import MeshCore
import Yams

/// The `sync` section of node.yaml: where a running node keeps its site data current from
/// (a DICOMweb server or a folder of exported DICOM files), with the clinical export and
/// the mapping, and how often. A node with this section syncs once at start and then every
/// `interval_s`; each sync is an ``ImagingImport`` (incremental against a server), and a
/// sync that changes the data gives a new catalogue version through the node's folder
/// watch. A failed sync is logged and the node keeps serving the data it has.
///
/// ```yaml
/// sync:
///   dicomweb: http://127.0.0.1:8042/dicom-web   # or  dicom_dir: exported-studies
///   user: oncomesh                               # DICOMweb basic auth, optional
///   password_file: orthanc.password
///   clinical: clinical.csv
///   mapping: mapping.yaml
///   interval_s: 600
///   strict: false
///   bad_files: fail                              # dicom_dir only: fail or skip
/// ```
///
/// Relative paths are relative to node.yaml's folder.
struct SyncSettings: Equatable, Sendable {
    enum Source: Equatable, Sendable {
        case dicomweb(DICOMwebSettings)
        case folder(path: String, badFiles: DICOMFolderScan.BadFilePolicy)
    }

    var source: Source
    var clinicalPath: String
    var mappingPath: String?
    var intervalSeconds = 600
    var strict = false

    static let keys = ["dicomweb", "dicom_dir", "user", "password_file", "clinical", "mapping", "interval_s", "strict", "bad_files"]

    /// Reads the section; errors name the file and line.
    init(parsing node: Node, file: String, resolve: (String) -> String) throws(ConfigError) {
        guard let mapping = node.mapping else { throw ConfigError(file: file, line: node.mark?.line, "sync must be a mapping") }
        var values: [String: (text: String, line: Int?)] = [:]
        for (key, value) in mapping {
            let name = key.string ?? "?"
            guard Self.keys.contains(name) else {
                let hint = NameSuggestion.closest(to: name, among: Self.keys).map { "; did you mean '\($0)'?" } ?? ""
                throw ConfigError(file: file, line: key.mark?.line, "unknown sync setting '\(name)'\(hint)")
            }
            guard let text = value.string, !text.isEmpty else {
                throw ConfigError(file: file, line: value.mark?.line, "sync.\(name) needs a value")
            }
            values[name] = (text, value.mark?.line)
        }
        let line = node.mark?.line
        guard let clinical = values["clinical"] else {
            throw ConfigError(file: file, line: line, "sync needs 'clinical': the clinical export (CSV keyed by the DICOM Patient ID)")
        }
        clinicalPath = resolve(clinical.text)
        mappingPath = values["mapping"].map { resolve($0.text) }
        if let interval = values["interval_s"] {
            guard let seconds = Int(interval.text), seconds >= 1 else {
                throw ConfigError(file: file, line: interval.line, "sync.interval_s must be a whole number of seconds, at least 1; got '\(interval.text)'")
            }
            intervalSeconds = seconds
        }
        if let strict = values["strict"] {
            guard let flag = Bool(strict.text.lowercased()) else {
                throw ConfigError(file: file, line: strict.line, "sync.strict must be true or false; got '\(strict.text)'")
            }
            self.strict = flag
        }
        switch (values["dicomweb"], values["dicom_dir"]) {
        case (let url?, nil):
            if let badFiles = values["bad_files"] {
                throw ConfigError(file: file, line: badFiles.line, "sync.bad_files applies to dicom_dir, not dicomweb")
            }
            if values["password_file"] != nil, values["user"] == nil {
                throw ConfigError(file: file, line: values["password_file"]!.line, "sync.password_file needs sync.user")
            }
            source = .dicomweb(DICOMwebSettings(baseURL: url.text, user: values["user"]?.text, passwordFile: values["password_file"].map { resolve($0.text) }))
        case (nil, let folder?):
            for name in ["user", "password_file"] where values[name] != nil {
                throw ConfigError(file: file, line: values[name]!.line, "sync.\(name) applies to dicomweb, not dicom_dir")
            }
            var policy = DICOMFolderScan.BadFilePolicy.fail
            if let badFiles = values["bad_files"] {
                guard let parsed = DICOMFolderScan.BadFilePolicy(rawValue: badFiles.text) else {
                    throw ConfigError(file: file, line: badFiles.line, "sync.bad_files must be fail or skip; got '\(badFiles.text)'")
                }
                policy = parsed
            }
            source = .folder(path: resolve(folder.text), badFiles: policy)
        case (.some, .some):
            throw ConfigError(file: file, line: line, "sync takes one source: dicomweb or dicom_dir, not both")
        case (nil, nil):
            throw ConfigError(file: file, line: line, "sync needs a source: dicomweb (a QIDO-RS root URL) or dicom_dir (a folder of DICOM files)")
        }
    }
}
