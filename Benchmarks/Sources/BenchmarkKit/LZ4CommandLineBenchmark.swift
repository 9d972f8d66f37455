import Foundation

/// Runs the `lz4` command-line tool's own benchmark (`lz4 -b`) on a file: the reference our
/// wrapper is compared with, measured on the same machine, at the same time, on the same bytes.
public struct LZ4CommandLineBenchmark: Sendable {
    /// The block size of a `lz4 -b` run: its default (no `-B`) compresses the whole file as
    /// one block; `-B4` cuts it into independent 64 KiB blocks, like OncoMesh's frames.
    public enum BlockSize: Sendable {
        case wholeFile
        case independent64KiB

        var arguments: [String] {
            switch self {
            case .wholeFile: []
            case .independent64KiB: ["-B4"]
            }
        }
    }

    public let executablePath: String

    /// Finds `lz4` in `PATH`.
    public init() throws {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        let candidates = path.split(separator: ":").map { "\($0)/lz4" }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw BenchmarkError("the lz4 command is not installed (Debian: apt-get install lz4; `make deps` in the root does it)")
        }
        executablePath = found
    }

    /// How long `lz4 -b` measures each direction when not told otherwise (its `-i3`).
    public static let defaultSeconds = 3

    /// The exact command line of a run, for the report. `-i` is left out at its default, so
    /// that the default run reads as the plain `lz4 -b1 FILE` people type.
    public func arguments(file: String, level: Int, blockSize: BlockSize, seconds: Int) -> [String] {
        let duration = seconds == Self.defaultSeconds ? [] : ["-i\(seconds)"]
        return ["-b\(level)"] + blockSize.arguments + duration + [file]
    }

    /// `lz4 -b<level> [-B4] [-i<seconds>] <file>`; its figures are the fastest loop of that run.
    public func run(file: String, level: Int = 1, blockSize: BlockSize, seconds: Int = defaultSeconds) throws -> LZ4Throughput {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executablePath)
        process.arguments = arguments(file: file, level: level, blockSize: blockSize, seconds: seconds)
        let standardError = Pipe()
        process.standardError = standardError
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let output = standardError.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: output, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw BenchmarkError("lz4 \(process.arguments!.joined(separator: " ")) exited with \(process.terminationStatus):\n\(text)")
        }
        return try LZ4BenchOutput.parse(text)
    }

    /// The version line of `lz4 --version` without its asterisks, e.g. "LZ4 command line
    /// interface 64-bits v1.9.4, by Yann Collet".
    public func version() throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executablePath)
        process.arguments = ["--version"]
        let standardOutput = Pipe()
        process.standardOutput = standardOutput
        process.standardError = standardOutput
        try process.run()
        let output = standardOutput.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: output, as: UTF8.self).trimmingCharacters(in: CharacterSet(charactersIn: "* \n"))
    }
}
