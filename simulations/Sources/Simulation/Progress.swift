import Foundation

/// The one-line progress display on standard error: scenario, N, virtual time, updated in
/// place with a carriage return, at most a few times per wall-clock second.
public final class Progress {
    private let label: String
    private let enabled: Bool
    private var lastWrite = Date.distantPast

    public init(label: String, enabled: Bool) {
        self.label = label
        self.enabled = enabled
    }

    public func update(_ now: Duration, _ detail: String = "") {
        guard enabled else { return }
        let wall = Date()
        guard wall.timeIntervalSince(lastWrite) > 0.2 else { return }
        lastWrite = wall
        let text = "\r\(label)  t=\(String(format: "%8.1f", now.secondsValue)) s \(detail)\u{1B}[K"
        FileHandle.standardError.write(Data(text.utf8))
    }

    public func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
