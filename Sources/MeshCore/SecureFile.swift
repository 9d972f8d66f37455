#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Writes and reads the small files of the PKI (certificates, keys).
///
/// Writes are atomic: the bytes go to a temporary file in the same directory, created with
/// the final permissions (so a key is never readable by others, not even for an instant), are
/// flushed to disk, and are then renamed over the target. A crash leaves either the old file
/// or the new one, never half of one.
public enum SecureFile {
    /// Permissions of private keys.
    public static let privateMode: mode_t = 0o600
    /// Permissions of certificates.
    public static let publicMode: mode_t = 0o644

    public static func writeAtomically(_ contents: String, to path: String, mode: mode_t) throws(PKIError) {
        let directory = (path as NSString).deletingLastPathComponent
        let template = (directory.isEmpty ? "." : directory) + "/.oncomesh-tmp-XXXXXX"
        var templateBytes = Array(template.utf8CString)
        let fd = templateBytes.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw PKIError(.fileUnwritable, "cannot create a file in '\(directory)': \(String(cString: strerror(errno)))")
        }
        let temporaryPath = String(decoding: templateBytes.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var failure: PKIError?
        if fchmod(fd, mode) != 0 {
            failure = PKIError(.fileUnwritable, "cannot set permissions on '\(temporaryPath)': \(String(cString: strerror(errno)))")
        }
        if failure == nil {
            let bytes = Array(contents.utf8)
            var written = 0
            while written < bytes.count {
                let result = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                if result < 0 {
                    if errno == EINTR { continue }
                    failure = PKIError(.fileUnwritable, "cannot write '\(path)': \(String(cString: strerror(errno)))")
                    break
                }
                written += result
            }
        }
        if failure == nil, fsync(fd) != 0 {
            failure = PKIError(.fileUnwritable, "cannot flush '\(path)': \(String(cString: strerror(errno)))")
        }
        close(fd)
        if failure == nil, rename(temporaryPath, path) != 0 {
            failure = PKIError(.fileUnwritable, "cannot move the new file to '\(path)': \(String(cString: strerror(errno)))")
        }
        if let failure {
            unlink(temporaryPath)
            throw failure
        }
    }

    public static func read(_ path: String) throws(PKIError) -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw PKIError(.fileUnreadable, "cannot read '\(path)': \(Self.reason(error))")
        }
    }

    public static func exists(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: path)
    }

    /// Creates a directory (and its parents) if it does not exist.
    public static func makeDirectory(_ path: String, mode: mode_t = 0o755) throws(PKIError) {
        do {
            try FileManager.default.createDirectory(
                atPath: path,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: Int(mode)]
            )
        } catch {
            throw PKIError(.fileUnwritable, "cannot create directory '\(path)': \(Self.reason(error))")
        }
    }

    private static func reason(_ error: any Error) -> String {
        if let cocoa = error as? CocoaError, let underlying = cocoa.userInfo[NSUnderlyingErrorKey] as? NSError,
            underlying.domain == NSPOSIXErrorDomain
        {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if let cocoa = error as? CocoaError {
            switch cocoa.code {
            case .fileReadNoSuchFile, .fileNoSuchFile: return "no such file"
            case .fileReadNoPermission: return "permission denied"
            case .fileReadInapplicableStringEncoding: return "not UTF-8 text"
            default: break
            }
        }
        return "\(error)"
    }
}
