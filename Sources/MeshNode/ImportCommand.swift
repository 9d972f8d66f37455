import ArgumentParser
import DICOM
import Foundation
import MeshCore

/// `meshnode import`: replaces the site database's data, all or nothing, with a CSV export
/// shaped like the schema, or with imaging metadata (a folder of DICOM files or a DICOMweb
/// server) joined with the clinical export through the mapping file.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Load a site's data into its database (all or nothing): a CSV export, or DICOM studies joined with the clinical export.",
        discussion: """
            One source: --csv FILE, --dicom-dir DIR, or --dicomweb URL.

            Imaging sources need --clinical (one row per patient: patient_id, then subject-level \
            attributes such as diagnosis, tumour_stage, age_at_diagnosis) and usually --mapping \
            (site vocabularies onto the dictionary's codes). Values no mapping covers are reported \
            with counts and examples and their studies left out; --strict fails instead.

            A DICOMweb import is incremental: only studies that are new or whose instance or series \
            count changed are fetched again; studies gone from the server are removed. When nothing \
            changed, nothing is written.
            """
    )

    @Option(help: "The site database (SQLite); created if missing.")
    var db: String

    @Option(help: "A CSV file: a header naming the schema's attributes, then one row per imaging study.")
    var csv: String?

    @Option(name: .customLong("dicom-dir"), help: "A folder of DICOM Part 10 files (exported studies, any depth).")
    var dicomDir: String?

    @Option(help: "A DICOMweb (QIDO-RS) root, e.g. http://127.0.0.1:8042/dicom-web.")
    var dicomweb: String?

    @Option(name: .customLong("dicomweb-user"), help: "HTTP basic auth user for --dicomweb.")
    var dicomwebUser: String?

    @Option(name: .customLong("dicomweb-password-file"), help: "A file holding the --dicomweb-user's password.")
    var dicomwebPasswordFile: String?

    @Option(help: "The clinical export (CSV keyed by the DICOM Patient ID), for imaging sources.")
    var clinical: String?

    @Option(help: "The vocabulary mapping (YAML), for imaging sources.")
    var mapping: String?

    @Flag(help: "Fail on any unmapped value, left-out study or skipped file instead of importing the rest.")
    var strict = false

    @Option(name: .customLong("bad-files"), help: "What a file in --dicom-dir that is not readable DICOM does: fail (the import) or skip (it is reported).")
    var badFiles: DICOMFolderScan.BadFilePolicy = .fail

    @Option(help: "With --dicomweb: only studies from this date on (YYYYMMDD or YYYY-MM-DD); older stored studies are kept.")
    var since: String?

    @Option(help: "The site's data dictionary (YAML); the reference schema when omitted.")
    var schema: String?

    @Flag(inversion: .prefixedNo, help: "Show progress for steps longer than a second.")
    var progress = true

    func validate() throws {
        let sources = [csv, dicomDir, dicomweb].compactMap { $0 }
        guard sources.count == 1 else { throw ValidationError("give exactly one of --csv, --dicom-dir and --dicomweb") }
        if csv == nil, clinical == nil { throw ValidationError("--dicom-dir and --dicomweb need --clinical FILE.csv (the clinical export)") }
        if csv != nil, clinical != nil || mapping != nil || strict { throw ValidationError("--clinical, --mapping and --strict apply to imaging sources, not --csv") }
        if since != nil, dicomweb == nil { throw ValidationError("--since applies to --dicomweb") }
        if dicomwebPasswordFile != nil, dicomwebUser == nil { throw ValidationError("--dicomweb-password-file needs --dicomweb-user") }
        if let since, Self.date(since) == nil { throw ValidationError("--since '\(since)' is not a date (YYYYMMDD or YYYY-MM-DD)") }
    }

    func run() async throws {
        let (schema, yaml) = try loadSchema()
        if let csv {
            let rows = try SiteImporter(schema: schema).validate(csvAt: csv)
            let store = try SiteStore(path: db)
            let summary = try store.replaceCases(with: rows, schema: schema, schemaYAML: yaml, sourceFile: csv)
            var line = "imported \(summary.rows) studies of \(summary.subjects) subjects from \(csv) into \(db)"
            if let replaced = summary.replacedRows { line += " (replacing \(replaced) studies)" }
            print(line)
            return
        }
        let job = ImagingImport(
            databasePath: db, schema: schema, schemaYAML: yaml, clinicalPath: clinical!, mappingPath: mapping, strict: strict,
            showProgress: progress
        )
        let summary: ImagingImport.Summary
        do {
            if let dicomDir {
                summary = try await job.run(.folder(path: dicomDir, badFiles: badFiles))
            } else {
                let settings = DICOMwebSettings(baseURL: dicomweb!, user: dicomwebUser, passwordFile: dicomwebPasswordFile)
                let floor = since.flatMap(Self.date)
                summary = try await DICOMwebClient.with(settings) { client in try await job.run(.server(client, since: floor)) }
            }
        } catch {
            throw CommandFailure("\(error)")
        }
        for line in summary.report { print(line) }
        print(summary.line(database: db))
    }

    /// YYYYMMDD (DICOM's DA) or YYYY-MM-DD.
    static func date(_ text: String) -> DICOMDate? {
        DICOMDate(dicom: text.replacingOccurrences(of: "-", with: ""))
    }

    private func loadSchema() throws -> (Schema, String) { try Self.schema(at: schema) }

    /// The data dictionary at `path` with its text (stored with the data), or the reference one.
    static func schema(at path: String?) throws -> (Schema, String) {
        guard let path else { return (Schema.reference, Schema.referenceYAML) }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw SchemaError(source: path, line: nil, "cannot read the schema file: \(error.localizedDescription)")
        }
        return (try Schema(yaml: text, source: path), text)
    }
}

extension DICOMFolderScan.BadFilePolicy: ExpressibleByArgument {}

extension ImagingImport.Summary {
    /// The one line an import ends with.
    func line(database: String) -> String {
        if upToDate {
            return "\(database) is up to date: \(studiesUnchanged + studiesFetched) studies unchanged, nothing written"
                + String(format: " (%.2f s reading the source)", sourceSeconds)
        }
        var parts = ["imported \(rows) studies of \(subjects) subjects into \(database)"]
        if filesRead > 0 { parts.append("\(filesRead) files read") }
        if studiesUnchanged > 0 || studiesRemoved > 0 {
            parts.append("\(studiesFetched) studies fetched, \(studiesUnchanged) unchanged, \(studiesRemoved) removed")
        }
        if !skippedFiles.isEmpty { parts.append("\(skippedFiles.count) files skipped") }
        parts.append(String(format: "%.2f s reading the source, %.2f s building rows, %.2f s writing", sourceSeconds, buildSeconds, writeSeconds))
        return parts.joined(separator: "; ")
    }
}

/// `meshnode schema`: prints the reference data dictionary, the starting point for a
/// site's own.
struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the reference data dictionary (YAML) to adapt for a site."
    )

    func run() {
        print(Schema.referenceYAML)
    }
}

extension SiteImporter.ImportError: LocalizedError {
    var errorDescription: String? { description }
}
