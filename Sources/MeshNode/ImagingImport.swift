import Crypto
import DICOM
import Foundation
import GRDB
import MeshCore

/// A DICOM server as a sync needs it: the study list and each study's series (QIDO-RS,
/// ``DICOMwebClient``; tests substitute servers that fail on cue).
protocol DICOMStudyServer: Sendable {
    /// How errors and the stored source name the server (its base URL).
    var name: String { get }
    /// Every study on or after `studyDateFrom` (all when nil).
    func listStudies(studyDateFrom: DICOMDate?) async throws -> [DICOMStudyListing]
    /// The series of one study, with the thinnest slice thickness of each.
    func series(ofStudy studyInstanceUID: String) async throws -> [DICOMSeriesLevel]
}

extension DICOMStudyServer {
    /// The series of several studies, at most `inFlight` studies at a time; `progress` is
    /// called with (studies done, studies in all) after each, from one task at a time.
    func series(
        ofStudies studyUIDs: [String], inFlight: Int, progress: ((_ done: Int, _ total: Int) -> Void)? = nil
    ) async throws -> [String: [DICOMSeriesLevel]] {
        try await withThrowingTaskGroup(of: (String, [DICOMSeriesLevel]).self) { group in
            var results: [String: [DICOMSeriesLevel]] = [:]
            var next = 0
            func launch() {
                let uid = studyUIDs[next]
                next += 1
                group.addTask { (uid, try await self.series(ofStudy: uid)) }
            }
            while next < min(max(1, inFlight), studyUIDs.count) { launch() }
            while let (uid, found) = try await group.next() {
                results[uid] = found
                progress?(results.count, studyUIDs.count)
                if next < studyUIDs.count { launch() }
            }
            return results
        }
    }
}

/// Where an imaging import reads its studies.
enum ImagingSource {
    /// Exported Part 10 files under a folder, read whole each time (headers only).
    case folder(path: String, badFiles: DICOMFolderScan.BadFilePolicy)
    /// A DICOM server, synced incrementally against the studies the site database holds
    /// (``StudySyncPlan``), optionally only from a study date on.
    case server(any DICOMStudyServer, since: DICOMDate?)

    var name: String {
        switch self {
        case .folder(let path, _): return "folder \(path)"
        case .server(let server, _): return "DICOMweb \(server.name)"
        }
    }
}

/// An import (or sync) of imaging metadata joined with the clinical export: fetches what
/// changed, builds the `cases` rows (``ImagingCaseBuilder``) and replaces the site data and
/// the study table in one transaction. Anything that fails (the source, a strict check, the
/// write) leaves the previous data serving; when nothing changed (same studies, same
/// clinical export, mapping and schema) nothing is written, so the catalogue is not
/// re-signed for nothing.
struct ImagingImport {
    let databasePath: String
    let schema: Schema
    let schemaYAML: String
    let clinicalPath: String
    let mappingPath: String?
    /// Fail on any unmapped value or left-out study instead of importing the rest.
    let strict: Bool
    /// Show progress (``ImportProgress``) for steps longer than a second.
    let showProgress: Bool
    /// Concurrent per-study requests to a server.
    var requestsInFlight = 8

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    struct Summary {
        var studiesFetched = 0
        var studiesUnchanged = 0
        var studiesRemoved = 0
        var filesRead = 0
        var skippedFiles: [String] = []
        var rows = 0
        var subjects = 0
        var upToDate = false
        var report: [String] = []
        /// Seconds spent reading the source, building the rows and writing them.
        var sourceSeconds = 0.0
        var buildSeconds = 0.0
        var writeSeconds = 0.0
    }

    /// The meta key of the digest of the inputs besides the studies.
    static let inputsDigestKey = "imaging_inputs_sha256"

    func run(_ source: ImagingSource) async throws -> Summary {
        let mapping: VocabularyMapping
        if let mappingPath {
            mapping = try VocabularyMapping(contentsOf: mappingPath, schema: schema)
        } else {
            mapping = VocabularyMapping(schema: schema)
        }
        let clinicalData: Data
        do {
            clinicalData = try Data(contentsOf: URL(fileURLWithPath: clinicalPath))
        } catch {
            throw Failure(description: "\(clinicalPath): cannot read the clinical export: \(error.localizedDescription)")
        }
        let clinical = try ClinicalExport.parse(data: clinicalData, file: clinicalPath, schema: schema)
        let builder = try ImagingCaseBuilder(schema: schema, mapping: mapping, clinical: clinical)
        let inputsDigest = Self.digest(clinical: clinicalData, mappingPath: mappingPath, schemaYAML: schemaYAML)

        let store = try SiteStore(path: databasePath)
        // The digest counts only if the site's current data came from this source: a CSV
        // import in between replaced the rows, and the next sync must put them back.
        let (stored, storedDigest) = try store.read { db -> ([String: DICOMStudy], String?) in
            guard try db.tableExists("oncomesh_site") else { return (try ImagingStudyTable.read(from: db), nil) }
            let meta = try Row.fetchAll(db, sql: "SELECT key, value FROM oncomesh_site WHERE key IN (?, 'source_file')", arguments: [Self.inputsDigestKey])
            let values = Dictionary(meta.map { (row: Row) -> (String, String) in (row["key"], row["value"]) }, uniquingKeysWith: { first, _ in first })
            let digest = values["source_file"] == source.name ? values[Self.inputsDigestKey] : nil
            return (try ImagingStudyTable.read(from: db), digest)
        }

        var summary = Summary()
        var started = Self.seconds()
        let studies: [DICOMStudy]
        let changed: Bool
        switch source {
        case .folder(let path, let policy):
            let progress = showProgress ? ImportProgress(label: "reading \(path)", unit: "files", total: 0) : nil
            let scan = try DICOMFolderScan(folder: path, policy: policy).run { done, total in progress?.update(done: done, total: total) }
            progress?.finish()
            studies = scan.studies
            summary.filesRead = scan.filesRead
            summary.skippedFiles = scan.skipped
            summary.studiesFetched = studies.count
            let current = Dictionary(uniqueKeysWithValues: studies.map { ($0.studyInstanceUID, $0) })
            changed = current != stored
            summary.studiesRemoved = stored.keys.filter { current[$0] == nil }.count
        case .server(let server, let since):
            let listed = try await server.listStudies(studyDateFrom: since)
            let plan = StudySyncPlan(listed: listed, stored: stored, since: since)
            let fetched = try await fetch(plan.fetch, listed: listed, from: server)
            var merged = stored
            for uid in plan.remove { merged[uid] = nil }
            for study in fetched { merged[study.studyInstanceUID] = study }
            studies = merged.keys.sorted().map { merged[$0]! }
            summary.studiesFetched = plan.fetch.count
            summary.studiesUnchanged = plan.unchanged
            summary.studiesRemoved = plan.remove.count
            changed = merged != stored
        }
        summary.sourceSeconds = Self.seconds() - started
        if !changed, storedDigest == inputsDigest, !stored.isEmpty {
            summary.upToDate = true
            return summary
        }
        guard !studies.isEmpty else {
            throw Failure(description: "\(source.name) holds no study; the site data was left as it was")
        }

        started = Self.seconds()
        let outcome = builder.build(studies: studies)
        summary.buildSeconds = Self.seconds() - started
        summary.report = outcome.report + summary.skippedFiles.map { "skipped: \($0)" }
        if strict, !(outcome.unmapped.isEmpty && outcome.excluded.isEmpty && summary.skippedFiles.isEmpty) {
            throw Failure(description: (summary.report + ["--strict: nothing was imported; the previous data is unchanged"]).joined(separator: "\n"))
        }
        guard outcome.rows.count > 0 else {
            throw Failure(
                description: (summary.report + ["none of the \(studies.count) studies could be imported; the previous data is unchanged"]).joined(separator: "\n")
            )
        }

        started = Self.seconds()
        let written = try store.replaceCases(with: outcome.rows, schema: schema, schemaYAML: schemaYAML, sourceFile: source.name) { db in
            try ImagingStudyTable.replace(with: studies, in: db)
            try db.execute(sql: "CREATE TABLE IF NOT EXISTS oncomesh_site (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            try db.execute(sql: "INSERT OR REPLACE INTO oncomesh_site (key, value) VALUES (?, ?)", arguments: [Self.inputsDigestKey, inputsDigest])
        }
        summary.writeSeconds = Self.seconds() - started
        summary.rows = written.rows
        summary.subjects = written.subjects
        return summary
    }

    /// Each study's series, at most ``requestsInFlight`` studies at a time, assembled.
    private func fetch(_ uids: [String], listed: [DICOMStudyListing], from server: any DICOMStudyServer) async throws -> [DICOMStudy] {
        guard !uids.isEmpty else { return [] }
        let levels = Dictionary(listed.map { ($0.study.studyInstanceUID, $0.study) }, uniquingKeysWith: { first, _ in first })
        let progress = showProgress ? ImportProgress(label: "fetching from \(server.name)", unit: "studies", total: uids.count) : nil
        let seriesByStudy = try await server.series(ofStudies: uids, inFlight: requestsInFlight) { done, _ in progress?.update(done: done) }
        progress?.finish()
        var assembler = DICOMStudyAssembler()
        for uid in uids {
            try assembler.add(study: levels[uid]!, series: seriesByStudy[uid] ?? [], place: "\(server.name), study \(uid)")
        }
        return assembler.assembled()
    }

    /// SHA-256 over the inputs other than the studies: a changed clinical export, mapping
    /// or schema re-imports even when no study changed.
    static func digest(clinical: Data, mappingPath: String?, schemaYAML: String) -> String {
        var hash = SHA256()
        for part in [clinical, mappingPath.flatMap { try? Data(contentsOf: URL(fileURLWithPath: $0)) } ?? Data(), Data(schemaYAML.utf8)] {
            withUnsafeBytes(of: UInt64(part.count).bigEndian) { hash.update(bufferPointer: $0) }
            hash.update(data: part)
        }
        return hash.finalize().map { String(format: "%02x", $0) }.joined()
    }

    private static func seconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
}

extension ClinicalExport.ReadError: LocalizedError {
    var errorDescription: String? { description }
}

extension DICOMwebClient: DICOMStudyServer {
    var name: String { settings.baseURL }
}
