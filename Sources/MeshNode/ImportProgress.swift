import Foundation

/// Progress of an import or sync that takes more than a second: on a terminal one line
/// redrawn in place (done of total, rate, time left), at most every
/// ``redrawIntervalSeconds``; otherwise (a log file, a service journal) one plain line per
/// tenth of the work, so that logs show progress without a line per item. Nothing is shown
/// for work that ends within ``quietSeconds``.
final class ImportProgress {
    static let quietSeconds = 1.0
    static let redrawIntervalSeconds = 0.1

    private let label: String
    private let unit: String
    private let isTerminal: Bool
    private let write: (String) -> Void
    private let now: () -> Double
    private let started: Double
    private var total: Int
    private var lastDraw = -Double.infinity
    private var lastTenth = 0
    private var drewLine = false

    /// - Parameters:
    ///   - write: where the text goes (standard error by default).
    ///   - now: seconds on a monotonic clock (injected by tests).
    init(
        label: String, unit: String, total: Int, isTerminal: Bool = isatty(STDERR_FILENO) == 1,
        write: @escaping (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) },
        now: @escaping () -> Double = { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
    ) {
        self.label = label
        self.unit = unit
        self.total = total
        self.isTerminal = isTerminal
        self.write = write
        self.now = now
        started = now()
    }

    /// The total can grow as a listing pages in.
    func update(done: Int, total newTotal: Int? = nil) {
        if let newTotal { total = newTotal }
        let time = now()
        let elapsed = time - started
        guard elapsed >= Self.quietSeconds, total > 0 else { return }
        if isTerminal {
            guard time - lastDraw >= Self.redrawIntervalSeconds || done == total else { return }
            lastDraw = time
            write("\r\u{1B}[K" + line(done: done, elapsed: elapsed))
            drewLine = true
        } else {
            let tenth = min(10, done * 10 / total)
            guard tenth > lastTenth else { return }
            lastTenth = tenth
            write(line(done: done, elapsed: elapsed) + "\n")
        }
    }

    /// Ends the redrawn line so that what follows starts on its own.
    func finish() {
        if isTerminal, drewLine { write("\n") }
    }

    func line(done: Int, elapsed: Double) -> String {
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let percent = total > 0 ? done * 100 / total : 100
        var text = "\(label): \(done)/\(total) \(unit) (\(percent)%), \(Self.format(rate: rate))/s"
        if done < total, rate > 0 {
            text += ", \(Self.format(seconds: Double(total - done) / rate)) left"
        }
        return text
    }

    static func format(rate: Double) -> String {
        rate >= 100 ? String(Int(rate.rounded())) : String(format: "%.1f", rate)
    }

    static func format(seconds: Double) -> String {
        let whole = Int(seconds.rounded(.up))
        if whole < 60 { return "\(whole) s" }
        if whole < 3600 { return "\(whole / 60) min \(whole % 60) s" }
        return "\(whole / 3600) h \(whole % 3600 / 60) min"
    }
}
