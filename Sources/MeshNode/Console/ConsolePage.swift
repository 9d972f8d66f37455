import Foundation
import Hummingbird

/// The console's page and API document: files kept in Sources/MeshNode/Console/Page and
/// shipped as the target's resources, read once at start (a few tens of KiB) so that
/// serving them touches no disk.
struct ConsolePage: Sendable {
    struct File: Sendable {
        var bytes: [UInt8]
        var contentType: String
    }

    /// Request path → file.
    let files: [String: File]

    static let openAPIPath = "/v1/openapi.yaml"

    /// The paths served from the page folder.
    static let served: [(path: String, file: String, contentType: String)] = [
        ("/", "index.html", "text/html; charset=utf-8"),
        ("/console.js", "console.js", "text/javascript; charset=utf-8"),
        ("/console.css", "console.css", "text/css; charset=utf-8"),
        (openAPIPath, "openapi.yaml", "application/yaml"),
    ]

    /// Reads the files from the resource bundle.
    ///
    /// - Throws: ``CommandFailure`` naming the missing file when the bundle is incomplete.
    static func load() throws -> ConsolePage {
        guard let folder = Bundle.module.url(forResource: "Page", withExtension: nil) else {
            throw CommandFailure("the console's page files are missing from \(Bundle.module.bundlePath) (rebuild meshnode)")
        }
        var files: [String: File] = [:]
        for entry in served {
            let url = folder.appendingPathComponent(entry.file)
            guard let data = try? Data(contentsOf: url) else {
                throw CommandFailure("the console's page file \(url.path) cannot be read (rebuild meshnode)")
            }
            files[entry.path] = File(bytes: Array(data), contentType: entry.contentType)
        }
        return ConsolePage(files: files)
    }

    func response(for path: String) -> Response? {
        guard let file = files[path] else { return nil }
        return Response(
            status: .ok, headers: [.contentType: file.contentType, .cacheControl: "no-cache"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: file.bytes))
        )
    }
}
