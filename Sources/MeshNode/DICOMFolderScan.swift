import DICOM
import Foundation

/// Reads a folder of exported DICOM Part 10 files (any depth, any file names) into studies:
/// only each file's header up to the pixel data is read (``DICOMFileReader``), so a folder
/// of large images costs a few kilobytes per file.
///
/// A file that cannot be used (not DICOM, truncated, no study or series UID, a patient-level
/// attribute contradicting the study's other files) fails the scan, naming the file, unless
/// the policy is to skip such files, in which case each is listed in ``Result/skipped``.
/// `DICOMDIR` index files are not images and are passed over.
struct DICOMFolderScan {
    enum BadFilePolicy: String, Sendable, CaseIterable {
        case fail
        case skip
    }

    struct Result {
        var studies: [DICOMStudy]
        var filesRead: Int
        var bytesRead: Int
        /// Files passed over under ``BadFilePolicy/skip``, with the reason.
        var skipped: [String]
    }

    struct ScanError: Error, CustomStringConvertible {
        let description: String
    }

    let folder: String
    let policy: BadFilePolicy
    var reader = DICOMFileReader()

    /// - Parameter progress: called with (files done, files in all) after each file.
    func run(progress: (Int, Int) -> Void = { _, _ in }) throws(ScanError) -> Result {
        let files = try listFiles()
        var assembler = DICOMStudyAssembler()
        var result = Result(studies: [], filesRead: 0, bytesRead: 0, skipped: [])
        for (index, path) in files.enumerated() {
            do {
                let header = try reader.readHeader(path: path)
                result.bytesRead += header.bytesRead
                try assembler.add(file: header, path: path)
                result.filesRead += 1
            } catch {
                let reason = "\(error)"
                let described = reason.hasPrefix(path) ? reason : "\(path): \(reason)"
                switch policy {
                case .fail: throw ScanError(description: described + " (pass --bad-files skip to leave such files out)")
                case .skip: result.skipped.append(described)
                }
            }
            progress(index + 1, files.count)
        }
        result.studies = assembler.assembled()
        return result
    }

    /// Every regular file under the folder, in a stable order.
    private func listFiles() throws(ScanError) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ScanError(description: "\(folder): no such folder")
        }
        let root = URL(fileURLWithPath: folder)
        guard
            let enumerator = FileManager.default.enumerator(
                at: root, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles]
            )
        else { throw ScanError(description: "\(folder): cannot list the folder") }
        var files: [String] = []
        for case let url as URL in enumerator {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
            if url.lastPathComponent.uppercased() == "DICOMDIR" { continue }
            files.append(url.path)
        }
        return files.sorted()
    }
}
