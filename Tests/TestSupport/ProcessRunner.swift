import Foundation

/// Runs tools that are not ours (openssl, lz4, the built `meshnode`) from tests.
public struct ProcessResult: Sendable {
    public let status: Int32
    public let standardOutput: String
    public let standardError: String

    public var combinedOutput: String { standardOutput + standardError }
}

public enum ProcessRunner {
    /// Runs `executable` (looked up in PATH unless it contains a '/') to completion.
    public static func run(
        _ executable: String,
        _ arguments: [String],
        input: Data? = nil,
        currentDirectory: String? = nil,
        environment: [String: String] = [:]
    ) throws -> ProcessResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try resolve(executable))
        process.arguments = arguments
        // `environment` is added to this process's own (a variable set to "" is removed).
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }.filter { !$0.value.isEmpty }
        }
        if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
        let output = Pipe()
        let error = Pipe()
        let stdin = Pipe()
        process.standardOutput = output
        process.standardError = error
        process.standardInput = stdin
        try process.run()
        if let input { stdin.fileHandleForWriting.write(input) }
        try stdin.fileHandleForWriting.close()
        // Read both pipes concurrently so that neither fills up and blocks the child.
        let errorData = LockedData()
        let reader = Thread { errorData.set(error.fileHandleForReading.readDataToEndOfFile()) }
        reader.start()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errorData.isSet { usleep(1000) }
        return ProcessResult(
            status: process.terminationStatus,
            standardOutput: String(decoding: outputData, as: UTF8.self),
            standardError: String(decoding: errorData.value, as: UTF8.self)
        )
    }

    public static func resolve(_ executable: String) throws -> String {
        if executable.contains("/") { return executable }
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(directory)/\(executable)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw TestSupportError("'\(executable)' is not installed; run `make test`, which installs it")
    }
}

/// A started process whose standard input stays open until the test closes it (for
/// `openssl s_client`, which would otherwise quit as soon as its input ends).
public final class InteractiveProcess: @unchecked Sendable {
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    /// Everything the process printed so far; drained continuously so that a chatty
    /// process never blocks on a full pipe.
    private let printed = LockedData()

    public init(_ executable: String, _ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: try ProcessRunner.resolve(executable))
        process.arguments = arguments
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        let printed = self.printed
        output.fileHandleForReading.readabilityHandler = { handle in
            printed.append(handle.availableData)
        }
        try process.run()
    }

    /// Closes standard input, waits up to `timeoutSeconds` for the exit (then kills it),
    /// and returns everything it printed.
    public func finish(timeoutSeconds: Double = 10) -> ProcessResult {
        try? input.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while process.isRunning, Date() < deadline { usleep(10_000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        usleep(20_000)
        output.fileHandleForReading.readabilityHandler = nil
        printed.append(output.fileHandleForReading.readDataToEndOfFile())
        return ProcessResult(status: process.terminationStatus, standardOutput: String(decoding: printed.value, as: UTF8.self), standardError: "")
    }

    /// Ends the process at once (SIGKILL), as a crash or an out-of-memory kill would, and
    /// waits for it.
    public func kill() {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// Sends `signal` (SIGSTOP freezes the process as a hung host would, SIGCONT resumes it).
    public func send(_ signal: Int32) {
        if process.isRunning { Foundation.kill(process.processIdentifier, signal) }
    }

    /// Asks the process to stop (SIGTERM) and waits up to `timeoutSeconds` for it.
    public func terminate(timeoutSeconds: Double = 10) {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while process.isRunning, Date() < deadline { usleep(10_000) }
    }

    /// Writes to the process's standard input.
    public func write(_ data: Data) {
        input.fileHandleForWriting.write(data)
    }

}

private final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    private var done = false

    func append(_ more: Data) {
        lock.lock()
        data.append(more)
        lock.unlock()
    }

    func set(_ newValue: Data) {
        lock.lock()
        data = newValue
        done = true
        lock.unlock()
    }

    var isSet: Bool {
        lock.lock()
        defer { lock.unlock() }
        return done
    }

    var value: Data {
        lock.lock()
        defer { lock.unlock() }
        return data
    }
}

public struct TestSupportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
