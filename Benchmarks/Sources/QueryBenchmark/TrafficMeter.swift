import BenchmarkKit
import Foundation

/// Frames and bytes the nodes moved, read from the `traffic` totals in their status files
/// (written every second by `meshnode run`).
struct TrafficMeter {
    let statusFiles: [String]

    var isEnabled: Bool { !statusFiles.isEmpty }

    struct Totals {
        var bytes: [Double]
        var frames: [Double]
    }

    struct Usage {
        var meanBytes: Double
        var maxBytes: Double
        var meanFrames: Double
        var maxFrames: Double
    }

    private struct Status: Decodable {
        struct Traffic: Decodable {
            var framesSent: Int
            var bytesSent: Int
            var framesReceived: Int
            var bytesReceived: Int
        }
        var traffic: Traffic?
    }

    /// Every node's totals, after waiting for a fresh status file.
    func read() async throws -> Totals {
        guard isEnabled else { return Totals(bytes: [], frames: []) }
        try await Task.sleep(for: .milliseconds(1_500))
        var totals = Totals(bytes: [], frames: [])
        for file in statusFiles {
            let data = try Data(contentsOf: URL(fileURLWithPath: file))
            guard let traffic = try JSONDecoder().decode(Status.self, from: data).traffic else {
                throw BenchmarkError("\(file) has no traffic totals; the node is older than this benchmark")
            }
            totals.bytes.append(Double(traffic.bytesSent + traffic.bytesReceived))
            totals.frames.append(Double(traffic.framesSent + traffic.framesReceived))
        }
        return totals
    }

    /// Per node and second while nothing is asked.
    func idleRate(seconds: Int) async throws -> Totals {
        guard isEnabled else { return Totals(bytes: [], frames: []) }
        let before = try await read()
        let start = ContinuousClock.now
        try await Task.sleep(for: .seconds(seconds))
        let after = try await read()
        let elapsed = (ContinuousClock.now - start).inSeconds
        return Totals(
            bytes: zip(after.bytes, before.bytes).map { ($0 - $1) / elapsed }, frames: zip(after.frames, before.frames).map { ($0 - $1) / elapsed }
        )
    }

    func perQuery(since before: Totals, queries: Int, seconds: Double, idle: Totals) async throws -> Usage? {
        guard isEnabled, queries > 0 else { return nil }
        let after = try await read()
        let span = seconds + 1.5
        let bytes = after.bytes.indices.map { max(0, after.bytes[$0] - before.bytes[$0] - idle.bytes[$0] * span) / Double(queries) }
        let frames = after.frames.indices.map { max(0, after.frames[$0] - before.frames[$0] - idle.frames[$0] * span) / Double(queries) }
        return Usage(
            meanBytes: bytes.reduce(0, +) / Double(bytes.count), maxBytes: bytes.max() ?? 0, meanFrames: frames.reduce(0, +) / Double(frames.count),
            maxFrames: frames.max() ?? 0
        )
    }
}
