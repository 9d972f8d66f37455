#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import Foundation
import SyntheticData

/// `meshnode synth`: writes a synthetic site's `cases` table as CSV, so that the mesh can be
/// demonstrated, tested and benchmarked on realistic data without any patient's.
struct SynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Write a synthetic site's cases table (one row per imaging study) as CSV.",
        discussion: """
            Profiles imitate real centres: general (a general hospital's broad adult case mix, \
            with a few rare cancers), prostate (a urology centre), breast (a breast unit), \
            paediatric (a children's hospital) and lung (a thoracic centre). The same profile, \
            subject count and seed always give the same file, byte for byte.
            """
    )

    @Option(help: "The kind of centre to imitate.")
    var profile: SiteProfile

    @Option(help: "Number of subjects (1 to 10000000); each has one to eight imaging studies.")
    var subjects = 1000

    @Option(help: "Seed of the generator.")
    var seed: UInt64 = 1

    @Option(help: "CSV file to write; replaced atomically if it exists.")
    var out: String?

    @Option(name: .customLong("dicom-dir"), help: "Instead of a CSV: write the site as DICOM files under this new folder, with --clinical-out and --mapping-out.")
    var dicomDir: String?

    @Option(name: .customLong("clinical-out"), help: "With --dicom-dir: the clinical export (CSV keyed by Patient ID) to write.")
    var clinicalOut: String?

    @Option(name: .customLong("mapping-out"), help: "With --dicom-dir: the vocabulary mapping (YAML) to write.")
    var mappingOut: String?

    @Option(name: .customLong("instances-per-study"), help: "With --dicom-dir: files per study (at most the study's image count).")
    var instancesPerStudy = 2

    func validate() throws {
        if let dicomDir {
            guard out == nil, clinicalOut != nil, mappingOut != nil, !dicomDir.isEmpty else {
                throw ValidationError("--dicom-dir needs --clinical-out and --mapping-out, and no --out")
            }
            guard (1...1000).contains(instancesPerStudy) else { throw ValidationError("--instances-per-study must be between 1 and 1000") }
            return
        }
        guard let out else { throw ValidationError("give --out FILE.csv, or --dicom-dir DIR with --clinical-out and --mapping-out") }
        guard SyntheticCases.subjectLimits.contains(subjects) else {
            throw ValidationError(
                "--subjects must be between \(SyntheticCases.subjectLimits.lowerBound) and \(SyntheticCases.subjectLimits.upperBound); got \(subjects)"
            )
        }
        var isDirectory: ObjCBool = false
        if out.isEmpty || out.hasSuffix("/") || (FileManager.default.fileExists(atPath: out, isDirectory: &isDirectory) && isDirectory.boolValue) {
            throw ValidationError("--out must name a file, not a directory; got '\(out)'")
        }
    }

    func run() throws {
        let site = SyntheticCases(profile: profile, subjects: subjects, seed: seed)
        if let dicomDir, let clinicalOut, let mappingOut {
            let summary = try SyntheticDICOMExport(site: site, instancesPerStudy: instancesPerStudy).write(folder: dicomDir, clinical: clinicalOut, mapping: mappingOut)
            print("wrote \(summary.subjects) subjects, \(summary.studies) studies as \(summary.files) DICOM files under \(dicomDir), the clinical export \(clinicalOut) and the mapping \(mappingOut)")
            return
        }
        guard let out else { return }
        let file = try PartialFile(replacing: out)
        let summary: SyntheticCases.Summary
        do {
            summary = try site.writeCSV { chunk in try file.append(chunk) }
            try file.commit()
        } catch {
            file.discard()
            throw error
        }
        print("wrote \(summary.subjects) subjects, \(summary.studies) studies (profile \(profile.rawValue), seed \(seed)) to \(out)")
    }
}

/// The default conformance of a `CaseIterable` string enum lists the valid profiles in
/// `--help` and in the error for an unknown one.
extension SiteProfile: ExpressibleByArgument {}

/// A file being written that takes the place of `path` only when complete.
///
/// The bytes go to a hidden temporary file in the target's directory (so that the final
/// rename stays on one file system and is atomic), are flushed to disk and are then renamed
/// over the target: an error or a crash leaves the old file or none, never half of one.
private final class PartialFile {
    let path: String
    let temporaryPath: String
    private var descriptor: Int32

    init(replacing path: String) throws(SynthError) {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        var template = Array("\(directory)/.\(url.lastPathComponent).partial-XXXXXX".utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else {
            throw SynthError("cannot create a file in '\(directory)': \(SynthError.systemReason())")
        }
        // mkstemp creates the file readable by its owner only; synthetic data is not secret.
        _ = fchmod(descriptor, 0o644)
        self.path = path
        self.temporaryPath = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        self.descriptor = descriptor
    }

    func append(_ bytes: ArraySlice<UInt8>) throws(SynthError) {
        var remaining = bytes[...]
        while !remaining.isEmpty {
            let written = remaining.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw SynthError("cannot write '\(path)': \(SynthError.systemReason())")
            }
            remaining = remaining.dropFirst(written)
        }
    }

    /// Flushes the file to disk and renames it over `path`.
    func commit() throws(SynthError) {
        guard fsync(descriptor) == 0 else {
            throw SynthError("cannot flush '\(path)' to disk: \(SynthError.systemReason())")
        }
        close(descriptor)
        descriptor = -1
        guard rename(temporaryPath, path) == 0 else {
            throw SynthError("cannot move the new file to '\(path)': \(SynthError.systemReason())")
        }
    }

    /// Removes the temporary file after a failure.
    func discard() {
        if descriptor >= 0 {
            close(descriptor)
            descriptor = -1
        }
        unlink(temporaryPath)
    }
}

/// Why `meshnode synth` could not write its file.
struct SynthError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) { self.description = description }

    static func systemReason() -> String { String(cString: strerror(errno)) }
}
