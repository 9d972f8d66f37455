import Foundation
import TestSupport

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A real Orthanc DICOM server with its DICOMweb plugin, started for one test and gone
/// after it: the QIDO-RS client is tested against what a site actually runs, not against
/// our reading of PS3.18.
///
/// Everything Orthanc keeps is in a fresh temporary folder (its configuration, storage,
/// index and log); it listens on loopback only (RemoteAccessAllowed false) on ports that
/// were free a moment before, and asks for HTTP basic auth with one registered user, so the
/// client's authentication is exercised. ``run(_:)`` stops the process and removes the
/// folder whether the test passed or not. (A test process that is itself killed leaves
/// Orthanc and its folder behind; the next run uses fresh ports and a fresh folder, so the
/// leftover disturbs none.)
///
/// Orthanc and the plugin are the Debian packages `orthanc` and `orthanc-dicomweb`, which
/// `make test-deps` installs; where they are missing the suites using this are skipped.
final class OrthancServer: @unchecked Sendable {
    static let executable = "/usr/sbin/Orthanc"
    /// Where `dpkg -L orthanc-dicomweb` puts the plugin (a link to the versioned library in
    /// /usr/lib/orthanc).
    static let dicomWebPlugin = "/usr/share/orthanc/plugins/libOrthancDicomWeb.so"
    static let startupTimeoutSeconds: Double = 30
    static let stopTimeoutSeconds: Double = 10
    /// How often a start is retried when a chosen port was taken in between.
    static let portAttempts = 3

    static var isInstalled: Bool {
        FileManager.default.isExecutableFile(atPath: executable) && FileManager.default.fileExists(atPath: dicomWebPlugin)
    }

    let directory: TemporaryDirectory
    let httpPort: Int
    let dicomPort: Int
    let user = "importer"
    let password: String
    /// The password as the client reads it, from a file with a trailing newline.
    let passwordFile: String
    private let process: Process
    private let logPath: String
    private var isStopped = false

    var baseURL: String { "http://127.0.0.1:\(httpPort)" }
    var dicomWebURL: String { baseURL + "/dicom-web" }

    /// Starts an Orthanc, stops it after `body` (also when `body` throws), removes its folder.
    static func run<T>(_ body: (OrthancServer) async throws -> T) async throws -> T {
        let server = try await start()
        do {
            let result = try await body(server)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }

    static func start() async throws -> OrthancServer {
        var lastError: (any Error)?
        for _ in 0..<portAttempts {
            let server = try OrthancServer()
            do {
                try await server.waitUntilAnswering()
                return server
            } catch let error as PortTaken {
                lastError = error
                server.kill()
            } catch {
                server.kill()
                throw error
            }
        }
        throw lastError!
    }

    private struct PortTaken: Error, CustomStringConvertible {
        let description: String
    }

    private init() throws {
        directory = try TemporaryDirectory("oncomesh-orthanc")
        do {
            httpPort = try Self.freeLoopbackPort()
            dicomPort = try Self.freeLoopbackPort()
            password = UUID().uuidString
            passwordFile = directory.file("password")
            try (password + "\n").write(toFile: passwordFile, atomically: true, encoding: .utf8)
            let configuration = directory.file("orthanc.json")
            try Self.writeConfiguration(
                to: configuration, directory: directory, httpPort: httpPort, dicomPort: dicomPort, user: user, password: password
            )
            logPath = directory.file("orthanc.log")
            FileManager.default.createFile(atPath: logPath, contents: nil)
            let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
            process = Process()
            process.executableURL = URL(fileURLWithPath: Self.executable)
            process.arguments = [configuration]
            process.currentDirectoryURL = URL(fileURLWithPath: directory.path)
            process.standardOutput = log
            process.standardError = log
            process.standardInput = FileHandle.nullDevice
            try process.run()
            try log.close()
        } catch {
            directory.remove()
            throw error
        }
    }

    deinit { kill() }

    private static func writeConfiguration(
        to path: String, directory: TemporaryDirectory, httpPort: Int, dicomPort: Int, user: String, password: String
    ) throws {
        let configuration: [String: Any] = [
            "Name": "OncoMesh test",
            "StorageDirectory": directory.file("storage"),
            "IndexDirectory": directory.file("index"),
            "HttpPort": httpPort,
            "DicomPort": dicomPort,
            "RemoteAccessAllowed": false,
            "AuthenticationEnabled": true,
            "RegisteredUsers": [user: password],
            "Plugins": [dicomWebPlugin],
            "DicomWeb": ["Enable": true, "Root": "/dicom-web/", "EnableWado": false, "Ssl": false],
            "SaveJobs": false,
            "HttpDescribeErrors": true,
        ]
        let data = try JSONSerialization.data(withJSONObject: configuration, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: URL(fileURLWithPath: path))
    }

    /// Polls `/system` until it answers 200, the process exits or the time is up.
    private func waitUntilAnswering() async throws {
        let deadline = Date().addingTimeInterval(Self.startupTimeoutSeconds)
        while Date() < deadline {
            if !process.isRunning {
                let tail = logTail()
                if tail.contains("Address already in use") || tail.contains("Cannot start the HTTP server") {
                    throw PortTaken(description: "Orthanc could not listen on port \(httpPort) or \(dicomPort):\n\(tail)")
                }
                throw TestSupportError("Orthanc exited with status \(process.terminationStatus) while starting; its log ends:\n\(tail)")
            }
            if let (status, _) = try? await request("GET", "/system", timeoutSeconds: 2), status == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestSupportError(
            "Orthanc did not answer GET \(baseURL)/system within \(Int(Self.startupTimeoutSeconds)) s; its log ends:\n\(logTail())"
        )
    }

    /// Stores DICOM files (REST API POST /instances), each checked to be accepted.
    func upload(_ paths: [String]) async throws {
        for path in paths {
            let body = try Data(contentsOf: URL(fileURLWithPath: path))
            let (status, answer) = try await request("POST", "/instances", body: body, timeoutSeconds: 30)
            guard status == 200 else {
                throw TestSupportError("Orthanc refused \(path) with HTTP \(status): \(String(decoding: answer.prefix(500), as: UTF8.self))")
            }
        }
    }

    /// One request to Orthanc's REST API with the registered user's credentials.
    func request(_ method: String, _ path: String, body: Data? = nil, timeoutSeconds: Double) async throws -> (Int, Data) {
        var request = URLRequest(url: URL(string: baseURL + path)!)
        request.httpMethod = method
        request.timeoutInterval = timeoutSeconds
        let credentials = Data("\(user):\(password)".utf8).base64EncodedString()
        request.setValue("Basic \(credentials)", forHTTPHeaderField: "Authorization")
        let (data, response): (Data, URLResponse)
        if let body {
            request.setValue("application/dicom", forHTTPHeaderField: "Content-Type")
            (data, response) = try await URLSession.shared.upload(for: request, from: body)
        } else {
            (data, response) = try await URLSession.shared.data(for: request)
        }
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }

    /// The last lines Orthanc logged.
    func logTail(lines: Int = 40) -> String {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "(no log at \(logPath))"
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    /// Asks Orthanc to stop through its REST API (POST /tools/shutdown), waits up to
    /// ``stopTimeoutSeconds`` for it to exit, then kills it; removes its folder.
    ///
    /// Not SIGTERM: a process started from the test runner inherits a signal mask that
    /// blocks SIGTERM and SIGINT, so Orthanc would never see them.
    func stop() async {
        guard !isStopped else { return }
        if process.isRunning, (try? await request("POST", "/tools/shutdown", body: Data(), timeoutSeconds: 5))?.0 == 200 {
            let deadline = Date().addingTimeInterval(Self.stopTimeoutSeconds)
            while process.isRunning, Date() < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        }
        kill()
    }

    /// Ends Orthanc at once (SIGKILL, which no mask blocks) and removes its folder.
    func kill() {
        guard !isStopped else { return }
        isStopped = true
        if process.isRunning {
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        directory.remove()
    }

    /// A TCP port on 127.0.0.1 that nothing listens on now: bound to port 0, read, released.
    static func freeLoopbackPort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw TestSupportError("socket() failed: errno \(errno)") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw TestSupportError("bind() failed: errno \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard named == 0 else { throw TestSupportError("getsockname() failed: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
